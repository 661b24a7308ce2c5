"""Samples per second over the run, with the epoch boundaries: is loading steady, does it
dip at each epoch (workers restarting), does it warm up?"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..palette import DARK, Theme
from ..run.run_stats import RunStats
from .marker_lines import MarkerLines
from .plot_style import scale_axis_fonts, style_plot
from .series_buffer import SeriesBuffer
from .tick_grid import TickGrid


class ThroughputChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("throughputChart")
        self.theme: Theme = DARK
        self._buffer = SeriesBuffer(2)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("throughputPlot")
        item = self.plot.getPlotItem()
        item.setLabel("left", "samples/s")
        item.setLabel("bottom", "time since the run started", units="s")
        item.getAxis("bottom").enableAutoSIPrefix(False)
        self.grid = TickGrid(self.plot, x=True, y=True, alpha=0.15)
        item.setMouseEnabled(x=True, y=False)
        self.curve = self.plot.plot(name="samples/s", pen=pg.mkPen(self.theme.accent, width=2))
        self._epochs = MarkerLines(self.plot, {"position": 0.9}, spare=2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.set_theme(DARK)

    def clear(self) -> None:
        self._buffer.clear()
        self._epochs.clear()
        self.curve.setData([], [])

    def add_stats(self, stats: RunStats) -> None:
        self._buffer.append((stats.t, stats.samples_per_s))
        data = self._buffer.view()
        self.curve.setData(data[:, 0], data[:, 1])

    def add_epoch(self, t: float, epoch: int) -> None:
        pen = pg.mkPen(self.theme.marker, style=Qt.PenStyle.DashLine)
        self._epochs.add(t, f"epoch {epoch + 1}", pen, self.theme.marker)

    def epochs(self) -> list[str]:
        """The captions of this run's epoch lines, in the order they came."""
        return [line.label.format for line in self._epochs.shown]

    def point_count(self) -> int:
        return len(self._buffer)

    def set_font_scale(self, scale: float) -> None:
        scale_axis_fonts(self.plot, scale)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme)
        self.grid.update()  # in the axes' new colour
        self.curve.setPen(pg.mkPen(theme.accent, width=2))
