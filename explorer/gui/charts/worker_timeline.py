"""The worker timeline: a lane per worker with a bar per batch it produced, and a lane for
the main loop showing when it waited for data. A data-bound run shows a solid waiting lane;
a compute-bound one shows workers idle between bars. Hovering a bar names its batch.

It keeps the last ``MAX_BARS`` batches (a long run's timeline shows its recent past) and
redraws on the window's coalescing timer, never per batch.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QCursor, QShowEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QToolTip, QVBoxLayout, QWidget

from ..palette import DARK, WORKER_COLORS, Theme
from .plot_style import scale_axis_fonts, style_plot
from .tick_grid import TickGrid
from .timeline_data import ROW, TimelineBar, bar_of, lane_name, lane_worker

MAX_BARS = 4000
FOLLOW_SPAN_S = 10.0
WAIT_LANE = 0  # y of the main loop's waiting lane; loaders are below it


class WorkerTimeline(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workerTimeline")
        self.theme: Theme = DARK
        self._data = np.zeros(0, ROW)  # the last MAX_BARS batches, oldest first
        self._lanes: list[int] = []  # loader lanes in display order (MAIN_LANE, 0, 1...)
        self._items: dict[int, pg.BarGraphItem] = {}  # one bar item per lane: one brush each
        self._dirty = False
        self._x_range: tuple[float, float] | None = None

        self.plot = pg.PlotWidget()
        self.plot.setObjectName("timelinePlot")
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "time since the run started", units="s")
        item.getAxis("bottom").enableAutoSIPrefix(False)
        self.grid = TickGrid(self.plot, x=True, y=False, alpha=0.15)
        item.setMouseEnabled(x=True, y=False)
        item.hideButtons()
        self.waitBars = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[])
        self.plot.addItem(self.waitBars)
        item.getViewBox().sigRangeChangedManually.connect(self._stop_following)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self.followCheck = QCheckBox("Follow", objectName="timelineFollow", checked=True)
        self.followCheck.setToolTip("Keep the last 10 s in view (drag the chart to look back)")
        self.followCheck.toggled.connect(self._set_following)
        self.hoverLabel = QLabel(objectName="timelineHover")
        self.hoverLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        legend = QLabel(
            "Bars: a batch being loaded, by whom. Red: the main loop waiting for data.",
            objectName="timelineLegend",
        )
        header = QHBoxLayout()
        header.addWidget(legend)
        header.addStretch(1)
        header.addWidget(self.followCheck)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.hoverLabel)

        self._timer = QTimer(self, interval=100)  # 10 Hz is plenty for bars
        self._timer.timeout.connect(self._redraw)
        self._timer.start()
        self.set_theme(DARK)

    # ----------------------------------------------------------------- data
    def clear(self) -> None:
        # Drawn by the timer, not now: Run is the window's busiest moment, and the lanes'
        # axis text, drawn anew, cost 5-11 ms of it (the Copy-on-read lesson). Until the new
        # run's first bars, the last run's lanes stay, empty (see _redraw).
        self._data = np.zeros(0, ROW)
        self._x_range = None
        self.hoverLabel.clear()
        self.followCheck.setChecked(True)
        self._dirty = True

    def add_bars(self, rows: list[tuple]) -> None:
        """Bars as timeline_data.bar_row tuples (what EventRelay sends)."""
        new = np.array(rows, ROW)
        keep = max(0, MAX_BARS - len(new))
        self._data = np.concatenate((self._data[len(self._data) - keep :], new[-MAX_BARS:]))
        self._dirty = True

    def bar_count(self) -> int:
        return len(self._data)

    def bars(self) -> list[TimelineBar]:
        return [bar_of(row) for row in self._data]

    def lane_names(self) -> list[str]:
        return ["main loop waits"] + [lane_name(lane) for lane in self._lanes_in_data()]

    def _lanes_in_data(self) -> list[int]:
        # Not np.unique: its first call imports numpy.ma, 40 ms on the GUI thread at Run.
        return sorted(set(self._data["lane"].tolist()))

    def bar_at(self, x: float, y: float) -> TimelineBar | None:
        """The batch drawn at (x seconds, y lane), if any."""
        d = self._data
        if not len(d):
            return None
        row = round(y)
        if row == WAIT_LANE:
            hit = (d["wait_start"] <= x) & (x <= d["wait_end"])
        else:
            lanes = self._lanes_in_data()
            if not 1 <= -row <= len(lanes):
                return None
            lane = lanes[-row - 1]
            hit = (d["lane"] == lane) & (d["fetch_start"] <= x) & (x <= d["fetch_end"])
        found = np.flatnonzero(hit)
        return bar_of(d[found[-1]]) if len(found) else None

    def describe_at(self, x: float, y: float) -> str:
        bar = self.bar_at(x, y)
        return bar.describe() if bar is not None else ""

    # ----------------------------------------------------------------- drawing
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._redraw()  # drawn only while visible

    def _redraw(self) -> None:
        if not self._dirty or not self.isVisible():
            return
        self._dirty = False
        d = self._data
        lanes = self._lanes_in_data() if len(d) else self._lanes
        if lanes != self._lanes:
            self._lanes = lanes
            self._set_lane_ticks()
            for gone in [lane for lane in self._items if lane not in lanes]:
                self.plot.removeItem(self._items.pop(gone))
        for i, lane in enumerate(lanes):
            lane_item = self._items.get(lane)
            if lane_item is None:
                lane_item = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[])
                self.plot.addItem(lane_item)
                self._items[lane] = lane_item
            mine = d[d["lane"] == lane]
            row = -(i + 1)
            lane_item.setOpts(
                x0=mine["fetch_start"],
                x1=mine["fetch_end"],
                y0=np.full(len(mine), row - 0.38),
                y1=np.full(len(mine), row + 0.38),
                brush=_lane_brush(lane, self.theme),
                pen=pg.mkPen(self.theme.background, width=0.5),
            )
        waiting = d[d["wait_end"] - d["wait_start"] > 1e-4]
        self.waitBars.setOpts(
            x0=waiting["wait_start"],
            x1=waiting["wait_end"],
            y0=np.full(len(waiting), WAIT_LANE - 0.38),
            y1=np.full(len(waiting), WAIT_LANE + 0.38),
            brush=pg.mkBrush(self.theme.error),
            pen=pg.mkPen(None),
        )
        vb = self.plot.getPlotItem().getViewBox()
        vb.setYRange(-len(lanes) - 0.6, 0.6, padding=0)
        if self.followCheck.isChecked() and len(d):
            # Slides on by a tenth of the span at a time: an axis redrawn at every frame
            # costs the GUI thread milliseconds.
            end = float(max(d["fetch_end"].max(), d["wait_end"].max()))
            first = float(min(d["fetch_start"].min(), d["wait_start"].min()))
            step = FOLLOW_SPAN_S / 10
            hi = max(first + step, math.ceil(end / step) * step)
            x_range = (max(first, hi - FOLLOW_SPAN_S), hi)
            if x_range != self._x_range:
                self._x_range = x_range
                vb.setXRange(*x_range, padding=0.02)

    def _set_lane_ticks(self) -> None:
        ticks = [(WAIT_LANE, "main loop waits")]
        ticks += [(-(i + 1), lane_name(lane)) for i, lane in enumerate(self._lanes)]
        self.plot.getPlotItem().getAxis("left").setTicks([ticks])

    def set_font_scale(self, scale: float) -> None:
        scale_axis_fonts(self.plot, scale)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme)
        self.grid.update()  # in the axes' new colour
        self._dirty = True

    # ----------------------------------------------------------------- interaction
    def _stop_following(self, *_: object) -> None:
        self._x_range = None
        self.followCheck.setChecked(False)

    def _set_following(self, on: bool) -> None:
        self._x_range = None
        if on:
            self._dirty = True

    def _on_mouse_moved(self, pos: QPointF) -> None:
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            return
        point = vb.mapSceneToView(pos)
        text = self.describe_at(point.x(), point.y())
        self.hoverLabel.setText(text[:1].upper() + text[1:] if text else "")
        if text:
            QToolTip.showText(QCursor.pos(), self.hoverLabel.text(), self.plot)
        else:
            QToolTip.hideText()


def _lane_brush(lane: int, theme: Theme) -> pg.QtGui.QBrush:
    worker = lane_worker(lane)
    color = theme.accent if worker is None else WORKER_COLORS[worker % len(WORKER_COLORS)]
    return pg.mkBrush(color)
