"""Handing the dataset to spawned and forkserver workers through a file, not a pipe.

Python starts such a worker by writing the pickled worker (its dataset included) into a pipe
that the child reads only once it has imported what the pickle needs: torch, about a second.
A dataset bigger than the pipe's 64 KB therefore blocks ``iter(loader)`` for a second per
worker, one after the other, and nothing (not even Stop) can cut in. Pickled into a file
instead, the pipe carries a file name: every worker starts at once and reads its own copy
when ready, and the wait moves to the first batch, where Stop is heard within 0.1 s.

Each worker still gets its own unpickled copy, exactly as with the pipe (the memory lessons
about spawn hold). Tensors in shared memory still travel as handles (``ForkingPickler``),
and a handle may be collected once only, so each worker start writes its own file, which the
worker deletes once read; ``cleanup()`` deletes any that a killed worker never read.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from multiprocessing.reduction import ForkingPickler
from typing import Any

from torch.utils.data import Dataset, IterableDataset


def _load(path: str) -> Any:
    """In the worker: the dataset, from its file (then deleted)."""
    with open(path, "rb") as f:
        data = f.read()
    with contextlib.suppress(OSError):
        os.unlink(path)
    return ForkingPickler.loads(data)


class _Payload:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._files: list[str] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.inner)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        fd, path = tempfile.mkstemp(prefix="dle-dataset-", suffix=".pickle")
        with os.fdopen(fd, "wb") as f:
            f.write(ForkingPickler.dumps(self.inner))
        with self._lock:
            self._files.append(path)
        return _load, (path,)

    def cleanup(self) -> None:
        with self._lock:
            files, self._files = self._files, []
        for path in files:
            with contextlib.suppress(OSError):
                os.unlink(path)


class MapPayload(_Payload, Dataset):
    def __getitem__(self, index: int) -> Any:  # only used without workers
        return self.inner[index]


class IterablePayload(_Payload, IterableDataset):
    def __iter__(self) -> Any:
        return iter(self.inner)


def via_file(dataset: Any) -> _Payload:
    """``dataset`` wrapped to reach spawned workers through a file."""
    if isinstance(dataset, IterableDataset):
        return IterablePayload(dataset)
    return MapPayload(dataset)
