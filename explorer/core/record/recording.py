"""Recording a run to one file and reading it back.

A recording is the run's events, exactly as the engine emitted them (memory sweeps, batches
with their preview thumbnails and timings, the configuration in ``RunStarted``), pickled one
after another into a gzip stream behind a small header. Writing streams to disk as the run
goes, so a long run costs no memory; reading accepts only the event classes and the plain
types they are made of, so opening a recording someone sent you runs no code of theirs.
"""

from __future__ import annotations

import gzip
import io
import pickle
import queue
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..run import events as _events

FORMAT = "dataloader-explorer-recording"
VERSION = 1
SUFFIX = ".dlxrec"

# What a recording may contain: the event classes, what they are made of, numpy arrays.
_ALLOWED = {
    ("explorer.core.run.events", name)
    for name in (
        "RunStarted",
        "DatasetProgress",
        "DatasetReady",
        "EpochStarted",
        "PreviewSample",
        "BatchDone",
        "BatchPreview",
        "LoaderCreated",
        "TransformStats",
        "JobOutput",
        "ProcessMemory",
        "MemorySweep",
        "WorkerBaseline",
        "MemoryBudget",
        "ProcessesChanged",
        "RunFinished",
    )
} | {
    ("explorer.core.datasets.dataset_info", "DatasetInfo"),
    ("explorer.core.health.folder", "SkippedFile"),
    ("explorer.core.memory.system_memory", "SystemMemory"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("explorer.core.record.recording", "_Chunk"),
    ("builtins", "frozenset"),
    ("builtins", "set"),
    ("builtins", "complex"),
    ("_codecs", "encode"),
}

# Where the classes lived when recordings of format 1 were first written (before the core was
# split into rooms): those files name them there, and open as before.
_MOVED = {
    "explorer.core.events": "explorer.core.run.events",
    "explorer.core.dataset_info": "explorer.core.datasets.dataset_info",
    "explorer.core.folder": "explorer.core.health.folder",
    "explorer.core.system_memory": "explorer.core.memory.system_memory",
    "explorer.core.recording": "explorer.core.record.recording",
}


class RecordingError(ValueError):
    """A file that is not a readable recording; the message says why, in words."""


class RecordingWriter:
    """Writes events to ``path`` as they come; call it as the engine's ``emit``.

    Pickling and compressing happen on a thread of its own, in chunks of whatever has queued
    up, so the run's threads only put events in a queue and the writer keeps up with
    thousands of batches a second. The run's ``RunFinished`` (or ``finish()``) ends the file
    without waiting; ``close()`` waits for it to be complete.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.events = 0
        self.error: str | None = None
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._ended = threading.Event()
        self._file: BinaryIO = gzip.open(self.path, "wb", compresslevel=1)  # noqa: SIM115
        header = {"format": FORMAT, "version": VERSION, "created": time.time()}
        pickle.dump(header, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._thread = threading.Thread(target=self._write, name="recording", daemon=True)
        self._thread.start()

    def __call__(self, event: object) -> None:
        if self._ended.is_set():
            return
        self._queue.put(event)
        if isinstance(event, _events.RunFinished):
            self.finish()

    def finish(self) -> None:
        """End the recording (what is queued is still written); does not wait."""
        if not self._ended.is_set():
            self._ended.set()
            self._queue.put(_END)

    def is_complete(self) -> bool:
        """Whether the recording has ended and its file is complete (does not wait)."""
        return self._ended.is_set() and not self._thread.is_alive()

    def close(self, timeout: float = 30.0) -> bool:
        """End the recording and wait until the file is complete; False if it is not yet."""
        self.finish()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _write(self) -> None:
        done = False
        try:
            while not done:
                chunk = [self._queue.get()]
                while True:  # whatever else is waiting, in the same pickle
                    try:
                        chunk.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if chunk[-1] is _END:
                    chunk.pop()
                    done = True
                if chunk and self.error is None:
                    pickle.dump(_Chunk(chunk), self._file, protocol=pickle.HIGHEST_PROTOCOL)
                    self.events += len(chunk)
        except Exception as exc:  # a full disk: the run goes on, the recording says why
            self.error = str(exc)
            while not done:
                done = self._queue.get() is _END
        finally:
            try:
                self._file.close()
            except OSError as exc:
                self.error = self.error or str(exc)


class _Chunk(list):
    """Events written together (a plain list subclass: what the reader accepts)."""


_END = object()


@dataclass(frozen=True)
class Recording:
    path: str
    events: tuple[Any, ...]
    created: float

    @property
    def config(self) -> dict[str, Any]:
        for event in self.events:
            if isinstance(event, _events.RunStarted):
                return event.config
        return {}

    @property
    def duration(self) -> float:
        return self.events[-1].t if self.events else 0.0

    @property
    def finished(self) -> _events.RunFinished | None:
        last = self.events[-1] if self.events else None
        return last if isinstance(last, _events.RunFinished) else None

    def count(self, kind: type) -> int:
        return sum(isinstance(e, kind) for e in self.events)

    @property
    def batches(self) -> int:
        return self.count(_events.BatchDone)

    @property
    def memory_rows(self) -> int:
        return sum(len(e.rows) for e in self.events if isinstance(e, _events.MemorySweep))

    @property
    def thumbnails(self) -> int:
        return sum(len(e.preview or ()) for e in self.events if _events.has_preview(e))


class _EventUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        module = _MOVED.get(module, module)
        if (module, name) not in _ALLOWED:
            raise RecordingError(f"it holds something that is not an event ({module}.{name})")
        return super().find_class(module, name)


def load_recording(path: str | Path) -> Recording:
    """Read a whole recording. A run cut short (the program was killed) still loads: its
    events up to the cut are kept."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordingError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError):
        data = _decompress_partial(raw)
    stream = io.BytesIO(data)
    try:
        header = _EventUnpickler(stream).load()
    except RecordingError:
        raise
    except Exception:
        raise RecordingError(f"{path.name} is not a DataLoader Explorer recording") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RecordingError(f"{path.name} is not a DataLoader Explorer recording")
    if header.get("version", 0) > VERSION:
        raise RecordingError(
            f"{path.name} was made by a newer DataLoader Explorer (format version "
            f"{header.get('version')}); update to open it"
        )
    events: list[Any] = []
    while stream.tell() < len(data):
        try:
            # One unpickler per record: each was pickled on its own, with its own memo.
            record = _EventUnpickler(stream).load()
            if isinstance(record, _Chunk):
                events.extend(record)
            else:
                events.append(record)
        except RecordingError:
            raise
        except Exception:
            break  # a truncated tail: keep what came before it
    if not events:
        raise RecordingError(f"{path.name} holds no events")
    return Recording(str(path), tuple(events), float(header.get("created", 0.0)))


def _decompress_partial(raw: bytes) -> bytes:
    """What a truncated gzip stream holds up to its cut."""
    try:
        return zlib.decompressobj(wbits=31).decompress(raw)  # 31: a gzip header
    except zlib.error:
        return b""
