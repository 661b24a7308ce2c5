"""The memory sampler's own CPU time, with main and four workers of about 1 GB each."""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
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
    the same five processes), as the median window's share of one core; alternated with as
    many windows of a thread that only wakes as often as the sampler (``wake_fraction``):
    what this machine charges any 10 Hz instrument before it reads anything. On this virtual
    machine that charge read 0.17-1.06 % of a core on 2026-11-29 (0.60-1.03 % within two
    minutes), and the sampler's light sweeps took a median of 0.23-1.9 ms of CPU from one
    launch to the next (0.035 ms back to back): one 20 s window in a full set read 2.12 %
    where launches of it alone read 1.08-1.29 %. ``own_fraction``: the median of each pair's
    difference."""
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
        runs, wakes = [], []
        for _ in range(windows):
            runs.append(_window(seconds))
            wakes.append(_wake_only(seconds, runs[-1]["interval"]))
        del main_block
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    fractions = [r["cpu_s"] / seconds for r in runs]
    wake_fractions = [w / seconds for w in wakes]
    return {
        "core_fraction": statistics.median(fractions),
        "wake_fraction": statistics.median(wake_fractions),
        "own_fraction": statistics.median(
            f - w for f, w in zip(fractions, wake_fractions, strict=True)
        ),
        "window_fractions": fractions,
        "wake_window_fractions": wake_fractions,
        "seconds": seconds,
        "windows": runs,
    }


def _window(seconds: float) -> dict[str, float]:
    sampler = MemorySampler(lambda e: None, time.monotonic())
    sampler.start()
    time.sleep(seconds)
    sampler.stop()
    return {
        "cpu_s": sampler.cpu_s,
        "sweeps": sampler.sweeps,
        "full_sweeps": sampler.full_sweeps,
        "interval": sampler.interval,
    }


def _wake_only(seconds: float, interval: float) -> float:
    """The CPU time of a thread that wakes every ``interval`` for ``seconds`` and does
    nothing else."""
    stop = threading.Event()
    spent: list[float] = []

    def loop() -> None:
        c0 = time.thread_time()
        while not stop.wait(interval):
            pass
        spent.append(time.thread_time() - c0)

    thread = threading.Thread(target=loop, name="wake-only", daemon=True)
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join()
    return spent[0]
