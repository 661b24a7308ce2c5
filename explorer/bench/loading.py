"""Figures of the loading itself: the engine against a bare loop, the preview's cost, Pillow's
draft mode, and throughput against the machine's decode limit."""

from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from torch.utils.data import DataLoader

from ..core.datasets.dataset_factory import build_dataset
from ..core.health.decode import fit_square, open_rgb
from ..core.record.report import RunRecorder
from ..core.run import engine
from ..core.run.config import RunConfig
from .pair_stats import pairs, ratios


def bare_run(config: RunConfig) -> float:
    """Wall time of the same dataset and DataLoader settings in a plain loop."""
    return bare_loop(config)[0]


def bare_loop(config: RunConfig) -> tuple[float, float]:
    """The same dataset and DataLoader settings in a plain ``for batch in loader`` loop: its
    wall time, and its samples per second over the loop, timed as the engine's ``loop_s`` is:
    from the first request for a batch, once the first epoch's workers have started, to the
    last batch (timed from before the first ``iter`` to the loop's end, the bare loop also
    counted its first workers' start and its last workers' shutdown: 17 and 10.6 ms, medians
    of 16, about 1% of a 2.4 s run, which the engine's ``loop_s`` does not count)."""
    t0 = time.perf_counter()
    built = build_dataset(config)
    extra: dict[str, Any] = {}
    if config.workers:
        extra["multiprocessing_context"] = config.resolved_start_method
        extra["persistent_workers"] = config.persistent_workers
    loader = DataLoader(  # its collate_fn is the engine's: the samples' timings per batch
        built.dataset,
        batch_size=config.batch_size,
        num_workers=config.workers,
        collate_fn=built.collate(),
        **extra,
    )
    samples = 0
    first = iter(loader)  # the first epoch's workers start, as before the engine's loop_s
    loop_start = last = time.perf_counter()
    for epoch in range(config.epochs):
        for batch in first if epoch == 0 else loader:
            samples += len(batch["index"])
            last = time.perf_counter()
    end = time.perf_counter()
    del loader, first
    return end - t0, samples / (last - loop_start)


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


def noise(config: RunConfig, repeats: int) -> dict[str, Any]:
    """The bare run against itself, in the same alternated pairs as every ratio here: how far
    from 1.0 a ratio of two identical things comes out on this machine, now (an A/A test)."""
    bare_run(config)  # warm
    ratio, first, second = pairs(lambda: bare_run(config), lambda: bare_run(config), repeats)
    each = ratios(first, second)
    return {"ratio": ratio, "pair_ratios": each, "spread": max(each) - min(each), "pairs": repeats}


def engine_overhead(config: RunConfig, repeats: int) -> dict[str, float]:
    """The engine's wall time against the bare loop's, in alternated pairs; and, from the
    same engine runs, its own threads' CPU (``RunFinished.tool_cpu_s``) as a share of the
    machine's cores over the run: a cost that the machine's changing speed hardly blurs."""
    bare_run(config)  # warm: page cache, imports, the memmap of nothing
    engine_run(config)  # and the engine's own first-run imports, so no pair pays for them
    shares: list[float] = []

    def engine_wall() -> float:
        wall, finished = engine_run(config)
        shares.append(finished.tool_cpu_s / (wall * (os.cpu_count() or 1)))
        return wall

    ratio, eng, bare = pairs(engine_wall, lambda: bare_run(config), repeats)
    return {
        "bare_s": statistics.median(bare),
        "engine_s": statistics.median(eng),
        "ratio": ratio,
        "pairs": repeats,
        "pair_ratios": ratios(eng, bare),
        "tool_cpu_share": statistics.median(shares),
    }


def preview_cost(config: RunConfig, repeats: int) -> dict[str, float]:
    no_preview = RunConfig(**{**config.__dict__, "preview_interval": 0.0})

    def sps(c: RunConfig) -> float:
        wall, finished = engine_run(c)
        return finished.samples / wall

    sps(config)  # warm, as in engine_overhead
    ratio, on, off = pairs(lambda: sps(config), lambda: sps(no_preview), repeats)
    return {
        "with_preview_sps": statistics.median(on),
        "without_sps": statistics.median(off),
        "ratio": ratio,
        "pairs": repeats,
        "pair_ratios": ratios(on, off),
    }


def draft_decode(folder: Path, size: int, repeats: int) -> dict[str, Any]:
    """Decoding 60 1024x768 JPEGs to ``size`` with Pillow's ``draft`` against a full decode
    then resize, in alternated pairs (full / draft per pair), and how close the pictures are."""
    paths = sorted(str(p) for p in folder.rglob("*.jpg"))[:60]
    small = [fit_square(open_rgb(p, target=size)[0], size) for p in paths]  # warm, and kept
    big = [fit_square(open_rgb(p, target=None)[0], size) for p in paths]
    diffs = [np.abs(a.astype(np.int16) - b).mean() for a, b in zip(small, big, strict=True)]
    mse = float(np.mean([d**2 for d in diffs]))

    def timed(target: int | None) -> float:
        t0 = time.perf_counter()
        for p in paths:
            fit_square(open_rgb(p, target=target)[0], size)
        return time.perf_counter() - t0

    def decoded(target: int | None) -> float:  # the decoder alone: no conversion, no resize
        t0 = time.perf_counter()
        for p in paths:
            with Image.open(p) as im:
                if target is not None:
                    im.draft("RGB", (target, target))
                im.load()
        return time.perf_counter() - t0

    speedup, full, fast = pairs(lambda: timed(None), lambda: timed(size), repeats)
    decoder, _, _ = pairs(lambda: decoded(None), lambda: decoded(size), repeats)
    return {
        "draft_ms": statistics.median(fast) / len(paths) * 1000,
        "full_ms": statistics.median(full) / len(paths) * 1000,
        "speedup": speedup,
        "decoder_speedup": decoder,
        "pair_ratios": ratios(full, fast),
        "mean_abs_diff": float(np.mean(diffs)),
        "psnr_db": float(10 * np.log10(255**2 / max(mse, 1e-9))),
    }


def scaling(config: RunConfig, repeats: int, cost_pairs: int | None = None) -> dict[str, float]:
    """2-worker throughput (samples over the loop's time) through the engine against a bare
    DataLoader with the same settings, in ``cost_pairs`` alternated pairs (``repeats`` if
    None): the tool's cost. Also, from ``repeats`` runs each, as
    information, against twice the single-core rate of the same dataset's ``__getitem__``
    (what two cores could do with nothing else to run), with and without persistent workers."""
    built = build_dataset(RunConfig(**{**config.__dict__, "workers": 0}))
    n = min(len(built.dataset), 300)

    def single() -> float:
        t0 = time.perf_counter()
        for i in range(n):
            built.dataset[i]
        return n / (time.perf_counter() - t0)

    def engine_sps(c: RunConfig) -> float:
        _, finished = engine_run(c)
        return finished.samples / finished.loop_s

    persistent = RunConfig(**{**config.__dict__, "persistent_workers": True}).validate()
    engine_sps(config)  # warm, as in engine_overhead
    n = cost_pairs or repeats
    ratio, eng, bare = pairs(lambda: engine_sps(config), lambda: bare_loop(config)[1], n)
    singles = [single() for _ in range(repeats)]
    kept = [engine_sps(persistent) for _ in range(repeats)]
    one_core = statistics.median(singles)
    return {
        "engine_sps": statistics.median(eng),
        "bare_sps": statistics.median(bare),
        "ratio": ratio,
        "single_core_sps": one_core,
        "vs_two_cores": statistics.median(eng) / (2 * one_core),
        "persistent_sps": statistics.median(kept),
        "persistent_vs_two_cores": statistics.median(kept) / (2 * one_core),
        "pairs": n,
        "pair_ratios": ratios(eng, bare),
    }
