"""Grid lines at the axes' ticks, drawn inside the plot's view rather than by the axes.

pyqtgraph draws a plot's grid with its axes, so an axis with a grid covers the whole plot.
The window keeps each axis as a pixmap (``plot_style.style_plot``: its text is slow to draw);
with the grid in it, that pixmap was the size of the plot, two of them 3 MiB of the idle
window at 1500x860 and more on a larger screen. Here the axes keep only their own strip, and
these few lines are drawn with the curves: the same tick positions, the same fading by level.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen


class TickGrid(pg.GraphicsObject):
    """Vertical lines at the bottom axis's ticks (``x``), horizontal ones at the left axis's
    (``y``); ``alpha`` as in ``PlotItem.showGrid``."""

    def __init__(self, plot: pg.PlotItem, x: bool = True, y: bool = True, alpha: float = 0.15):
        super().__init__()
        self._axes = [plot.getAxis(name) for name, on in (("bottom", x), ("left", y)) if on]
        self._alpha = alpha
        self.setZValue(-1000)  # under every curve
        plot.getViewBox().addItem(self, ignoreBounds=True)

    def boundingRect(self) -> QRectF:
        view = self.getViewBox()
        return view.viewRect() if view is not None else QRectF()

    def viewRangeChanged(self) -> None:  # pyqtgraph calls it when the view moves or resizes
        self.prepareGeometryChange()
        self.update()

    def paint(self, painter: QPainter, *_: object) -> None:
        view = self.getViewBox()
        if view is None:
            return
        rect = view.viewRect()
        for axis in self._axes:
            vertical = axis.orientation in ("bottom", "top")
            low, high = (rect.left(), rect.right()) if vertical else (rect.top(), rect.bottom())
            pixels = view.width() if vertical else view.height()
            for level, values in enumerate(_tick_levels(axis, low, high, pixels)):
                inside = [v for v in values if low <= v <= high]
                if not inside:
                    continue
                # pyqtgraph's own fading: fainter by level, and where the ticks are dense
                fade = min(max(0.05 * pixels / (len(values) + 1), 0.0), 1.0)
                color = QColor(axis.tickPen().color())
                color.setAlpha(int(255 / (level + 1) * self._alpha * fade))
                pen = QPen(color, 1)
                pen.setCosmetic(True)
                painter.setPen(pen)
                if vertical:
                    painter.drawLines([QLineF(v, rect.top(), v, rect.bottom()) for v in inside])
                else:
                    painter.drawLines([QLineF(rect.left(), v, rect.right(), v) for v in inside])


def _tick_levels(axis: pg.AxisItem, low: float, high: float, pixels: float) -> list[list[float]]:
    """The tick values the axis draws, level by level (major first)."""
    if axis._tickLevels is not None:  # ticks set by hand (AxisItem.setTicks)
        return [[value for value, _ in level] for level in axis._tickLevels]
    if pixels <= 0 or high <= low:
        return []
    return [list(values) for _, values in axis.tickValues(low, high, pixels)]
