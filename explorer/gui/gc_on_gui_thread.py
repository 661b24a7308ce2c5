"""Garbage collection on the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed: with the engine allocating on its own thread, that is usually the engine's. A
collection there that frees a Qt widget (any widget caught in a reference cycle) destroys it
off the GUI thread, which Qt forbids, and it deadlocks on the GIL (seen here:
``QObject::~QObject`` on the engine thread). So automatic collection is turned off and a
timer on the GUI thread collects instead, as qutebrowser does.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

INTERVAL_MS = 500
FULL_EVERY = 20  # a full collection every 20 ticks (10 s); the young generation every tick


class GuiThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._ticks = 0
        self._timer = QTimer(self, interval=INTERVAL_MS)
        self._timer.timeout.connect(self._collect)
        gc.disable()
        self._timer.start()

    def _collect(self) -> None:
        self._ticks += 1
        if self._ticks % FULL_EVERY == 0:
            gc.collect()
        else:
            gc.collect(0)


def install_gui_thread_gc() -> GuiThreadGarbageCollector | None:
    """Install once per application (idempotent); returns the collector."""
    app = QApplication.instance()
    if app is None:
        return None
    existing = app.findChild(GuiThreadGarbageCollector)
    return existing or GuiThreadGarbageCollector(app)
