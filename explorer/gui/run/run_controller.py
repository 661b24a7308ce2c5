"""Starting and stopping runs: one EngineWorker on one QThread at a time, cleaned up when the
run ends, and a blocking ``shutdown`` for when the window closes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from ...core.run.config import RunConfig
from ...core.trace.session import TraceConfig
from .engine_worker import EngineWorker

log = logging.getLogger(__name__)


class RunController(QObject):
    #: A new worker exists: connect to its signals (they are queued to the GUI thread).
    workerCreated = Signal(object)
    #: The run's thread has ended; ``is_running()`` is False from here on.
    runEnded = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: EngineWorker | None = None

    def is_running(self) -> bool:
        return self._thread is not None

    def start(
        self, config: RunConfig | TraceConfig, recording: Callable[[object], None] | None = None
    ) -> bool:
        if self._thread is not None:
            return False
        thread = QThread()
        thread.setObjectName("engine")
        worker = EngineWorker(config, recording)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # quit() is thread-safe: call it from the engine's thread, not through the GUI thread's
        # event queue, which is blocked while shutdown() waits.
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        worker.catchUp.connect(self._caught_up)  # queued: the window's own thread
        self._thread, self._worker = thread, worker
        self.workerCreated.emit(worker)
        thread.start()
        return True

    @Slot(object)
    def _caught_up(self, event: threading.Event) -> None:
        """Delivered after the run's earlier events; the zero timer gives the window's event
        loop a turn to paint what they changed before the engine goes on."""
        QTimer.singleShot(0, event.set)

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.request_stop()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop and wait for the run's thread (the window is closing). True if it ended."""
        thread = self._thread
        if thread is None:
            return True
        self.stop()
        ended = wait_for_thread(thread, timeout_ms / 1000)
        if not ended:
            log.error("the run did not stop within %d ms", timeout_ms)
        self._on_thread_finished()
        return ended

    def _on_thread_finished(self) -> None:
        if self._thread is None:
            return
        thread = self._thread
        # ``finished`` is emitted just before the thread's end: wait for that end before the
        # last reference goes (destroying a running QThread aborts the program).
        if not wait_for_thread(thread, 10.0):
            log.error("the engine thread is still running; keeping it referenced")
            return
        self._thread = self._worker = None  # unparented: Python's references own both
        self.runEnded.emit()


def wait_for_thread(thread: QThread, timeout_s: float) -> bool:
    """Wait for ``thread`` to finish, letting Python threads run meanwhile.

    ``QThread.wait()`` holds the GIL in PySide6, so a thread running Python code (the engine)
    could never finish while we wait on it: poll instead, sleeping outside the GIL.
    """
    deadline = time.monotonic() + timeout_s
    while not thread.isFinished():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
