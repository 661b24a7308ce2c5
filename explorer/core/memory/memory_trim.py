"""Giving freed memory back to the system after a run.

glibc keeps memory that a thread freed in that thread's arena, so after a run the main
process can look hundreds of MiB bigger than it is. ``malloc_trim(0)`` returns free pages of
every arena to the kernel. Elsewhere (macOS, musl) it does nothing.

Python's ``linecache`` is emptied too: once PySide6 is loaded it reads the source of every
module imported after it (``shibokensupport.feature`` looks for "PySide6" in each), so torch
and whatever a run imports would otherwise stay in memory as text. Tracebacks read it again
when they need it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import linecache


@functools.cache
def _malloc_trim():  # type: ignore[no-untyped-def]
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


def trim_memory() -> bool:
    """Return free heap memory to the system; True if the C library could."""
    linecache.clearcache()
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
