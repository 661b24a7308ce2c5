"""Giving freed memory back to the system after a run.

glibc keeps memory that a thread freed in that thread's arena, so after a run the main
process can look hundreds of MiB bigger than it is. ``malloc_trim(0)`` returns free pages of
every arena to the kernel. Elsewhere (macOS, musl) it does nothing.

Python's ``linecache`` is emptied too: whatever read sources into it (tracebacks, a user's
dataset code shown in an error) reads them again when it needs them. (PySide6 would read the
source of every module imported after it; the window stops that: ``gui.pyside_sources``.)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import linecache
import threading
from typing import Any


@functools.cache
def libc_function(name: str) -> Any:
    """The C library's function ``name``, looked up among what this process has loaded (None
    where there is none). Not through ``ctypes.util.find_library`` first: on Linux that runs
    ``ldconfig -p``, a fork of this whole process (the window's, 300 MiB, with the
    interpreter lock held). ctypes lets go of the lock during each call."""
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        pass
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None


def trim_heap() -> bool:
    """Return the C heap's free memory to the system (the interpreter lock is let go meanwhile);
    True if the C library could."""
    trim = libc_function("malloc_trim")
    return bool(trim(0)) if trim is not None else False


def trim_memory() -> bool:
    """Return free heap memory to the system, the line cache's too; True if the C library
    could."""
    linecache.clearcache()
    return trim_heap()


def trim_memory_in_background() -> threading.Thread:
    """``trim_memory`` on a thread of its own, for a thread that must not wait: after a
    window's first run it took 53 ms here (most of it emptying the line cache that PySide6
    had filled, see ``gui.pyside_sources``), which on the window's thread stopped it for as
    long. Only a thread that allocates from the arena being trimmed waits meanwhile."""
    thread = threading.Thread(target=trim_memory, name="trim-memory", daemon=True)
    thread.start()
    return thread
