"""The QObject that runs the core engine on a QThread; its EventRelay base turns what the
engine produces into signals carrying plain data. With a ``recording`` (a RecordingWriter)
every event is also recorded, on the writer's own thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import Signal, Slot

from ...core.memory.sampler import yield_cpu
from ...core.run.config import RunConfig
from ...core.trace.session import TraceConfig, trace
from ..gc_on_gui_thread import freeze_long_lived_once
from .event_relay import EventRelay

#: The engine's thread, and the workers it starts (a forked or spawned process starts with its
#: parent thread's nice value), run this much nicer than the window: when the loading keeps
#: every core busy, the window still paints in time, and an idle core serves the loading as
#: before. The tracer leaves the user's job at the priority it was given.
ENGINE_NICENESS = 5

#: The longest the engine waits for the window to draw the run's start before it forks its
#: workers (see ``engine.run``'s ``before_workers``): a window that is slower than this
#: (a modal dialog, a machine under load) only delays the run's start, never stops it.
CATCH_UP_TIMEOUT_S = 0.5


class EngineWorker(EventRelay):
    #: Asked on the engine's thread before the run's first workers are forked, with a
    #: threading.Event to set once the window has handled what came before.
    catchUp = Signal(object)
    #: True just before the engine starts an epoch's worker processes, False once it has:
    #: the window leaves its chart redraws until then (see ``MemoryChart.hold``).
    forking = Signal(bool)

    def __init__(
        self, config: RunConfig | TraceConfig, recording: Callable[[object], None] | None = None
    ) -> None:
        super().__init__(config)  # no parent: it is moved to its thread
        self._stop = threading.Event()
        self.recording = recording

    def request_stop(self) -> None:
        """Thread-safe: the engine checks this flag between batches."""
        self._stop.set()

    @Slot()
    def run(self) -> None:
        recording = self.recording

        def emit(event: object) -> None:
            if recording is not None:
                recording(event)  # before the window hears of it: the run's end ends the file
            self.feed(event)

        if isinstance(self.config, TraceConfig):  # the user's own job, in its own processes
            trace(self.config, emit, self._stop)
            return
        # Imported here, on the engine's thread: torch stays off the window's start-up.
        from ...core.run import engine

        freeze_long_lived_once()  # torch's objects: never garbage, never walked again
        yield_cpu(ENGINE_NICENESS)
        engine.run(
            self.config,
            emit,
            self._stop,
            before_workers=self._wait_for_window,
            forking=self.forking.emit,
        )

    def _wait_for_window(self) -> None:
        """Until the window has caught up with the run's start (or the timeout)."""
        caught_up = threading.Event()
        self.catchUp.emit(caught_up)
        caught_up.wait(CATCH_UP_TIMEOUT_S)
