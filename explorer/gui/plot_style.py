"""Theme styling shared by the window's pyqtgraph plots."""

from __future__ import annotations

import pyqtgraph as pg

from .palette import Theme


def style_plot(plot: pg.PlotWidget, theme: Theme) -> None:
    """Background and axes (lines and text) in the theme's colours."""
    plot.setBackground(theme.background)
    item = plot.getPlotItem()
    for axis in ("left", "bottom"):
        item.getAxis(axis).setPen(theme.muted)
        item.getAxis(axis).setTextPen(theme.foreground)
