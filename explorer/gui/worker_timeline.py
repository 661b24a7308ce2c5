"""The worker timeline: a lane per worker with a bar per batch it produced, and a lane for
the main loop showing when it waited for data. A data-bound run shows a solid waiting lane;
a compute-bound one shows workers idle between bars. Hovering a bar names its batch.

It keeps the last ``MAX_BARS`` batches (a long run's timeline shows its recent past) and
redraws on the window's coalescing timer, never per batch.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QToolTip, QVBoxLayout, QWidget

from .palette import DARK, WORKER_COLORS, Theme
from .plot_style import scale_axis_fonts, style_plot
from .timeline_data import MAIN_LANE, TimelineBar

MAX_BARS = 4000
FOLLOW_SPAN_S = 10.0
WAIT_LANE = 0  # y of the main loop's waiting lane; loaders are below it


class WorkerTimeline(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workerTimeline")
        self.theme: Theme = DARK
        self._bars: deque[TimelineBar] = deque(maxlen=MAX_BARS)
        self._lanes: list[int] = []  # loader lanes in display order (MAIN_LANE, 0, 1...)
        self._dirty = False
        self._arrays: dict[str, np.ndarray] = {}
        self._snapshot: list[TimelineBar] = []

        self.plot = pg.PlotWidget()
        self.plot.setObjectName("timelinePlot")
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "time since the run started", units="s")
        item.getAxis("bottom").enableAutoSIPrefix(False)
        item.showGrid(x=True, y=False, alpha=0.15)
        item.setMouseEnabled(x=True, y=False)
        item.hideButtons()
        self.loadBars = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[])
        self.waitBars = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[])
        self.plot.addItem(self.loadBars)
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
        self._bars.clear()
        self._lanes = []
        self._arrays = {}
        self.hoverLabel.clear()
        self.followCheck.setChecked(True)
        self._dirty = True
        self._redraw()

    def add_bars(self, bars: list[TimelineBar]) -> None:
        self._bars.extend(bars)
        self._dirty = True

    def bar_count(self) -> int:
        return len(self._bars)

    def lane_names(self) -> list[str]:
        return ["main loop waits"] + [_lane_name(lane) for lane in self._lanes]

    def bar_at(self, x: float, y: float) -> TimelineBar | None:
        """The batch drawn at (x seconds, y lane), if any."""
        a = self._arrays
        if not a or not len(a["index"]):
            return None
        row = round(y)
        if row == WAIT_LANE:
            hit = (a["wait_start"] <= x) & (x <= a["wait_end"])
        else:
            hit = (a["row"] == row) & (a["fetch_start"] <= x) & (x <= a["fetch_end"])
        found = np.flatnonzero(hit)
        if not len(found):
            return None
        return self._snapshot[int(found[-1])]

    def describe_at(self, x: float, y: float) -> str:
        bar = self.bar_at(x, y)
        return bar.describe() if bar is not None else ""

    # ----------------------------------------------------------------- drawing
    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        bars = list(self._bars)
        self._snapshot = bars
        lanes = sorted({b.lane for b in bars})
        if lanes != self._lanes:
            self._lanes = lanes
            self._set_lane_ticks()
        row_of = {lane: -(i + 1) for i, lane in enumerate(lanes)}
        n = len(bars)
        a = {
            "index": np.fromiter((b.index for b in bars), int, n),
            "row": np.fromiter((row_of[b.lane] for b in bars), int, n),
            "fetch_start": np.fromiter((b.fetch_start for b in bars), float, n),
            "fetch_end": np.fromiter((b.fetch_end for b in bars), float, n),
            "wait_start": np.fromiter((b.wait_start for b in bars), float, n),
            "wait_end": np.fromiter((b.wait_end for b in bars), float, n),
        }
        self._arrays = a
        brush_of = {lane: _lane_brush(lane, self.theme) for lane in lanes}
        brushes = [brush_of[b.lane] for b in bars]
        # A 1-pixel minimum keeps instant batches visible without hiding the gaps.
        self.loadBars.setOpts(
            x0=a["fetch_start"],
            x1=a["fetch_end"],
            y0=a["row"] - 0.38,
            y1=a["row"] + 0.38,
            brushes=brushes,
            pen=pg.mkPen(self.theme.background, width=0.5),
        )
        waiting = a["wait_end"] - a["wait_start"] > 1e-4
        self.waitBars.setOpts(
            x0=a["wait_start"][waiting],
            x1=a["wait_end"][waiting],
            y0=np.full(int(waiting.sum()), WAIT_LANE - 0.38),
            y1=np.full(int(waiting.sum()), WAIT_LANE + 0.38),
            brush=pg.mkBrush(self.theme.error),
            pen=pg.mkPen(None),
        )
        vb = self.plot.getPlotItem().getViewBox()
        vb.setYRange(-len(lanes) - 0.6, 0.6, padding=0)
        if self.followCheck.isChecked() and n:
            end = float(max(a["fetch_end"].max(), a["wait_end"].max()))
            first = float(min(a["fetch_start"].min(), a["wait_start"].min()))
            start = max(first, end - FOLLOW_SPAN_S)
            vb.setXRange(start, max(end, start + 0.05), padding=0.02)

    def _set_lane_ticks(self) -> None:
        ticks = [(WAIT_LANE, "main loop waits")]
        ticks += [(-(i + 1), _lane_name(lane)) for i, lane in enumerate(self._lanes)]
        self.plot.getPlotItem().getAxis("left").setTicks([ticks])

    def set_font_scale(self, scale: float) -> None:
        scale_axis_fonts(self.plot, scale)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme)
        self._dirty = True

    # ----------------------------------------------------------------- interaction
    def _stop_following(self, *_: object) -> None:
        self.followCheck.setChecked(False)

    def _set_following(self, on: bool) -> None:
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


def _lane_name(lane: int) -> str:
    return "main process loads" if lane == MAIN_LANE else f"worker {lane}"


def _lane_brush(lane: int, theme: Theme) -> pg.QtGui.QBrush:
    color = theme.accent if lane == MAIN_LANE else WORKER_COLORS[lane % len(WORKER_COLORS)]
    return pg.mkBrush(color)
