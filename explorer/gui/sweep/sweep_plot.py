"""The sweep's evidence: samples/s against workers (one line per batch size, or per whatever
else was swept) beside peak Σ PSS against workers with the budget as a line. Measured points
are filled, predicted ones hollow; the recommended point is ringed."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ...core.run.sweep import SWEEPABLE, label, settings_of
from ..charts.plot_style import style_plot
from ..palette import DARK, WORKER_COLORS, Theme

MIB = 1 << 20


def x_field(entries: list[dict[str, Any]]) -> str:
    """What the x axis shows: workers when swept, else the first swept setting."""
    swept = [k for k in SWEEPABLE.values() if any(k in e for e in entries)]
    return "workers" if "workers" in swept or not swept else swept[0]


def series_key(entry: dict[str, Any], x: str) -> tuple[tuple[str, Any], ...]:
    """The line a point belongs to: its settings other than the x axis's."""
    return tuple((k, v) for k, v in settings_of(entry).items() if k != x)


class SweepPlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = DARK
        self.throughputPlot = pg.PlotWidget()
        self.throughputPlot.setObjectName("sweepThroughputPlot")
        self.memoryPlot = pg.PlotWidget()
        self.memoryPlot.setObjectName("sweepMemoryPlot")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.throughputPlot)
        layout.addWidget(self.memoryPlot)
        #: what is drawn, for tests and the status line: (plot name, series, measured?) -> xs, ys
        self.drawn: dict[tuple[str, str, bool], tuple[list[float], list[float]]] = {}
        self.highlighted: tuple[float, float, float] | None = None  # x, samples/s, MiB
        self._result: dict[str, Any] = {"sweep": [], "sweep_predicted": [], "summary": {}}
        self.set_theme(DARK)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for plot in (self.throughputPlot, self.memoryPlot):
            style_plot(plot, theme)
        self.show_result(self._result)

    def show_result(self, result: dict[str, Any], budget: int | None = None) -> None:
        """Draw the measured points (``sweep``), the predicted ones (``sweep_predicted``), the
        budget line and the recommendation (``summary.recommendation``)."""
        self._result = result
        measured = [e for e in result.get("sweep", []) if e.get("samples_per_s")]
        predicted = list(result.get("sweep_predicted", []))
        x = x_field(measured)
        self.drawn.clear()
        self.highlighted = None
        for plot, title, unit in (
            (self.throughputPlot, "samples/s", "samples/s"),
            (self.memoryPlot, "peak Σ PSS", "MiB"),
        ):
            plot.clear()
            plot.setTitle(f"{title} against {x.replace('_', ' ')}", color=self.theme.foreground)
            plot.setLabel("bottom", x.replace("_", " "))
            plot.setLabel("left", unit)
            plot.addLegend(offset=(-10, 10), labelTextColor=self.theme.foreground)
        ticks = _ticks(x, measured + predicted)
        for plot in (self.throughputPlot, self.memoryPlot):
            plot.getAxis("bottom").setTicks([ticks] if ticks else None)
        keys = sorted({series_key(e, x) for e in measured}, key=str)
        for n, key in enumerate(keys):
            color = WORKER_COLORS[n % len(WORKER_COLORS)]
            name = label(dict(key)).replace("_", " ") or "measured"
            mine = sorted((e for e in measured if series_key(e, x) == key), key=lambda e: e[x])
            ahead = sorted((e for e in predicted if series_key(e, x) == key), key=lambda e: e[x])
            self._series(name, color, x, mine, ahead)
        self._budget_line(budget if budget is not None else result.get("budget"))
        self._highlight(x, (result.get("summary") or {}).get("recommendation"), measured)
        self._set_ranges()

    def _set_ranges(self) -> None:
        """From zero to above the highest point, every x with room: set, not auto-ranged (a
        first point alone left a degenerate range that later points did not widen)."""
        for plot in (self.throughputPlot, self.memoryPlot):
            name = plot.objectName()
            xs = [x for (p, _, _), (pxs, _) in self.drawn.items() if p == name for x in pxs]
            ys = [y for (p, _, _), (_, pys) in self.drawn.items() if p == name for y in pys]
            if not xs:
                continue
            plot.setXRange(min(xs) - 0.5, max(xs) + 0.5, padding=0)
            plot.setYRange(0, max(ys) * 1.2 or 1.0, padding=0)

    def _series(
        self,
        name: str,
        color: str,
        x: str,
        measured: list[dict[str, Any]],
        predicted: list[dict[str, Any]],
    ) -> None:
        pen = pg.mkPen(color, width=2)
        dashed = pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine)
        for plot, value in (
            (self.throughputPlot, lambda e: float(e["samples_per_s"])),
            (self.memoryPlot, lambda e: float(e.get("peak_pss_total") or 0) / MIB),
        ):
            xs = [_x(e[x]) for e in measured]
            ys = [value(e) for e in measured]
            plot.plot(xs, ys, pen=pen, symbol="o", symbolSize=9, symbolBrush=color, name=name)
            self.drawn[(plot.objectName(), name, True)] = (xs, ys)
            if predicted and measured:
                pxs = [xs[-1]] + [_x(e[x]) for e in predicted]
                pys = [ys[-1]] + [value(e) for e in predicted]
                plot.plot(pxs, pys, pen=dashed)
                plot.plot(  # hollow: predicted, not measured
                    pxs[1:], pys[1:], pen=None, symbol="o", symbolSize=9,
                    symbolPen=pg.mkPen(color, width=1.5), symbolBrush=None,
                    name=f"{name}, predicted",
                )  # fmt: skip
                self.drawn[(plot.objectName(), name, False)] = (pxs[1:], pys[1:])

    def _budget_line(self, budget: int | None) -> None:
        """The budget as a dashed line, when it is near enough to the peaks to be read (a
        budget of the machine's whole memory would flatten them); the text says it anyway."""
        drawn = [ys for (plot, _, _), (_, ys) in self.drawn.items() if plot == "sweepMemoryPlot"]
        top = max((max(ys) for ys in drawn if ys), default=0.0)
        if not budget or (top and budget / MIB > 3 * top):
            return
        line = pg.InfiniteLine(
            pos=budget / MIB,
            angle=0,
            pen=pg.mkPen(self.theme.error, width=1.5, style=Qt.PenStyle.DashLine),
            label=f"budget {budget / MIB:,.0f} MiB",
            labelOpts={"position": 0.15, "color": self.theme.error, "anchors": [(0, 1), (0, 1)]},
        )
        self.memoryPlot.addItem(line)
        self.drawn[("sweepMemoryPlot", "budget", True)] = ([], [budget / MIB])

    def _highlight(
        self, x: str, rec: dict[str, Any] | None, measured: list[dict[str, Any]]
    ) -> None:
        if not rec or x not in rec:
            return
        chosen = next((e for e in measured if settings_of(e) == settings_of(rec)), None)
        if chosen is None:
            return
        cx = _x(chosen[x])
        sps, mib = float(chosen["samples_per_s"]), float(chosen.get("peak_pss_total") or 0) / MIB
        ring = {"pen": None, "symbol": "o", "symbolSize": 22, "symbolBrush": None}
        ring["symbolPen"] = pg.mkPen(self.theme.accent, width=3)
        self.throughputPlot.plot([cx], [sps], **ring)
        self.memoryPlot.plot([cx], [mib], **ring)
        for plot, y in ((self.throughputPlot, sps), (self.memoryPlot, mib)):
            text = pg.TextItem("recommended", color=self.theme.accent, anchor=(-0.15, 1.1))
            text.setPos(cx, y)
            plot.addItem(text)
        self.highlighted = (cx, sps, mib)


START_METHODS = ("fork", "forkserver", "spawn")


def _x(value: Any) -> float:
    """Where a setting's value sits on the x axis: numbers as they are, start methods in
    order."""
    if isinstance(value, bool | int | float):
        return float(value)
    return float(START_METHODS.index(value)) if value in START_METHODS else 0.0


def _ticks(field: str, entries: list[dict[str, Any]]) -> list[tuple[float, str]]:
    values = sorted({e[field] for e in entries if field in e}, key=_x)
    return [(_x(v), str(v)) for v in values]
