"""Exporting what the window shows: the memory chart as PNG (pyqtgraph's ImageExporter) and
the run's memory rows as CSV.

SVG is left out: pyqtgraph 0.14's SVGExporter fails on this chart ("not enough values to
unpack" in correctCoordinates).
"""

from __future__ import annotations

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter

from ..core.report import RunRecorder


def export_chart(plot: pg.PlotWidget, path: str) -> None:
    """A PNG at twice the on-screen width, for slides."""
    exporter = ImageExporter(plot.getPlotItem())
    exporter.parameters()["width"] = max(800, int(plot.width() * 2))
    exporter.export(path)


def export_memory_csv(recorder: RunRecorder, path: str) -> None:
    recorder.write_csv(path)
