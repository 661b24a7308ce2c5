"""The window: a thin Qt view on the core's run engine.

PySide6 is imported before pyqtgraph so that pyqtgraph binds to it (it prefers PyQt6 when
both are installed).
"""

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import PySide6.QtCore  # noqa: F401  (bind pyqtgraph to PySide6)

from .pyside_sources import stop_reading_sources

stop_reading_sources()  # before pyqtgraph, numpy and torch are imported

from .main_window import MainWindow  # noqa: E402

__all__ = ["MainWindow"]
