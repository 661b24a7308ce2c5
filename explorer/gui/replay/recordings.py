"""Recordings in the window: every live run is recorded to a scratch file (so "Save
recording" works after the fact), saved where ``--record`` says, and recordings are opened
and replayed through a ReplayPlayer driven by the ReplayBar."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from ...core.record.recording import (
    SUFFIX,
    Recording,
    RecordingError,
    RecordingWriter,
    load_recording,
)
from ...core.run.config import default_cache_dir
from ..run.background import run_in_background
from ..run.event_relay import EventRelay
from .replay_bar import ReplayBar
from .replay_player import ReplayPlayer

log = logging.getLogger(__name__)

#: How often, and how long, the window looks whether a finished run's recording is complete.
WRITE_POLL_MS = 50
WRITE_TIMEOUT_S = 30.0


class Recordings(QObject):
    #: A replay (re)starts with this relay: clear the panels and connect to it.
    relayCreated = Signal(object)
    #: A recording is open (its path) or could not be (an error message, ``error=True``).
    message = Signal(str, bool)

    def __init__(self, parent: QObject, save_to: str | None = None) -> None:
        super().__init__(parent)
        self.bar = ReplayBar()
        self.bar.closeRequested.connect(self.close)
        self.player: ReplayPlayer | None = None
        #: Each live run's recording is also saved here (``--record FILE``).
        self.save_to = save_to
        self.last_run: Path | None = None  # the scratch recording of the last live run
        self._writer: RecordingWriter | None = None
        self._scratch = Path(tempfile.mkdtemp(prefix="recordings-", dir=_scratch_root()))

    # ----------------------------------------------------------------- recording
    def writer_for_next_run(self) -> RecordingWriter | None:
        """What the run about to start records itself with (the previous scratch file goes).
        None when it cannot be written: the run matters more than its recording."""
        self._finish_writing(timeout=2.0)
        if self.last_run is not None:
            self.last_run.unlink(missing_ok=True)
        self.last_run = Path(tempfile.mktemp(suffix=SUFFIX, dir=self._scratch))
        try:
            self._writer = RecordingWriter(self.last_run)
        except OSError as exc:
            log.warning("cannot record the run to %s: %s", self.last_run, exc)
            self._writer = None
        return self._writer

    def _finish_writing(self, timeout: float = 30.0) -> bool:
        """Wait until the last run's recording is complete on disk."""
        if self._writer is None:
            return True
        done = self._writer.close(timeout)
        if done:
            self._writer = None
        return done

    def run_ended(self) -> None:
        """Save the run's recording where ``--record`` says once its writer has finished.
        The window does not wait for that: after a stopped run the writer still pickles and
        compresses what had queued up (90 ms after a JPEG run here, thumbnails and all)."""
        writer, path = self._writer, self.last_run
        if writer is None or path is None:
            return
        deadline = time.monotonic() + WRITE_TIMEOUT_S

        def when_written() -> None:
            if not writer.is_complete():
                if time.monotonic() < deadline:
                    QTimer.singleShot(WRITE_POLL_MS, self, when_written)  # none once closed
                else:
                    self.message.emit("The recording is still being written; save it later.", True)
                return
            if self._writer is writer:
                self._writer = None
            if self.save_to and path.exists():
                self._save_copy(path)

        when_written()

    def _save_copy(self, path: Path) -> None:
        try:
            shutil.copyfile(path, self.save_to)
        except OSError as exc:
            self.message.emit(f"Could not save the recording to {self.save_to}: {exc}", True)
        else:
            self.message.emit(f"Recording saved to {self.save_to}", False)

    def save_last_run(self, path: str) -> bool:
        self._finish_writing()
        if self.last_run is None or not self.last_run.exists():
            self.message.emit("Run something first: there is no recording yet.", True)
            return False
        try:
            shutil.copyfile(self.last_run, path)
        except OSError as exc:
            self.message.emit(f"Could not save the recording: {exc}", True)
            return False
        self.message.emit(f"Recording of the last run saved to {path}", False)
        return True

    # ----------------------------------------------------------------- replay
    def is_open(self) -> bool:
        return self.player is not None

    def open(self, path: str, on_open: Callable[[], None] | None = None) -> None:
        """Load ``path`` off the GUI thread, then start replaying it."""

        def loaded(recording: Recording) -> None:
            self._start(recording)
            if on_open is not None:
                on_open()

        def failed(exc: Exception) -> None:
            reason = str(exc) if isinstance(exc, RecordingError) else f"{type(exc).__name__}: {exc}"
            self.message.emit(f"Cannot open {Path(path).name}: {reason}", True)

        run_in_background(lambda: load_recording(path), loaded, failed, self)

    def _start(self, recording: Recording) -> None:
        self.close()
        player = ReplayPlayer(recording, self)
        player.relayCreated.connect(self.relayCreated)
        self.player = player
        self.bar.attach(player)
        fin = recording.finished
        status = fin.status if fin is not None else "cut short"
        self.message.emit(
            f"Opened {Path(recording.path).name}: {recording.duration:.1f} s run ({status}), "
            f"{recording.batches:,} batches. Press Play, or drag the slider.",
            False,
        )
        player.seek(0.0)

    def close(self) -> None:
        if self.player is not None:
            self.player.stop()
            self.player.deleteLater()
            self.player = None
        self.bar.detach()

    def relay(self) -> EventRelay | None:
        return self.player.relay if self.player is not None else None

    def cleanup(self) -> None:
        if self._writer is not None:
            self._writer.finish()  # a run cut short by closing the window: no wait
        self.close()
        shutil.rmtree(self._scratch, ignore_errors=True)


def _scratch_root() -> str:
    root = default_cache_dir() / "scratch"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        return tempfile.gettempdir()
    return str(root)
