"""Handing the dataset to spawned and forkserver workers through a file, not a pipe.

Python starts such a worker by writing the pickled worker (its dataset included) into a pipe
that the child reads only once it has imported what the pickle needs: torch, about a second.
A dataset bigger than the pipe's 64 KB therefore blocks ``iter(loader)`` for a second per
worker, one after the other, and nothing (not even Stop) can cut in. Pickled into a file
instead, the pipe carries a file name: every worker starts at once and reads its own copy
when ready, and the wait moves to the first batch, where Stop is heard within 0.1 s.

Each worker still gets its own unpickled copy, exactly as with the pipe (the memory lessons
about spawn hold). Tensors in shared memory still travel as handles (``ForkingPickler``): a
file descriptor that Python passes to that one child as it starts it, so such a pickle is
good for one worker only, and each worker start writes its own file, which the worker
deletes once read; ``cleanup()`` deletes any that a killed worker never read.

Within ``one_pickle(dataset)`` (around ``iter(loader)``), a pickle that passed no file
descriptor is written once and every other worker gets a hard link to it. With four workers
a 32 MB index was pickled and written four times, one after the other, before the first
batch could be asked for (or Stop heard): 40-50 ms a pickle, and up to 0.4 s a write while
the workers started before it imported torch on the same two cores.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import tempfile
import threading
from collections.abc import Iterator
from multiprocessing.context import get_spawning_popen
from multiprocessing.reduction import ForkingPickler
from typing import Any

from torch.utils.data import Dataset, IterableDataset

#: Pickled straight into the file with protocol 5, a large buffer (a numpy array's bytes) is
#: written from where it lies, with the interpreter lock let go for each write, instead of
#: being copied into one growing bytes object with the lock held. In the window, spawning
#: the fork vs spawn lesson's workers (an 11.5 MB metadata index) took 236 ms in ``_write``
#: (103 ms of it in ``dumps``, 7,516 pages faulted in); the two late beats seen against the
#: pickling (a timed ``_write``, a watchdog's stack) came 83 and 130 ms late.
_PROTOCOL = 5


def _load(path: str) -> Any:
    """In the worker: the dataset, read from its file as it is unpickled (as spawn's own
    start reads the pipe), then the file deleted."""
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _passed_fds() -> int | None:
    """How many file descriptors the process being started will be given so far; None where
    that is not known (no process is being started, or its start method keeps no such list:
    CPython's spawn and forkserver starters on POSIX keep ``_fds``)."""
    fds = getattr(get_spawning_popen(), "_fds", None)
    return len(fds) if isinstance(fds, list) else None


class _Payload:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._files: list[str] = []
        self._lock = threading.Lock()
        self._sharing = False
        self._master: str | None = None  # the one pickle, while sharing, if it can be shared
        self._links = itertools.count()

    def __len__(self) -> int:
        return len(self.inner)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        path = self._link() if self._master is not None else None
        if path is None:
            path = self._write()
        with self._lock:
            self._files.append(path)
        return _load, (path,)

    def _write(self) -> str:
        fds = _passed_fds()
        fd, path = tempfile.mkstemp(prefix="dle-dataset-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as f:
                ForkingPickler(f, _PROTOCOL).dump(self.inner)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
        if self._sharing and self._master is None and fds is not None and _passed_fds() == fds:
            # the parent's own link, so that a worker's deleting its link leaves the file
            with contextlib.suppress(OSError):
                os.link(path, master := f"{path}.shared")
                self._master = master
        return path

    def _link(self) -> str | None:
        assert self._master is not None
        path = f"{self._master}-{next(self._links)}"
        try:
            os.link(self._master, path)
        except OSError:  # a file system without hard links: write it again
            return None
        return path

    @contextlib.contextmanager
    def one_pickle(self) -> Iterator[None]:
        self._sharing = True
        try:
            yield
        finally:
            self._sharing = False
            master, self._master = self._master, None
            if master is not None:
                with contextlib.suppress(OSError):
                    os.unlink(master)

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


def one_pickle(dataset: Any) -> contextlib.AbstractContextManager[None]:
    """Around ``iter(loader)``: the workers it starts share one pickle of ``dataset`` where
    they can (see the module's text); a dataset not made by ``via_file`` is left alone."""
    if isinstance(dataset, _Payload):
        return dataset.one_pickle()
    return contextlib.nullcontext()


def via_file(dataset: Any) -> _Payload:
    """``dataset`` wrapped to reach spawned workers through a file."""
    if isinstance(dataset, IterableDataset):
        return IterablePayload(dataset)
    return MapPayload(dataset)
