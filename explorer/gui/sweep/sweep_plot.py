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


#: A drawn item: (plot name, series name, kind), kind "measured", "predicted line",
#: "predicted" or "ring" (series "recommended").
ItemKey = tuple[str, str, str]


class SweepPlot(QWidget):
    """Each point measured updates the items already drawn (``setData``) and adds only those
    of a new series: clearing both plots and making every item again took 24-33 ms of the
    window's thread at each point's end (4 points, offscreen), on top of the repaint."""

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
        self._items: dict[ItemKey, pg.PlotDataItem] = {}
        self._titled: tuple[str, str] | None = None  # (x field, theme) of the titles drawn
        self._ticks: list[tuple[float, str]] | None = None
        self._budget: tuple[float, pg.InfiniteLine] | None = None  # MiB, its line
        self._notes: dict[str, pg.TextItem] = {}  # plot name -> "recommended"
        self.set_theme(DARK)

    def _plots(self) -> tuple[pg.PlotWidget, pg.PlotWidget]:
        return self.throughputPlot, self.memoryPlot

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for plot in self._plots():
            style_plot(plot, theme)
            plot.clear()  # the items carry the old theme's colours: made again
        self._items.clear()
        self._notes.clear()
        self._budget = None
        self._titled = None
        self.show_result(self._result)

    def show_result(self, result: dict[str, Any], budget: int | None = None) -> None:
        """Draw the measured points (``sweep``), the predicted ones (``sweep_predicted``), the
        budget line and the recommendation (``summary.recommendation``)."""
        self._result = result
        measured = [e for e in result.get("sweep", []) if e.get("samples_per_s")]
        predicted = list(result.get("sweep_predicted", []))
        x = x_field(measured)
        self.highlighted = None
        self._title(x)
        ticks = _ticks(x, measured + predicted)
        if ticks != self._ticks:
            self._ticks = ticks
            for plot in self._plots():
                plot.getAxis("bottom").setTicks([ticks] if ticks else None)
        wanted: dict[ItemKey, tuple[list[float], list[float], dict[str, Any]]] = {}
        keys = sorted({series_key(e, x) for e in measured}, key=str)
        for n, key in enumerate(keys):
            color = WORKER_COLORS[n % len(WORKER_COLORS)]
            name = label(dict(key)).replace("_", " ") or "measured"
            mine = sorted((e for e in measured if series_key(e, x) == key), key=lambda e: e[x])
            ahead = sorted((e for e in predicted if series_key(e, x) == key), key=lambda e: e[x])
            self._series(wanted, name, color, x, mine, ahead)
        self.drawn = {  # the points (measured or predicted), for the ranges and tests
            (p, name, kind == "measured"): (xs, ys)
            for (p, name, kind), (xs, ys, _) in wanted.items()
            if kind in ("measured", "predicted")
        }
        self._highlight(wanted, x, (result.get("summary") or {}).get("recommendation"), measured)
        self._draw(wanted)
        self._budget_line(budget if budget is not None else result.get("budget"))
        self._set_ranges()

    def _title(self, x: str) -> None:
        """Titles, axis labels and legends: set again only when the x axis or theme changes
        (each title or label set lays its plot out again)."""
        if self._titled == (x, self.theme.name):
            return
        self._titled = (x, self.theme.name)
        for plot, title, unit in (
            (self.throughputPlot, "samples/s", "samples/s"),
            (self.memoryPlot, "peak Σ PSS", "MiB"),
        ):
            plot.setTitle(f"{title} against {x.replace('_', ' ')}", color=self.theme.foreground)
            plot.setLabel("bottom", x.replace("_", " "))
            plot.setLabel("left", unit)
            plot.addLegend(offset=(-10, 10), labelTextColor=self.theme.foreground)

    def _draw(self, wanted: dict[ItemKey, tuple[list[float], list[float], dict[str, Any]]]) -> None:
        """Make the plots hold exactly ``wanted``: items gone are removed (with their legend
        entries), those kept get their new data, new ones are made."""
        plots = {plot.objectName(): plot for plot in self._plots()}
        for key in [k for k in self._items if k not in wanted]:
            plots[key[0]].removeItem(self._items.pop(key))
        for key, (xs, ys, style) in wanted.items():
            item = self._items.get(key)
            if item is None:
                self._items[key] = plots[key[0]].plot(xs, ys, **style)
            else:
                item.setData(xs, ys)

    def _set_ranges(self) -> None:
        """From zero to above the highest point, every x with room: set, not auto-ranged (a
        first point alone left a degenerate range that later points did not widen)."""
        for plot in self._plots():
            name = plot.objectName()
            xs = [x for (p, _, _), (pxs, _) in self.drawn.items() if p == name for x in pxs]
            ys = [y for (p, _, _), (_, pys) in self.drawn.items() if p == name for y in pys]
            if not xs:
                continue
            x_range, y_range = (min(xs) - 0.5, max(xs) + 0.5), (0, max(ys) * 1.2 or 1.0)
            plot.setRange(xRange=x_range, yRange=y_range, padding=0)  # one change, one redraw

    def _series(
        self,
        wanted: dict[ItemKey, tuple[list[float], list[float], dict[str, Any]]],
        name: str,
        color: str,
        x: str,
        measured: list[dict[str, Any]],
        predicted: list[dict[str, Any]],
    ) -> None:
        line = {"pen": pg.mkPen(color, width=2), "symbol": "o", "symbolSize": 9}
        line |= {"symbolBrush": color, "name": name}
        dashed = {"pen": pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine)}
        hollow = {"pen": None, "symbol": "o", "symbolSize": 9, "symbolBrush": None}
        hollow |= {"symbolPen": pg.mkPen(color, width=1.5), "name": f"{name}, predicted"}
        for plot, value in (
            (self.throughputPlot, lambda e: float(e["samples_per_s"])),
            (self.memoryPlot, lambda e: float(e.get("peak_pss_total") or 0) / MIB),
        ):
            p = plot.objectName()
            xs = [_x(e[x]) for e in measured]
            ys = [value(e) for e in measured]
            wanted[(p, name, "measured")] = (xs, ys, line)
            if predicted and measured:
                pxs = [xs[-1]] + [_x(e[x]) for e in predicted]
                pys = [ys[-1]] + [value(e) for e in predicted]
                wanted[(p, name, "predicted line")] = (pxs, pys, dashed)
                wanted[(p, name, "predicted")] = (pxs[1:], pys[1:], hollow)  # not measured

    def _budget_line(self, budget: int | None) -> None:
        """The budget as a dashed line, when it is near enough to the peaks to be read (a
        budget of the machine's whole memory would flatten them); the text says it anyway."""
        drawn = [ys for (plot, _, _), (_, ys) in self.drawn.items() if plot == "sweepMemoryPlot"]
        top = max((max(ys) for ys in drawn if ys), default=0.0)
        mib = budget / MIB if budget and not (top and budget / MIB > 3 * top) else None
        if self._budget is not None and self._budget[0] != mib:
            self.memoryPlot.removeItem(self._budget[1])
            self._budget = None
        if mib is None:
            return
        if self._budget is None:
            line = pg.InfiniteLine(
                pos=mib,
                angle=0,
                pen=pg.mkPen(self.theme.error, width=1.5, style=Qt.PenStyle.DashLine),
                label=f"budget {mib:,.0f} MiB",
                labelOpts={
                    "position": 0.15,
                    "color": self.theme.error,
                    "anchors": [(0, 1), (0, 1)],
                },
            )
            self.memoryPlot.addItem(line)
            self._budget = (mib, line)
        self.drawn[("sweepMemoryPlot", "budget", True)] = ([], [mib])

    def _highlight(
        self,
        wanted: dict[ItemKey, tuple[list[float], list[float], dict[str, Any]]],
        x: str,
        rec: dict[str, Any] | None,
        measured: list[dict[str, Any]],
    ) -> None:
        chosen = None
        if rec and x in rec:
            chosen = next((e for e in measured if settings_of(e) == settings_of(rec)), None)
        for plot in self._plots():
            note = self._notes.get(plot.objectName())
            if note is not None:
                note.setVisible(chosen is not None)
        if chosen is None:
            return
        cx = _x(chosen[x])
        sps, mib = float(chosen["samples_per_s"]), float(chosen.get("peak_pss_total") or 0) / MIB
        ring = {"pen": None, "symbol": "o", "symbolSize": 22, "symbolBrush": None}
        ring["symbolPen"] = pg.mkPen(self.theme.accent, width=3)
        for plot, y in ((self.throughputPlot, sps), (self.memoryPlot, mib)):
            wanted[(plot.objectName(), "recommended", "ring")] = ([cx], [y], ring)
            note = self._notes.get(plot.objectName())
            if note is None:
                note = pg.TextItem("recommended", color=self.theme.accent, anchor=(-0.15, 1.1))
                plot.addItem(note)
                self._notes[plot.objectName()] = note
            note.setPos(cx, y)
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
