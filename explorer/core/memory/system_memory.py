"""The machine's side of memory: what is available, /dev/shm (where DataLoader workers put the
batches they hand over) and the cgroup limit a container imposes."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import psutil

from .proc_files import MeminfoReader

SHM = "/dev/shm"


@dataclass(frozen=True)
class SystemMemory:
    total: int
    available: int
    shm_total: int | None
    shm_used: int | None
    cgroup_limit: int | None


def cgroup_limit() -> int | None:
    """The memory limit of this process's cgroup (v2 or v1), or None when there is none."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text == "max":
            return None
        try:
            value = int(text)
        except ValueError:
            continue
        return value if value < (1 << 60) else None  # v1 reports "no limit" as a huge number
    return None


def read_system_memory(
    limit: int | None = None, meminfo: MeminfoReader | None = None
) -> SystemMemory:
    """The machine's memory now; ``meminfo``, a reader kept open (the sampler's, each tick)."""
    if meminfo is not None:
        total, available = meminfo.total_available()
    else:
        vm = psutil.virtual_memory()
        total, available = vm.total, vm.available
    try:
        shm = shutil.disk_usage(SHM)
        shm_total, shm_used = shm.total, shm.used
    except OSError:
        shm_total = shm_used = None
    available = available if limit is None else min(available, limit)
    return SystemMemory(total, available, shm_total, shm_used, limit)
