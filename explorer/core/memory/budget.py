"""Predicting a run's peak memory before its workers start, from what the dataset holds, how
workers start and what is in flight, and warning when it would not fit.

predicted peak Σ PSS = main now + workers × (start-up + what each copies)
                       + the batches in flight [+ pinned copies]
                       (with no workers: + the loop's own decoding working set)

Σ PSS counts every page once, so a forked worker adds only the pages it makes or copies. The
constants come from sweeps measured on the 2-core machine (lazy JPEG at 224 and random
tensors, 0-4 workers, batch 32 and 64): a forked worker's USS was 13-20 MiB; with no workers
the main process grew by about 12 MiB plus a batch while decoding; and the batches in flight
added about half a batch per worker, not the ``prefetch factor`` batches each a full queue
holds, because a loop that waits for data keeps its queue nearly empty. /dev/shm is still
checked against the full queue (``shm_needed``), the worst case.

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

FORK_WORKER_BASE = 16 << 20  # a forked worker's own pages (measured USS: 13-20 MiB)
LOOP_WORKING_SET = 12 << 20  # with no workers, the main process decodes (measured: +12 MiB)
#: A spawned interpreter with torch imported: USS 150 MiB measured (its RSS, ~240 MiB, also
#: counts the library pages it shares with the main process, which Σ PSS counts once).
FRESH_WORKER_BASE = 150 << 20
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
    # A torch tensor is not copied to a spawned worker: torch's pickling moves it to shared
    # memory (the eager random tensors, and the ``shared-tensor`` storage).
    shared_pixels = (
        config.storage == "shared-tensor"
        or config.mode in ("memmap", "hdf5")
        or isinstance(getattr(built.dataset, "data", None), torch.Tensor)
    )
    if method == "fork":
        per_worker = FORK_WORKER_BASE + (index_bytes if config.index == "list" else 0)
        starting = 0
    else:
        copied = index_bytes + (0 if shared_pixels else dataset_bytes)
        per_worker = FRESH_WORKER_BASE + copied
        # While a worker starts, the dataset briefly exists once more, pickled: whether a
        # 10 Hz sample catches that moment varies (eager numpy images, 2 spawned workers:
        # 1,665 and 2,156 MiB in two runs, 1,679 predicted without it), so half of it counts.
        starting = copied // 2 if workers else 0
    prefetch = config.prefetch_factor or DEFAULT_PREFETCH
    queue_full = workers * prefetch * batch if workers else batch
    in_flight = workers * batch // 2 if workers else LOOP_WORKING_SET + batch
    pinned = queue_full if config.pin_memory and has_accelerator() else 0
    parts = {
        "main": main_now,
        "workers": workers * per_worker + starting,
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
    shm_needed = queue_full if workers else 0
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
