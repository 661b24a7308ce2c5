"""Exporting a chart as PNG or SVG (pyqtgraph's exporters); the memory rows go to CSV
through RunRecorder.write_csv.

pyqtgraph 0.14's SVGExporter cannot parse the paths recent Qt versions write
(pyqtgraph/pyqtgraph#3485, "not enough values to unpack" in correctCoordinates). When it
fails, the chart's scene is painted straight into Qt's own QSvgGenerator: still vectors.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator

log = logging.getLogger(__name__)


def export_chart(plot: pg.PlotWidget, path: str) -> None:
    """PNG at twice the on-screen width (for slides), or SVG, by the file's suffix."""
    if Path(path).suffix.lower() == ".svg":
        try:
            SVGExporter(plot.getPlotItem()).export(path)
        except ValueError as exc:
            log.info("pyqtgraph's SVG exporter failed (%s); using QSvgGenerator", exc)
            _render_svg(plot, path)
        return
    exporter = ImageExporter(plot.getPlotItem())
    exporter.parameters()["width"] = max(800, int(plot.width() * 2))
    exporter.export(path)


def _render_svg(plot: pg.PlotWidget, path: str) -> None:
    scene = plot.scene()
    source = plot.mapToScene(plot.viewport().rect()).boundingRect()
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(source.size().toSize())
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle("DataLoader Explorer chart")
    painter = QPainter(generator)
    try:
        painter.fillRect(QRectF(0, 0, source.width(), source.height()), plot.backgroundBrush())
        scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
