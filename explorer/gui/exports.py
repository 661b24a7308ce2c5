"""Exporting the memory chart as PNG (pyqtgraph's ImageExporter); the memory rows go to CSV
through RunRecorder.write_csv.

SVG is left out: pyqtgraph 0.14's SVGExporter fails on this chart ("not enough values to
unpack" in correctCoordinates).
"""

from __future__ import annotations

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter


def export_chart(plot: pg.PlotWidget, path: str) -> None:
    """A PNG at twice the on-screen width, for slides."""
    exporter = ImageExporter(plot.getPlotItem())
    exporter.parameters()["width"] = max(800, int(plot.width() * 2))
    exporter.export(path)
