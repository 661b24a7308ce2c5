"""Each DataLoader worker's own memory reading at the end of its start-up.

A worker reads itself in ``worker_init_fn``, before its first sample, and leaves the reading
in shared memory for the main process. It is the baseline against which copy-on-read is
measured (a reading taken from outside would come after the worker had begun to load), and it
is also the worker's first point on the chart: the sampler does not read a new worker in full
a second time (each reading walks the worker's page tables, 4-5 ms with a 400 MB parent).
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import psutil

_FIELDS = 4  # pid, rss, uss, pss


class Reading(NamedTuple):
    """What ``psutil.Process.memory_full_info`` says, as far as the chart needs it."""

    rss: int
    uss: int
    pss: int | None  # None where the kernel has no smaps_rollup/smaps to sum it from


class StartUpReadings:
    """One slot per worker id in a shared array, written by the worker, read by the engine
    and the memory sampler. A slot names the pid that wrote it: a new epoch's workers (new
    processes) are never given the last epoch's readings."""

    def __init__(self, context: Any, workers: int) -> None:
        # No lock: a worker that Stop kills while holding one would hold it forever. Each slot
        # is written by one worker at a time, the pid last, so a reader asking for that pid
        # sees a whole reading.
        self._array = context.Array("q", workers * _FIELDS, lock=False)

    def record(self, worker_id: int) -> None:
        """In the worker: read this process in full and leave the reading in its slot."""
        try:
            m = psutil.Process().memory_full_info()
            values = (os.getpid(), m.rss, m.uss, getattr(m, "pss", -1))
        except (psutil.Error, OSError):
            values = (os.getpid(), 0, 0, 0)
        start = worker_id * _FIELDS
        self._array[start + 1 : start + _FIELDS] = values[1:]
        self._array[start] = values[0]

    def uss(self, worker_id: int) -> int:
        """The USS worker ``worker_id`` read last (0: not yet, or it could not read itself)."""
        return int(self._array[worker_id * _FIELDS + 2])

    def started(self, pid: int) -> bool:
        """Whether the worker with process id ``pid`` has finished starting (has run
        ``worker_init_fn``), whether or not it could read itself."""
        return pid in self._array[0::_FIELDS]

    def of_pid(self, pid: int) -> Reading | None:
        """The start-up reading of the worker with process id ``pid``, once it has one."""
        values = list(self._array)
        for start in range(0, len(values), _FIELDS):
            if values[start] == pid:
                rss, uss, pss = values[start + 1 : start + _FIELDS]
                return Reading(rss, uss, pss if pss >= 0 else None) if uss > 0 else None
        return None
