"""The memory sampler's own CPU time, with main and four workers of about 1 GB each."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

from ..core.memory.sampler import MemorySampler

HOG = (
    "import numpy as np, sys, time\n"
    "a = np.ones(int(sys.argv[1]), np.uint8)\n"  # touched: resident
    "print('ready', flush=True)\n"
    "time.sleep(600)\n"
)


def sampler_cost(seconds: float, gib: float = 1.0, windows: int = 3) -> dict[str, Any]:
    """The sampler's CPU over ``windows`` windows of ``seconds`` each (a new sampler each, over
    the same five processes), as the median window's share of one core. One 20 s window in a
    full set read 2.12 % (0.42 s of CPU for 9 full sweeps and 191 light ones) where launches
    of it alone read 1.08-1.29 % with 20-22 full sweeps, the sweeps' CPU the host's state as
    much as the sampler's: one window is not a figure."""
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
        runs = [_window(seconds) for _ in range(windows)]
        del main_block
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    fractions = [r["cpu_s"] / seconds for r in runs]
    return {
        "core_fraction": statistics.median(fractions),
        "window_fractions": fractions,
        "seconds": seconds,
        "windows": runs,
    }


def _window(seconds: float) -> dict[str, float]:
    sampler = MemorySampler(lambda e: None, time.monotonic())
    sampler.start()
    time.sleep(seconds)
    sampler.stop()
    return {"cpu_s": sampler.cpu_s, "sweeps": sampler.sweeps, "full_sweeps": sampler.full_sweeps}
