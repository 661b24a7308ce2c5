"""The QObject that runs the core engine on a QThread; its EventRelay base turns what the
engine produces into signals carrying plain data. With a ``recording`` (a RecordingWriter)
every event is also recorded, on the writer's own thread."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable

from PySide6.QtCore import Slot

from ..core.config import RunConfig
from .event_relay import EventRelay

_frozen = False


def _freeze_imports_once() -> None:
    """Move what exists once torch is imported (modules, torch's own objects: most of the
    heap, and all long-lived) out of the garbage collector's sight. Full collections, which
    run on the GUI thread, then walk only what was made since: milliseconds, not the 0.4 s
    pauses measured before."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


class EngineWorker(EventRelay):
    def __init__(
        self, config: RunConfig, recording: Callable[[object], None] | None = None
    ) -> None:
        super().__init__(config)  # no parent: it is moved to its thread
        self._stop = threading.Event()
        self.recording = recording

    def request_stop(self) -> None:
        """Thread-safe: the engine checks this flag between batches."""
        self._stop.set()

    @Slot()
    def run(self) -> None:
        # Imported here, on the engine's thread: torch stays off the window's start-up.
        from ..core import engine

        _freeze_imports_once()

        recording = self.recording
        if recording is None:
            engine.run(self.config, self.feed, self._stop)
            return

        def emit(event: object) -> None:
            recording(event)  # before the window hears of it: the run's end ends the file
            self.feed(event)

        engine.run(self.config, emit, self._stop)
