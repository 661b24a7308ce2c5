"""The sampler's two reads of every tick, through ``/proc`` files it keeps open.

Each tick the sampler reads every process's RSS and the machine's total and available memory.
psutil opens ``/proc/<pid>/statm`` and ``/proc/meminfo`` anew for each reading and parses every
field: 19.6 and 50 µs here, about 110 µs a tick with two workers, four times that while the
workers keep both cores busy. Reading the same files again from offset 0 through a descriptor
kept open (``os.pread``) took 1.9 and 8.8 µs. The figures are the same ones: RSS is statm's
second field times the page size, as psutil computes it; ``available`` is the kernel's
``MemAvailable``, as psutil reports it.

A descriptor of ``/proc/<pid>/statm`` belongs to that one process: once it has exited, reading
fails (ESRCH) even if its pid is reused, so a row never shows another process's memory. Where
``/proc`` is not there (not Linux), both fall back to psutil.
"""

from __future__ import annotations

import contextlib
import os

import psutil

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_READ_SIZE = 4096


class _OpenFile:
    """A file kept open for reading from its start again and again (None where it cannot
    be opened)."""

    def __init__(self, path: str) -> None:
        self._fd: int | None = None
        with contextlib.suppress(OSError):
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.close()


class RssReader(_OpenFile):
    """One process's resident set size, read again and again through one descriptor."""

    def __init__(self, proc: psutil.Process) -> None:
        super().__init__(f"/proc/{proc.pid}/statm")
        self._proc = proc

    def reads(self, proc: psutil.Process) -> bool:
        """Whether this reader reads ``proc`` (the same handle)."""
        return self._proc is proc

    def rss(self) -> int:
        """The process's RSS in bytes; raises ``psutil.NoSuchProcess`` once it has exited
        (``psutil.AccessDenied`` where it may not be read), as psutil does."""
        if self._fd is None:
            return self._proc.memory_info().rss
        try:
            text = os.pread(self._fd, 128, 0)
        except ProcessLookupError as exc:  # ESRCH: it exited (its pid may be reused)
            raise psutil.NoSuchProcess(self._proc.pid) from exc
        except PermissionError as exc:
            raise psutil.AccessDenied(self._proc.pid) from exc
        return int(text.split(None, 2)[1]) * PAGE_SIZE


class MeminfoReader(_OpenFile):
    """The machine's total and available memory, from ``/proc/meminfo`` kept open."""

    def __init__(self) -> None:
        super().__init__("/proc/meminfo")

    def total_available(self) -> tuple[int, int]:
        """(total, available) in bytes."""
        if self._fd is not None:
            with contextlib.suppress(OSError, ValueError, IndexError):
                return _parse_meminfo(os.pread(self._fd, _READ_SIZE, 0))
        vm = psutil.virtual_memory()
        return vm.total, vm.available


def _parse_meminfo(text: bytes) -> tuple[int, int]:
    """MemTotal and MemAvailable in bytes; ValueError where psutil would not report them as
    they are (a kernel before 3.14 has no MemAvailable; 0, or more than the total, in some
    containers): psutil estimates it then, and is asked instead."""
    total = available = None
    for line in text.splitlines():
        if line.startswith(b"MemTotal:"):
            total = int(line.split()[1]) * 1024
        elif line.startswith(b"MemAvailable:"):
            available = int(line.split()[1]) * 1024
            break  # it comes after MemTotal
    if total is None or not available or available > total:
        raise ValueError("no MemTotal or MemAvailable, or one psutil corrects")
    return total, available
