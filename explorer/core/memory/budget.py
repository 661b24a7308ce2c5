"""Predicting a run's peak memory before its workers start, from what the dataset holds, how
workers start and what is in flight, and warning when it would not fit.

predicted peak = main now + workers × (start-up + what each copies)
                 + workers × prefetch factor × batch bytes (in /dev/shm) [+ pinned copies]

What a worker copies depends on the start method: ``fork`` shares the parent's pages, but
reference counting copies every page of Python objects it touches (a list-of-dicts index); the
pixels of an eager dataset stay shared. ``spawn`` and ``forkserver`` start a fresh interpreter
that imports torch and receives the dataset pickled: a full copy, unless it lives in shared
memory.
"""

from __future__ import annotations

import psutil
import torch

from ..datasets.dataset_factory import BuiltDataset
from ..run.config import RunConfig
from ..run.events import MemoryBudget
from ..units import format_bytes
from .system_memory import SystemMemory

FORK_WORKER_BASE = 30 << 20  # a forked worker's own allocations (measured: 20-40 MiB)
FRESH_WORKER_BASE = 250 << 20  # a spawned interpreter with torch imported (measured: ~240 MiB)
DEFAULT_PREFETCH = 2


def predict(
    config: RunConfig,
    built: BuiltDataset,
    system: SystemMemory,
    t: float = 0.0,
    budget: int | None = None,
) -> MemoryBudget:
    """The budget of ``config`` over ``built``; ``budget`` overrides the available memory."""
    main_now = psutil.Process().memory_info().rss
    dataset_bytes = _dataset_bytes(built)
    index = getattr(built.dataset, "index", None)
    index_bytes = index.nbytes if index is not None else 0
    batch = config.batch_size * _sample_bytes(config, built)
    workers = config.workers
    method = config.resolved_start_method
    shared_pixels = config.storage == "shared-tensor" or config.mode in ("memmap", "hdf5")
    if method == "fork":
        per_worker = FORK_WORKER_BASE + (index_bytes if config.index == "list" else 0)
    else:
        copied = index_bytes + (0 if shared_pixels else dataset_bytes)
        per_worker = FRESH_WORKER_BASE + copied
    prefetch = config.prefetch_factor or DEFAULT_PREFETCH
    in_flight = workers * prefetch * batch if workers else batch
    pinned = in_flight if config.pin_memory and has_accelerator() else 0
    parts = {
        "main": main_now,
        "workers": workers * per_worker,
        "in_flight": in_flight,
        "pinned": pinned,
    }
    predicted = sum(parts.values())
    available = system.available if budget is None else budget
    warnings = []
    if predicted > available:
        warnings.append(
            f"predicted peak {format_bytes(predicted)} exceeds the {format_bytes(available)} "
            "available: expect swapping or the OOM killer; use fewer workers, lazy loading, a "
            "numpy index, or smaller batches"
        )
    if config.pin_memory and not has_accelerator():
        warnings.append("pin_memory has no effect here: no accelerator, so nothing is pinned")
    shm_needed = in_flight if workers else 0
    if system.shm_total is not None and shm_needed > system.shm_total:
        warnings.append(
            f"batches in flight need {format_bytes(shm_needed)} of /dev/shm, which has "
            f"{format_bytes(system.shm_total)} (Docker's default is 64 MB: run the container "
            "with --shm-size, or lower workers, prefetch factor or batch size)"
        )
    return MemoryBudget(
        t, predicted, parts, available, system.shm_total, shm_needed, tuple(warnings)
    )


def has_accelerator() -> bool:
    accelerator = getattr(torch, "accelerator", None)
    if accelerator is not None and hasattr(accelerator, "is_available"):
        return bool(accelerator.is_available())
    return bool(torch.cuda.is_available())


def _dataset_bytes(built: BuiltDataset) -> int:
    nbytes = getattr(built.dataset, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes
    data = getattr(built.dataset, "data", None)
    if data is not None and hasattr(data, "nbytes"):
        return int(data.nbytes)
    return 0


def _sample_bytes(config: RunConfig, built: BuiltDataset) -> int:
    spec = config.random_spec
    if spec is not None:
        return spec.sample_bytes
    return 3 * config.resize * config.resize
