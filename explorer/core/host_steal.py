"""CPU time the host took from this machine ("steal"), for the window's lateness probes.

On a virtual machine, the hypervisor can run other work on the physical CPUs that back this
machine's virtual ones. Whatever runs here then stops, whichever process or thread it is,
and Linux counts that time as *steal* (the eighth figure of ``/proc/stat``'s ``cpu`` line).
On this project's 2-core virtual machine, a window that was idle after its first paint once
came 58 ms late while the host took 120 ms of CPU time from its two cores.

A probe that times how late the window gets reads this counter on each beat, so that a late
beat says how much of its lateness the host took.
"""

from __future__ import annotations

import os

_STAT = "/proc/stat"
_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class HostSteal:
    """The host's steal since this object was made, in milliseconds per CPU (the total over
    this machine's CPUs, divided by their number). Reads nothing where Linux does not count
    steal (``available`` is False; ``ms`` stays 0). One read costs about 11 µs."""

    def __init__(self) -> None:
        self._cpus = os.cpu_count() or 1
        try:
            self._fd: int | None = os.open(_STAT, os.O_RDONLY)
            self._start = self._ticks()
        except (OSError, IndexError, ValueError):
            self._fd, self._start = None, 0

    @property
    def available(self) -> bool:
        return self._fd is not None

    def _ticks(self) -> int:
        assert self._fd is not None
        first = os.pread(self._fd, 256, 0).split(b"\n", 1)[0].split()
        return int(first[8])  # cpu user nice system idle iowait irq softirq *steal*

    def ms(self) -> float:
        """Steal since this object was made, per CPU, in milliseconds."""
        if self._fd is None:
            return 0.0
        return (self._ticks() - self._start) * 1000 / _TICKS_PER_S / self._cpus

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
