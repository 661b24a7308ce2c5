"""Theme styling shared by the window's pyqtgraph plots."""

from __future__ import annotations

import pyqtgraph as pg

from ..palette import Theme


def style_plot(plot: pg.PlotWidget, theme: Theme) -> None:
    """Background and axes (lines and text) in the theme's colours."""
    plot.setBackground(theme.background)
    item = plot.getPlotItem()
    for axis in ("left", "bottom"):
        item.getAxis(axis).setPen(theme.muted)
        item.getAxis(axis).setTextPen(theme.foreground)


def scale_axis_fonts(plot: pg.PlotWidget, scale: float) -> None:
    """Axis ticks and labels grow with the window's text (presentation mode)."""
    font = plot.font()
    font.setPointSizeF(max(6.0, 9.0 * scale))
    item = plot.getPlotItem()
    for axis in ("left", "bottom"):
        item.getAxis(axis).setStyle(tickFont=font)
        item.getAxis(axis).label.setFont(font)
