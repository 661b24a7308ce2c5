"""Measurements of this window that the benchmark (``python -m explorer.bench``) takes in a
fresh process: ``DLE_PROBE=startup|idle:S|idle-after-run:S python main.py`` prints one JSON
line (seconds to the first painted window, resident memory when idle) and exits.

They live here, beside the window they measure, so that the product never imports the
benchmark; the benchmark imports them.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from .main_window import MainWindow


def first_paint(app: QApplication, window: QWidget) -> float:
    """Seconds from this process's start to ``window`` painted on screen."""
    import psutil

    handle = window.windowHandle()
    while handle is None or not handle.isExposed():
        app.processEvents()
        handle = window.windowHandle()
    window.repaint()
    return time.time() - psutil.Process().create_time()


def idle_rss(app: QApplication, seconds: float) -> int:
    import psutil

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    return psutil.Process().memory_info().rss


def run_probe(app: QApplication, window: MainWindow, probe: str) -> None:
    """Measure ``probe`` on the shown ``window``, print the JSON line, and exit at once."""
    result = {"first_paint_s": first_paint(app, window)}
    kind, _, seconds = probe.partition(":")
    if kind == "idle-after-run":  # torch loaded, a run done: the window as used
        window.controls.set_source("random")
        window.controls.randomSpecEdit.setText("2000:3x32x32")
        window.controls.workersSpin.setValue(0)
        window.start_run()
        while window.runs.is_running():
            app.processEvents()
    if kind in ("idle", "idle-after-run"):
        result["rss"] = idle_rss(app, float(seconds))
    print(json.dumps(result), flush=True)
    os._exit(0)
