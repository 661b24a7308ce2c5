"""Grid lines at the axes' ticks, drawn inside the plot's view rather than by the axes.

pyqtgraph draws a plot's grid with its axes, so an axis with a grid covers the whole plot.
The window keeps each axis as a pixmap (``plot_style.style_plot``: its text is slow to draw);
with the grid in it, that pixmap was the size of the plot, two of them 3 MiB of the idle
window at 1500x860 and more on a larger screen. Here the axes keep only their own strip, and
the grid is a few path items in the view, one per tick level, fading by level as pyqtgraph's.

The paths are Qt's own items, painted by Qt without calling Python: during a run, any Python
on the GUI thread waits for the interpreter lock, and a grid item painted in Python cost the
chart 7-9 ms a frame. The paths change only when the view's range or size does, which the
chart keeps to a few steps. And the plot repaints its whole view each time: clipped to the
many small rectangles that a frame's curves change, the lines took 3 ms more a frame (median
6.5 against 3.5 ms in a run, with the whole view repainted 3.7 ms).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsView

#: Major and minor ticks only: pyqtgraph's third level added 76 lines at 5% opacity, four
#: times the rest, and drawing them came back in every frame of a run.
LEVELS = 2


class TickGrid:
    """Vertical lines at the bottom axis's ticks (``x``), horizontal ones at the left axis's
    (``y``); ``alpha`` as in ``PlotItem.showGrid``."""

    def __init__(self, widget: pg.PlotWidget, x: bool = True, y: bool = True, alpha: float = 0.15):
        widget.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        plot = widget.getPlotItem()
        self._view = plot.getViewBox()
        self._axes = [plot.getAxis(name) for name, on in (("bottom", x), ("left", y)) if on]
        self._alpha = alpha
        self._items: list[QGraphicsPathItem] = []
        self._visible = True
        self._view.sigRangeChanged.connect(self.update)
        self._view.sigResized.connect(self.update)
        self.update()

    def setVisible(self, visible: bool) -> None:
        self._visible = visible
        for item in self._items:
            item.setVisible(visible)

    def update(self, *_: object) -> None:
        """Lay the lines out again at the view's range and size, and the axes' colour."""
        rect = self._view.viewRect()
        levels = []
        for axis in self._axes:
            vertical = axis.orientation in ("bottom", "top")
            low, high = (rect.left(), rect.right()) if vertical else (rect.top(), rect.bottom())
            pixels = self._view.width() if vertical else self._view.height()
            for level, values in enumerate(_tick_levels(axis, low, high, pixels)):
                path = QPainterPath()
                for v in values:
                    if low <= v <= high:
                        if vertical:
                            path.moveTo(v, rect.top())
                            path.lineTo(v, rect.bottom())
                        else:
                            path.moveTo(rect.left(), v)
                            path.lineTo(rect.right(), v)
                # pyqtgraph's own fading: fainter by level, and where the ticks are dense
                fade = min(max(0.05 * pixels / (len(values) + 1), 0.0), 1.0)
                color = QColor(axis.tickPen().color())
                color.setAlpha(int(255 / (level + 1) * self._alpha * fade))
                levels.append((path, color))
        while len(self._items) < len(levels):
            # made by the scene: a plain C++ item (one made in Python is a wrapper class that
            # looks for Python overrides of its virtual methods)
            item = self._view.scene().addPath(QPainterPath(), QPen())
            item.setZValue(-1000)  # under every curve
            item.setVisible(self._visible)
            self._view.addItem(item, ignoreBounds=True)
            self._items.append(item)
        for n, item in enumerate(self._items):
            path, color = levels[n] if n < len(levels) else (QPainterPath(), QColor())
            pen = QPen(color, 0)  # cosmetic: one pixel at any zoom
            if item.pen() != pen:
                item.setPen(pen)
            item.setPath(path)


def _tick_levels(axis: pg.AxisItem, low: float, high: float, pixels: float) -> list[list[float]]:
    """The tick values the axis draws, level by level (major first)."""
    if axis._tickLevels is not None:  # ticks set by hand (AxisItem.setTicks)
        return [[value for value, _ in level] for level in axis._tickLevels]
    if pixels <= 0 or high <= low:
        return []
    return [list(values) for _, values in axis.tickValues(low, high, pixels)[:LEVELS]]
