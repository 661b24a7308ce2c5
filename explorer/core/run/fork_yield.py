"""A moment for the process's other threads after each slow fork of a run's workers.

``os.fork`` holds the interpreter lock while the kernel copies the process's page tables:
27-56 ms per worker for a 2.7 GB eager run here (10-21 ms a GB). The DataLoader starts its
workers one after another, so two forks can follow each other with only a few milliseconds
of Python between them, and a window that could not run in that gap stopped for both. At
the forks of an eager run (2 workers, 800 JPEGs of 1024x768, a fresh window), its worst beat
came 74-139 ms late in 6 of 15 launches without a pause (38-55 ms in the others), 79 and
92 ms in 2 of 6 with a 3 ms pause, and 47-64 ms in all 6 with ``YIELD_S``.

Only forks made inside ``yielding_after_forks`` on the thread that entered it count, and a
fork faster than ``SLOW_FORK_S`` (a process of a few hundred MB) is left alone. The
DataLoader and its workers are unchanged: each slow fork's worker starts the next one
``YIELD_S`` later, nothing else.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

SLOW_FORK_S = 0.015  # three of Python's 5 ms switch intervals
YIELD_S = 0.010

_local = threading.local()


@contextmanager
def yielding_after_forks() -> Iterator[None]:
    """Within it, this thread sleeps ``YIELD_S`` after each of its forks slower than
    ``SLOW_FORK_S`` (in the parent only)."""
    _local.on = True
    try:
        yield
    finally:
        _local.on = False


def _before() -> None:
    if getattr(_local, "on", False):
        _local.began = time.monotonic()


def _after_in_parent() -> None:
    if getattr(_local, "on", False) and time.monotonic() - _local.began > SLOW_FORK_S:
        _yield()


def _yield() -> None:
    time.sleep(YIELD_S)  # the interpreter lock let go


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(before=_before, after_in_parent=_after_in_parent)
