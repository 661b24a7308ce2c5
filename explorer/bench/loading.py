"""Figures of the loading itself: the engine against a bare loop, the preview's cost, Pillow's
draft mode, and throughput against the machine's decode limit."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import DataLoader

from ..core.datasets.dataset_factory import build_dataset
from ..core.health.decode import fit_square, open_rgb
from ..core.record.report import RunRecorder
from ..core.run import engine
from ..core.run.config import RunConfig


def bare_run(config: RunConfig) -> float:
    """Wall time of the same dataset and DataLoader settings in a plain loop."""
    t0 = time.perf_counter()
    built = build_dataset(config)
    extra: dict[str, Any] = {}
    if config.workers:
        extra["multiprocessing_context"] = config.resolved_start_method
    loader = DataLoader(
        built.dataset, batch_size=config.batch_size, num_workers=config.workers, **extra
    )
    for _ in range(config.epochs):
        for _batch in loader:
            pass
    return time.perf_counter() - t0


def engine_run(config: RunConfig) -> tuple[float, Any]:
    """Wall time of a run through the engine (sampler, USS/PSS and previews on, events into
    the window's recorder), on a thread as the window runs it; and its RunFinished."""
    recorder = RunRecorder(keep_batches=False)
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    thread = threading.Thread(target=lambda: out.setdefault("f", engine.run(config, recorder)))
    thread.start()
    thread.join()
    wall = time.perf_counter() - t0
    finished = out["f"]
    if finished.status != "completed":
        raise RuntimeError(f"the benchmark run failed: {finished.reason}")
    return wall, finished


def engine_overhead(config: RunConfig, repeats: int) -> dict[str, float]:
    bare, eng = [], []
    bare_run(config)  # warm: page cache, imports, the memmap of nothing
    for _ in range(repeats):
        bare.append(bare_run(config))
        eng.append(engine_run(config)[0])
    return {
        "bare_s": statistics.median(bare),
        "engine_s": statistics.median(eng),
        "ratio": statistics.median(eng) / statistics.median(bare),
    }


def preview_cost(config: RunConfig, repeats: int) -> dict[str, float]:
    on, off = [], []
    no_preview = RunConfig(**{**config.__dict__, "preview_interval": 0.0})
    for _ in range(repeats):
        wall, finished = engine_run(config)
        on.append(finished.samples / wall)
        wall, finished = engine_run(no_preview)
        off.append(finished.samples / wall)
    return {
        "with_preview_sps": statistics.median(on),
        "without_sps": statistics.median(off),
        "ratio": statistics.median(on) / statistics.median(off),
    }


def draft_decode(folder: Path, size: int, repeats: int) -> dict[str, float]:
    paths = sorted(str(p) for p in folder.rglob("*.jpg"))[:60]
    fast, full = [], []
    diffs = []
    for r in range(repeats):
        t0 = time.perf_counter()
        small = [fit_square(open_rgb(p, target=size)[0], size) for p in paths]
        fast.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        big = [fit_square(open_rgb(p, target=None)[0], size) for p in paths]
        full.append(time.perf_counter() - t0)
        if r == 0:
            diffs = [np.abs(a.astype(np.int16) - b).mean() for a, b in zip(small, big, strict=True)]
    mse = float(np.mean([d**2 for d in diffs]))
    return {
        "draft_ms": statistics.median(fast) / len(paths) * 1000,
        "full_ms": statistics.median(full) / len(paths) * 1000,
        "speedup": statistics.median(full) / statistics.median(fast),
        "mean_abs_diff": float(np.mean(diffs)),
        "psnr_db": float(10 * np.log10(255**2 / max(mse, 1e-9))),
    }


def machine_limit(config: RunConfig, repeats: int) -> dict[str, float]:
    """Engine throughput with 2 workers (samples over the loop's time: from the first request
    for a batch to the last) against twice the single-core rate of the same dataset's
    ``__getitem__`` in this process, measured in the same run."""
    built = build_dataset(RunConfig(**{**config.__dict__, "workers": 0}))
    n = min(len(built.dataset), 300)
    single = []
    multi = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(n):
            built.dataset[i]
        single.append(n / (time.perf_counter() - t0))
        _, finished = engine_run(config)
        multi.append(finished.samples / finished.loop_s)
    return {
        "single_core_sps": statistics.median(single),
        "two_workers_sps": statistics.median(multi),
        "ratio": statistics.median(multi) / (2 * statistics.median(single)),
    }
