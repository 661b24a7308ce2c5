"""Theme styling shared by the window's pyqtgraph plots."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem

from ..palette import Theme


def style_plot(plot: pg.PlotWidget, theme: Theme) -> None:
    """Background and axes (lines and text) in the theme's colours.

    Each axis is kept as a pixmap, redrawn only when its ticks or size change: replaying its
    text every frame cost about 4 ms an axis, most of the GUI thread's time in a run. A grid
    goes in the view (``tick_grid.TickGrid``), not in the axes: it would make each axis's
    pixmap the size of the whole plot."""
    plot.setBackground(theme.background)
    item = plot.getPlotItem()
    for axis in ("left", "bottom"):
        item.getAxis(axis).setPen(theme.muted)
        item.getAxis(axis).setTextPen(theme.foreground)
        item.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def scale_axis_fonts(plot: pg.PlotWidget, scale: float) -> None:
    """Axis ticks and labels grow with the window's text (presentation mode)."""
    font = plot.font()
    font.setPointSizeF(max(6.0, 9.0 * scale))
    item = plot.getPlotItem()
    for axis in ("left", "bottom"):
        item.getAxis(axis).setStyle(tickFont=font)
        item.getAxis(axis).label.setFont(font)


def hold_axis_width(plot: pg.PlotWidget, widest: str) -> None:
    """Fix the left axis's width to what ``widest`` tick text needs, as pyqtgraph would work
    it out, so that a range whose labels have another number of digits does not resize the
    plot (a resize re-renders every axis; a run's start changes the range most)."""
    axis = plot.getPlotItem().getAxis("left")
    font = axis.style["tickFont"] or axis.font()
    width = QFontMetricsF(font).horizontalAdvance(widest) + axis.style["tickTextOffset"][0]
    width += max(0, axis.style["tickLength"])
    if axis.label.isVisible():
        width += axis.label.boundingRect().height() * 0.8
    axis.setWidth(int(width + 0.999))
