"""The QObject that runs the core engine on a QThread; its EventRelay base turns what the
engine produces into signals carrying plain data. Each run is also recorded to a file (on a
thread of its own) when ``record_to`` is given."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Slot

from ..core import engine
from ..core.config import RunConfig
from ..core.recording import RecordingWriter
from .event_relay import EventRelay


class EngineWorker(EventRelay):
    def __init__(self, config: RunConfig, record_to: Path | None = None) -> None:
        super().__init__(config)  # no parent: it is moved to its thread
        self._stop = threading.Event()
        self.record_to = record_to
        self.recording: RecordingWriter | None = None

    def request_stop(self) -> None:
        """Thread-safe: the engine checks this flag between batches."""
        self._stop.set()

    @Slot()
    def run(self) -> None:
        emit = self.feed
        if self.record_to is not None:
            try:
                self.recording = RecordingWriter(self.record_to)
            except OSError:
                self.recording = None  # the run matters more than its recording
            else:
                recording = self.recording

                def emit(event: object) -> None:
                    recording(event)
                    self.feed(event)

        try:
            engine.run(self.config, emit, self._stop)
        finally:
            if self.recording is not None:
                self.recording.close()
