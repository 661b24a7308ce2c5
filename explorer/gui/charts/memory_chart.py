"""The live memory chart: one curve per process role (main, worker-N, helpers) in MiB over
seconds since the run started, the RSS and PSS totals, and markers for run events.

Sweeps go into per-role buffers as they arrive; a timer redraws at most ``REDRAW_HZ`` times a
second and only when something changed, so the chart never stalls the window however fast
data comes in.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import psutil
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ...core.run.events import MemorySweep, ProcessesChanged
from ...core.units import format_bytes
from ..palette import DARK, Theme, role_color
from .marker_lines import MarkerLines
from .plot_style import hold_axis_width, scale_axis_fonts, style_plot
from .series_buffer import SeriesBuffer
from .steady_label import SteadyLabel
from .tick_grid import TickGrid

MiB = 1024.0 * 1024.0
REDRAW_HZ = 15
MAX_OVERLAYS = 5
MAX_SPARE = 16  # hidden curves kept for the next run's processes
SPARE_MARKERS = 4  # hidden marker lines ready for a run's start (see MemoryChart._prepare)
KEEP_FRAME_S = 3.0  # see MemoryChart._set_ranges
AXIS_WIDEST = "88888"  # MiB: the memory axis has room for 5 digits, up to 97 GiB
METRICS = (("RSS", "rss"), ("USS", "uss"), ("PSS", "pss"))
COLUMN = {"rss": 1, "uss": 2, "pss": 3}  # buffer columns: t, rss, uss, pss, break
FOLLOW = (("Whole run", 0.0), ("Last 30 s", 30.0), ("Last 60 s", 60.0), ("Last 5 min", 300.0))
METRIC_TIPS = {
    "rss": "Resident set size: pages in RAM, shared ones counted in every process that maps them.",
    "uss": "Unique set size: pages only this process has; what you get back if it exits.",
    "pss": "Proportional set size: private pages plus a fair share of shared ones; sums to "
    "what the processes really cost together (Linux only).",
}


class _RoleSeries:
    def __init__(self, role: str, curve: pg.PlotDataItem) -> None:
        self.role = role
        self.curve = curve
        self.pid: int | None = None
        self.buffer = SeriesBuffer(5)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten ≥ ``value``."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * power >= value * (1 - 1e-12):
            return m * power
    return 10 * power


def time_ceiling(value: float) -> float:
    """The time axis's end for a whole run: 2, 5, 10, 20, 50 ... seconds, the smallest ≥
    ``value``. Three steps a decade, from 2 s: the first seconds of a run used to change the
    axis 17 times (each change redraws its text, about 11 ms of the GUI thread), just when
    the run's start keeps the window busiest."""
    end, factors = 2.0, itertools.cycle((2.5, 2.0, 2.0))  # 2, 5, 10, 20, 50, 100 ...
    while end < value * (1 - 1e-12):
        end *= next(factors)
    return end


class MemoryChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = DARK
        # Not "metric": that is a virtual method of QPaintDevice, and Qt calls it (font
        # changes do): shadowing it with a string crashes the process.
        self.metric_key = "rss"
        self.follow_s = 0.0
        self._series: dict[str, _RoleSeries] = {}
        self._spare: dict[str, pg.PlotDataItem] = {}  # curves of roles gone, hidden (clear)
        self._totals = {"rss": SeriesBuffer(2), "pss": SeriesBuffer(2)}
        self._shm = SeriesBuffer(2)
        self._history: list[dict[str, np.ndarray]] = []  # earlier runs' totals, newest last
        self._overlays: list[pg.PlotDataItem] = []
        self._pids_now: frozenset[int] = frozenset()
        self._pids_at_pss: frozenset[int] = frozenset()
        self._decluttered: tuple = ()  # what the captions were last laid out for
        self._t_max = 0.0
        self._ranges: tuple = ()
        self._floor: tuple = ()
        self._dirty = False
        self._held = False  # see hold()
        self._held_markers: list[tuple[float, str, bool]] = []  # markers that came meanwhile
        self._legend_stale = False  # a process came or went meanwhile

        bar = self._controls_bar()
        self._make_plot()
        self._marker_lines = MarkerLines(
            self.plot, {"position": 0.96, "anchors": [(0, 0.5), (0, 0.5)]}, SPARE_MARKERS
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legendLabel)

        # Hovering names every process's value at that time (equal curves hide each other).
        self._cursor = pg.InfiniteLine(angle=90, movable=False)
        self._cursor.setVisible(False)
        self.plot.addItem(self._cursor, ignoreBounds=True)
        self._hover = pg.SignalProxy(
            self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved
        )

        self._timer = QTimer(self, interval=int(1000 / REDRAW_HZ))
        self._timer.timeout.connect(self.redraw)
        self._timer.start()
        self.set_theme(DARK)
        # Room, from the start, for what a run with two workers shows: the first run's
        # legend and totals then fit without resizing the chart (see SteadyLabel).
        pid = 99999
        roles = [("main", pid), ("worker-0", pid), ("worker-1", pid)]
        self.legendLabel.reserve(self._legend_html(roles))
        self.totalsLabel.reserve(self._totals_html("1023.9 MiB", "1023.9 MiB"))
        # And the curves a first run with two workers draws, made now and hidden: made after
        # the forks, where the workers still share every page the window writes to, one
        # took 6.4 ms of the GUI thread (a 2.7 GB eager run).
        self._prepare("main", "worker-0", "worker-1")

    def _controls_bar(self) -> QHBoxLayout:
        """Metric, view span, earlier runs, and the totals in words."""
        self.metricCombo = QComboBox(objectName="metricCombo")
        for text, key in METRICS:
            self.metricCombo.addItem(text, key)
            self.metricCombo.setItemData(
                self.metricCombo.count() - 1, METRIC_TIPS[key], Qt.ItemDataRole.ToolTipRole
            )
        if not psutil.LINUX:  # PSS is a Linux figure
            self.metricCombo.model().item(2).setEnabled(False)
        self.metricCombo.setToolTip("Which memory figure the per-process curves show.")
        self.metricCombo.currentIndexChanged.connect(self._on_metric)
        self.followCombo = QComboBox(objectName="followCombo")
        for text, span in FOLLOW:
            self.followCombo.addItem(text, span)
        self.followCombo.setToolTip("Show the whole run, or follow its last seconds.")
        self.followCombo.currentIndexChanged.connect(self._on_follow)
        self.overlayCheck = QCheckBox("Earlier runs", objectName="overlayCheck")
        self.overlayCheck.setToolTip(
            "Overlay the Σ RSS and Σ PSS of this session's earlier runs, faintly, to compare."
        )
        self.overlayCheck.toggled.connect(self._draw_overlays)
        # word-wrapped: never force the chart wider than its splitter share
        self.totalsLabel = SteadyLabel("memoryTotals")
        self.totalsLabel.setToolTip(
            "Σ PSS is what the processes really cost together; Σ RSS is what naive tools add "
            "up, counting every shared page once per process."
        )

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Metric"))
        bar.addWidget(self.metricCombo)
        bar.addSpacing(12)
        bar.addWidget(QLabel("View"))
        bar.addWidget(self.followCombo)
        bar.addWidget(self.overlayCheck)
        bar.addSpacing(12)
        bar.addWidget(self.totalsLabel, 1)
        return bar

    def _make_plot(self) -> None:
        """The plot, its totals curves, and the legend row under it."""
        self.plot = pg.PlotWidget()  # its keyword arguments go to the PlotItem, so:
        self.plot.setObjectName("memoryChart")
        self.plot.setMinimumHeight(220)
        item = self.plot.getPlotItem()
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        self.grid = TickGrid(self.plot, x=True, y=True, alpha=0.15)
        item.setLabel("left", "memory", units="MiB")
        item.setLabel("bottom", "time since the run started", units="s")
        item.getAxis("left").enableAutoSIPrefix(False)
        item.getAxis("bottom").enableAutoSIPrefix(False)
        item.setMouseEnabled(x=True, y=False)
        # The legend is a row under the plot, not inside it: inside, it hides curves and
        # marker captions; outside, it is readable from the back of a room.
        self.legendLabel = SteadyLabel("memoryLegend")
        self._total_curves = {
            "rss": self.plot.plot(
                name="total RSS", pen=pg.mkPen(width=2, style=Qt.PenStyle.DotLine)
            ),
            "pss": self.plot.plot(
                name="total PSS",
                pen=pg.mkPen(width=2, style=Qt.PenStyle.DashLine),
                symbol="o",
                symbolSize=5,
            ),
        }
        # Σ PSS is read less often than RSS: from its last reading to now, a dotted line at
        # that value, so it never looks as if it ended where the last reading was.
        self._pss_since = self.plot.plot(name="total PSS since", pen=pg.mkPen(width=2))
        # /dev/shm in use: where workers put the batches they hand over (role "shm")
        self._shm_curve = self.plot.plot(
            name="shm", pen=pg.mkPen("#b07aa1", width=1, style=Qt.PenStyle.DashDotLine)
        )

    # ----------------------------------------------------------------- data in
    def clear(self) -> None:
        """Start a new run; the run so far joins the history that can be overlaid."""
        had_run = len(self._totals["rss"]) > 0
        if had_run:
            self._history.append({k: b.view().copy() for k, b in self._totals.items()})
            del self._history[:-MAX_OVERLAYS]
        self._shm.clear()
        # Hidden, not removed: the next run's processes mostly have the same roles, and their
        # curves are shown again (_add_series). Taking an item out of the plot cost the GUI
        # thread 0.37 ms (see marker_lines), and making the next one more, at Run.
        for series in self._series.values():
            series.curve.setVisible(False)
            series.curve.setData([], [])
        # This run's roles (main first) before those left from earlier runs: past MAX_SPARE
        # the dict's last go first, the stale roles and then this run's highest workers.
        self._spare = {**{s.role: s.curve for s in self._series.values()}, **self._spare}
        self._series.clear()
        while len(self._spare) > MAX_SPARE:
            self.plot.removeItem(self._spare.popitem()[1])
        for buf in self._totals.values():
            buf.clear()
        self._marker_lines.clear()
        self._held_markers.clear()
        self._decluttered = ()
        self._t_max = 0.0
        # the last run's frame, kept through this run's start (none before the first run)
        self._floor = self._ranges if had_run else ()
        self.totalsLabel.setText("")
        self.legendLabel.setText("")
        self._dirty = True
        self._draw_overlays()
        self.redraw()

    def expect_workers(self, workers: int, main_rss: int) -> None:
        """The run just started (``clear``) will fork ``workers`` workers from a main process
        of ``main_rss`` bytes resident. Where no earlier run left a frame to keep through its
        start (the session's first), this sets one: the time axis to 5 s, and the memory axis
        to the main process's RSS times one plus the workers, each of which starts about as
        resident as the process it was forked from. The axes then change before the forks
        (at the latest when ``hold`` begins), not as the workers appear: in the first run,
        that change (the axes' text drawn anew, every curve clipped anew) came just after
        the forks, a redraw and a paint of 16-32 and 29-38 ms of CPU, and the window stopped
        for 45-76 ms."""
        self._prepare(*(f"worker-{k}" for k in range(workers)))  # before the forks
        if not self._floor:
            top = nice_ceiling(main_rss / MiB * (1 + workers) * 1.04)
            self._floor = ((0.0, time_ceiling(KEEP_FRAME_S)), (0.0, top))
            self._dirty = True

    def _draw_overlays(self) -> None:
        for item in self._overlays:
            self.plot.removeItem(item)
        self._overlays.clear()
        if not self.overlayCheck.isChecked():
            return
        for n, run in enumerate(self._history):
            age = len(self._history) - n  # 1 = the previous run
            alpha = max(40, 140 - 30 * (age - 1))
            for key, style in (("rss", Qt.PenStyle.DotLine), ("pss", Qt.PenStyle.DashLine)):
                data = run[key]
                if len(data):
                    color = pg.mkColor(self.theme.muted if key == "rss" else self.theme.total_pss)
                    color.setAlpha(alpha)
                    item = self.plot.plot(
                        data[:, 0], data[:, 1], pen=pg.mkPen(color, width=1, style=style)
                    )
                    item.setZValue(-10)
                    self._overlays.append(item)

    def overlay_count(self) -> int:
        return len(self._overlays)

    def add_sweep(self, sweep: MemorySweep) -> None:
        if not sweep.rows:  # nothing alive to measure (a traced job that has ended)
            return
        rss_total = 0
        pss_total: int | None = 0
        for row in sweep.rows:
            series = self._series.get(row.role) or self._add_series(row.role)
            if series.pid is not None and series.pid != row.pid:  # a new process, same role
                series.buffer.append((sweep.t, np.nan, np.nan, np.nan, 1.0))
            if series.pid != row.pid:
                series.pid = row.pid
                self._relabel(series)
            series.buffer.append(
                (
                    sweep.t,
                    row.rss / MiB,
                    _mib(row.uss),
                    _mib(row.pss),
                    0.0,
                )
            )
            rss_total += row.rss
            pss_total = None if pss_total is None or row.pss is None else pss_total + row.pss
        self._totals["rss"].append((sweep.t, rss_total / MiB))
        self._pids_now = frozenset(r.pid for r in sweep.rows)
        if pss_total is not None and sweep.rows:
            self._totals["pss"].append((sweep.t, pss_total / MiB))
            self._pids_at_pss = self._pids_now
        system = sweep.system
        if system is not None and system.shm_used is not None:
            self._shm.append((sweep.t, system.shm_used / MiB))
        self._t_max = max(self._t_max, sweep.t)
        self._update_totals_label()
        self._dirty = True

    def processes_changed(self, event: ProcessesChanged) -> None:
        workers_in = [r for r, _ in event.started if r.startswith("worker-")]
        workers_out = [r for r, _ in event.exited if r.startswith("worker-")]
        if workers_in:
            n = len(workers_in)
            self.add_marker(event.t, f"{n} worker{'s' * (n > 1)} started", minor=True)
        if workers_out:
            self.add_marker(event.t, "workers gone", minor=True)

    def add_marker(self, t: float, text: str, minor: bool = False) -> None:
        """A vertical line at ``t`` with a caption; ``minor`` captions give way to the others
        where there is no room for both."""
        if self._held:
            self._held_markers.append((t, text, minor))
            self._t_max = max(self._t_max, t)
            return
        pen = pg.mkPen(self.theme.marker, width=1, style=Qt.PenStyle.DashLine)
        line = self._marker_lines.add(t, text, pen, self.theme.marker, self._marker_font())
        line.minor = minor
        self._t_max = max(self._t_max, t)
        self._dirty = True

    def curve_names(self) -> list[str]:
        return [s.role for s in self._series.values()]

    @property
    def _markers(self) -> list[pg.InfiniteLine]:
        return self._marker_lines.shown

    def markers(self) -> list[str]:
        return [m.label.format for m in self._markers]

    def values_at(self, t: float) -> list[tuple[str, float | None]]:
        """Each process's value (MiB, the chosen metric) at time ``t`` (its last reading at or
        before ``t``; None where none was read yet), then Σ RSS and Σ PSS."""
        col = COLUMN[self.metric_key]
        out: list[tuple[str, float | None]] = []
        for series in self._series.values():
            data = series.buffer.view()
            i = int(np.searchsorted(data[:, 0], t, side="right"))
            breaks = np.flatnonzero(data[:i, 4] > 0)  # a new process of the same role
            start = int(breaks[-1]) + 1 if len(breaks) else 0
            if i <= start:
                continue  # not alive yet at t
            read = np.flatnonzero(np.isfinite(data[start:i, col]))
            out.append((series.role, float(data[start + read[-1], col]) if len(read) else None))
        for key, name in (("rss", "Σ RSS"), ("pss", "Σ PSS")):
            data = self._totals[key].view()
            i = int(np.searchsorted(data[:, 0], t, side="right"))
            out.append((name, float(data[i - 1, 1]) if i else None))
        return out

    def hover_text(self, t: float) -> str:
        metric = self.metric_key.upper()
        rows = [
            f"{name}: {'…' if v is None else format_bytes(v * MiB)}"
            for name, v in self.values_at(t)
        ]
        return f"{t:.1f} s ({metric})\n" + "\n".join(rows)

    def _on_mouse_moved(self, args: tuple) -> None:
        pos = args[0]
        box = self.plot.getPlotItem().getViewBox()
        if not box.sceneBoundingRect().contains(pos) or not self._series:
            self._cursor.setVisible(False)
            QToolTip.hideText()
            return
        t = box.mapSceneToView(pos).x()
        self._cursor.setValue(t)
        self._cursor.setVisible(True)
        QToolTip.showText(QCursor.pos(), self.hover_text(t), self.plot)

    # ----------------------------------------------------------------- drawing
    def hold(self, held: bool) -> None:
        """Leave the chart as it is until ``hold(False)``: no redraw, no paint, no new marker
        or legend (what comes in meanwhile is kept, and shown then). What is pending when
        the hold begins is drawn, and painted, first. The window holds the chart while the
        engine forks its workers (it hears of the forks before they begin), so the run's
        frame (``expect_workers``) is drawn before them. Each fork holds the interpreter
        lock for about 10 ms, and whatever the window writes to after a fork gets copied,
        page by page, while the new worker still shares it. On a 2-core machine, a redraw
        begun as the forks began took 38 ms of wall time (14 ms of CPU) and stopped the
        window for 91 ms; a paint among them, 13 ms (490 copied pages), and a marker for
        the first worker, added between the two forks, 20 ms (1,081)."""
        if held == self._held:
            return
        if held:
            if self._dirty:
                self.redraw()
                # and painted now: a paint left to the event loop came during the forks (the
                # forks of an epoch after the first wait for no window), copying 1,309 pages
                self.plot.viewport().repaint()
            self._held = True
            self.plot.setUpdatesEnabled(False)
            return
        self._held = False
        self.plot.setUpdatesEnabled(True)
        # on the event loop's next turn: what was left waits no longer than the window's
        # other events, which the forks kept waiting too
        QTimer.singleShot(0, self._catch_up)

    def _catch_up(self) -> None:
        """Add the markers and the legend entries that came while the chart was held."""
        if self._held:  # held again meanwhile: at the next release
            return
        waiting, self._held_markers = self._held_markers, []
        for t, text, minor in waiting:
            self.add_marker(t, text, minor)
        if self._legend_stale:
            self._update_legend()

    def redraw(self) -> None:
        if not self._dirty or self._held:
            return
        self._dirty = False
        col = COLUMN[self.metric_key]
        for series in self._series.values():
            data = series.buffer.view()
            if self.metric_key == "rss":
                series.curve.setData(data[:, 0], data[:, col], connect="finite")
            else:
                keep = np.isfinite(data[:, col]) | (data[:, 4] > 0)
                series.curve.setData(data[keep, 0], data[keep, col], connect="finite")
        shm = self._shm.view()
        self._shm_curve.setData(shm[:, 0], shm[:, 1])
        for key, curve in self._total_curves.items():
            data = self._totals[key].view()
            curve.setData(data[:, 0], data[:, 1])
        last = self._totals["pss"].last()
        if last is not None and self._t_max > last[0]:
            self._pss_since.setData([last[0], self._t_max], [last[1], last[1]])
        else:
            self._pss_since.setData([], [])
        self._declutter_markers()
        self._set_ranges()

    def _set_ranges(self) -> None:
        """Axes that move in steps, not with every sweep: redrawing an axis's text costs the
        GUI thread milliseconds (pyqtgraph renders it anew whenever its range changes), and a
        chart that rescales in calm steps is easier to read on a projector. A new run keeps
        the last run's frame for its first ``KEEP_FRAME_S`` seconds, the busiest of the run
        (workers forking, first batches), and fits its own data after."""
        item = self.plot.getPlotItem()
        item.disableAutoRange()
        if self.follow_s > 0:  # the last N seconds, sliding on by a tenth of N at a time
            step = self.follow_s / 10
            hi = max(self.follow_s, math.ceil(self._t_max / step) * step)
            x_range = (hi - self.follow_s, hi)
        else:
            x_range = (0.0, time_ceiling(self._t_max))
        top = 0.0
        for curve in self.plot.getPlotItem().listDataItems():
            if not curve.isVisible():
                continue
            xs, ys = curve.getData()
            if ys is None or not len(ys):
                continue
            shown = ys[(xs >= x_range[0]) & np.isfinite(ys)]
            if len(shown):
                top = max(top, float(shown.max()))
        y_range = (0.0, nice_ceiling(top * 1.04))
        if self._floor and self._t_max < KEEP_FRAME_S:
            (_, x_floor), (_, y_floor) = self._floor
            if self.follow_s <= 0:
                x_range = (0.0, max(x_range[1], x_floor))
            y_range = (0.0, max(y_range[1], y_floor))
        if (x_range, y_range) != self._ranges:
            self._ranges = (x_range, y_range)
            item.setXRange(*x_range, padding=0)
            item.setYRange(*y_range, padding=0)

    def set_font_scale(self, scale: float) -> None:
        """Axis text and marker captions grow with the window's text (presentation mode)."""
        self.font_scale = scale
        scale_axis_fonts(self.plot, scale)
        hold_axis_width(self.plot, AXIS_WIDEST)
        for line in self._markers:
            line.label.setFont(self._marker_font())
        self._dirty = True

    def _marker_font(self):  # type: ignore[no-untyped-def]
        font = self.font()
        font.setPointSizeF(max(7.0, 10.0 * getattr(self, "font_scale", 1.0)))
        font.setBold(True)
        return font

    def _declutter_markers(self) -> None:
        """Caption a marker only where it has room: a label closer than ~7% of the visible time
        span to the last captioned one is hidden (its line stays). Worked out again only when
        the markers or the span have changed: each caption moved is Python work on the GUI
        thread, and this runs with every redraw."""
        if not self._markers:
            return
        lo, hi = self.plot.getPlotItem().viewRange()[0]
        if self.follow_s <= 0:
            lo, hi = 0.0, max(self._t_max, 1e-6)
        scale = getattr(self, "font_scale", 1.0)
        key = (len(self._markers), lo, hi, scale)  # ``clear`` forgets it: markers only grow
        if key == self._decluttered:
            return
        self._decluttered = key
        min_gap = 0.07 * scale * max(hi - lo, 1e-6)
        shown: list[float] = []
        for minor in (False, True):  # major captions first, minor ones where room is left
            for line in self._markers:
                if line.minor != minor:
                    continue
                show = all(abs(line.value() - t) >= min_gap for t in shown)
                if show != line.label.isVisible():
                    line.label.setVisible(show)
                if show:
                    shown.append(line.value())
        # Stagger the shown captions over four heights in time order: neighbours never share one.
        visible = sorted((m for m in self._markers if m.label.isVisible()), key=lambda m: m.value())
        for k, line in enumerate(visible):
            height = 0.96 - 0.07 * (k % 4)
            if line.label.orthoPos != height:
                line.label.setPosition(height)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme)
        self.grid.update()  # in the axes' new colour
        hold_axis_width(self.plot, AXIS_WIDEST)
        for series in self._series.values():
            series.curve.setPen(pg.mkPen(role_color(series.role, theme), width=2))
        self._total_curves["rss"].setPen(pg.mkPen(theme.muted, width=2, style=Qt.PenStyle.DotLine))
        self._total_curves["pss"].setPen(
            pg.mkPen(theme.total_pss, width=2, style=Qt.PenStyle.DashLine)
        )
        self._total_curves["pss"].setSymbolPen(None)
        self._total_curves["pss"].setSymbolBrush(theme.total_pss)
        self._pss_since.setPen(pg.mkPen(theme.total_pss, width=2, style=Qt.PenStyle.DotLine))
        self._cursor.setPen(pg.mkPen(theme.muted, width=1))
        for line in self._markers:
            line.setPen(pg.mkPen(theme.marker, width=1, style=Qt.PenStyle.DashLine))
            line.label.setColor(theme.marker)
        self._update_totals_label()
        self._update_legend()

    # ----------------------------------------------------------------- internals
    def _prepare(self, *roles: str) -> None:
        """Hidden curves for ``roles`` that have none, and hidden marker lines: what a
        run's start would otherwise make (see _add_series and MarkerLines)."""
        for role in roles:
            if role not in self._spare and role not in self._series:
                curve = self.plot.plot(name=role)
                curve.setVisible(False)
                self._spare[role] = curve
        self._marker_lines.prepare(SPARE_MARKERS)

    def _add_series(self, role: str) -> _RoleSeries:
        pen = pg.mkPen(role_color(role, self.theme), width=2)
        curve = self._spare.pop(role, None)
        if curve is None:
            curve = self.plot.plot(name=role, pen=pen)
        else:
            curve.setPen(pen)  # the theme may have changed meanwhile
            curve.setVisible(True)
        series = _RoleSeries(role, curve)
        self._series[role] = series
        return series

    def _relabel(self, series: _RoleSeries) -> None:
        self._update_legend()

    def legend_entries(self) -> list[str]:
        return [f"{s.role} · pid {s.pid}" for s in self._series.values()]

    def _update_legend(self) -> None:
        self._legend_stale = self._held
        if self._held:
            return
        roles = [(s.role, s.pid) for s in self._series.values()]
        self.legendLabel.setText(self._legend_html(roles) if roles else "")

    def _legend_html(self, roles: list[tuple[str, int | None]]) -> str:
        t = self.theme
        entries = [
            f"<span style='color:{role_color(role, t)}; font-size:14pt'>━</span> "
            f"{role} <span style='color:{t.muted}'>pid {pid}</span>"
            for role, pid in roles
        ]
        entries += [
            f"<span style='color:{t.muted}; font-size:14pt'>┈</span> total RSS",
            "<span style='color:#b07aa1; font-size:14pt'>-·</span> /dev/shm used",
            f"<span style='color:{t.total_pss}; font-size:14pt'>╌●</span> total PSS "
            f"<span style='color:{t.muted}'>(● where measured, ┈ since)</span>",
        ]
        return " &nbsp;&nbsp; ".join(entries)

    def _update_totals_label(self) -> None:
        rss, pss = self._totals["rss"].last(), self._totals["pss"].last()
        if rss is None:
            self.totalsLabel.setText("")
            return
        # PSS is read less often than RSS: show its total only while it covers the same processes
        current = pss is not None and self._pids_at_pss == self._pids_now
        pss_text = format_bytes(pss[1] * MiB) if current else "…"
        self.totalsLabel.setText(self._totals_html(pss_text, format_bytes(rss[1] * MiB)))

    def _totals_html(self, pss: str, rss: str) -> str:
        return (
            f"<span style='color:{self.theme.total_pss}'><b>Σ PSS {pss}</b></span> "
            f"<span style='color:{self.theme.muted}'>real cost</span> &nbsp; "
            f"<b>Σ RSS {rss}</b> "
            f"<span style='color:{self.theme.muted}'>naive sum, shared pages counted twice</span>"
        )

    def _on_metric(self) -> None:
        self.metric_key = self.metricCombo.currentData()
        self._dirty = True
        self.redraw()

    def _on_follow(self) -> None:
        self.follow_s = float(self.followCombo.currentData())
        self._dirty = True
        self.redraw()


def _mib(value: int | None) -> float:
    return np.nan if value is None else value / MiB
