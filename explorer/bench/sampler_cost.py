"""The memory sampler's own CPU time, with main and four workers of about 1 GB each."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

from ..core.memory.sampler import MemorySampler

HOG = (
    "import numpy as np, sys, time\n"
    "a = np.ones(int(sys.argv[1]), np.uint8)\n"  # touched: resident
    "print('ready', flush=True)\n"
    "time.sleep(600)\n"
)


def sampler_cost(seconds: float, gib: float = 1.0) -> dict[str, float]:
    size = int(gib * (1 << 30))
    hogs = [
        subprocess.Popen([sys.executable, "-c", HOG, str(size)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    try:
        for h in hogs:
            assert h.stdout is not None
            h.stdout.readline()
        main_block = np.ones(size, np.uint8)  # the main process, about as big
        sampler = MemorySampler(lambda e: None, time.monotonic())
        sampler.start()
        time.sleep(seconds)
        sampler.stop()
        del main_block
        return {
            "cpu_s": sampler.cpu_s,
            "seconds": seconds,
            "core_fraction": sampler.cpu_s / seconds,
            "sweeps": sampler.sweeps,
            "full_sweeps": sampler.full_sweeps,
        }
    finally:
        for h in hogs:
            h.kill()
            h.wait()
