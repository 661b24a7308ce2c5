"""Building the dataset a run configuration asks for, with progress, cancellation and a
memory budget that refuses eager loads which would not fit."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import psutil
from torch.utils.data import Dataset

from ..errors import DatasetError
from ..health.decode import DecodeError, read_header
from ..health.folder import FolderItem, FolderListing, SkippedFile
from ..health.scan import scan_folder
from ..run.config import RunConfig
from ..units import format_bytes
from .dataset_info import DatasetInfo
from .image_datasets import STORAGES, EagerImageDataset, LazyImageDataset, Progress
from .memmap_cache import build_or_reuse
from .metadata import build_index, estimated_bytes
from .random_datasets import EagerRandomDataset, LazyRandomDataset
from .samples import collate_samples

#: Eager loads may use at most this fraction of the memory available when the run starts.
EAGER_BUDGET_FRACTION = 0.5


@dataclass(frozen=True)
class SampleInfo:
    """What the preview's detail view says about one sample, beyond its pixels."""

    path: str | None
    class_name: str | None
    original_size: tuple[int, int] | None
    original_mode: str | None


@dataclass
class BuiltDataset:
    dataset: Dataset
    info: DatasetInfo
    listing: FolderListing | None = None
    #: The user's dataset: batches are (their batch, per-sample timings), made by this.
    collate_fn: Callable[[list], Any] | None = None
    iterable: bool = False

    def collate(self) -> Callable[[list], Any]:
        """The DataLoader's ``collate_fn`` for this dataset: the user's, wrapped, or the
        built-in samples' (see ``collate_samples``)."""
        return self.collate_fn or collate_samples

    def describe(self, index: int, header: bool = True) -> SampleInfo:
        path_of: Callable[[int], str | None] = getattr(self.dataset, "path", lambda i: None)
        path = path_of(index)
        class_name = None
        if self.listing is not None:
            labels = getattr(self.dataset, "labels", None)
            if labels is not None and 0 <= index < len(labels):
                class_name = self.listing.class_name(int(labels[index]))
        if path is None or not header:
            return SampleInfo(path, class_name, None, None)
        try:
            header = read_header(path)
            return SampleInfo(path, class_name, header.size, header.mode)
        except DecodeError:
            return SampleInfo(path, class_name, None, None)


def eager_budget() -> int:
    return int(psutil.virtual_memory().available * EAGER_BUDGET_FRACTION)


def build_dataset(
    config: RunConfig,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> BuiltDataset:
    """Build the dataset for ``config`` (validated). Raises DatasetError or Cancelled."""
    t0 = time.perf_counter()
    if config.dataset is not None:
        return _build_user_dataset(config, t0)
    spec = config.random_spec
    if spec is not None:
        if config.mode == "eager":
            _check_budget(spec.total_bytes, config, what=f"the eager random spec {spec}")
            # Spawned workers get it through shared memory whatever the storage: torch's
            # pickling would move it there, a 983 MB copy with the interpreter lock held.
            shared = config.storage == "shared-tensor" or (
                config.workers > 0 and config.resolved_start_method != "fork"
            )
            dataset: Dataset = EagerRandomDataset(spec, progress, stop, shared=shared)
        else:
            dataset = LazyRandomDataset(spec)
        _check_index_budget(config, spec.count)
        labels = np.full(spec.count, -1, dtype=np.int64)
        dataset.index = build_index(
            config.index, labels, _RandomPaths(spec.count), config.meta_bytes
        )
        info = DatasetInfo(
            "random",
            config.mode,
            spec.count,
            (),
            time.perf_counter() - t0,
            estimated_eager_bytes=spec.total_bytes,
        )
        return BuiltDataset(dataset, info)

    assert config.folder is not None
    scan = scan_folder(config.folder, max_pixels=config.max_pixels)
    listing = scan.listing
    items = [FolderItem(f.path, f.label) for f in scan.loadable]
    skipped = scan.skipped
    pixels = scan.pixels()
    eager_bytes = pixels * STORAGES[config.storage]
    if not items:
        raise DatasetError(_empty_message(config.folder, listing, skipped))
    cache_file = cache_reused = None
    if config.mode == "eager":
        _check_budget(eager_bytes, config, what=f"decoding {len(items)} images eagerly")
        eager = EagerImageDataset(
            items,
            config.resize,
            progress,
            stop,
            config.storage,
            pixels,
            config.max_pixels,
            config.decode_timeout,
        )
        skipped += eager.skipped
        dataset = eager
    elif config.mode in ("memmap", "hdf5"):
        build = build_or_reuse(
            items, config.resize, config.resolved_cache_dir, progress, stop, fmt=config.mode
        )
        skipped += build.skipped
        dataset, cache_file, cache_reused = build.dataset, build.cache_file, build.reused
    else:
        dataset = LazyImageDataset(items, config.resize, config.max_pixels, config.decode_timeout)
    if len(dataset) == 0:
        raise DatasetError(_empty_message(config.folder, listing, skipped))
    dataset.index = build_index(
        config.index, list(dataset.labels), list(dataset.paths), config.meta_bytes
    )
    info = DatasetInfo(
        "folder",
        config.mode,
        len(dataset),
        tuple(skipped),
        time.perf_counter() - t0,
        classes=listing.classes,
        estimated_eager_bytes=eager_bytes,
        cache_file=cache_file,
        cache_reused=cache_reused,
        scan={k: v for k, v in scan.to_dict(STORAGES[config.storage]).items() if k != "skipped"},
    )
    return BuiltDataset(dataset, info, listing)


class _RandomPaths:
    """The names of random samples, made one at a time."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> str:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return f"{_RANDOM_PREFIX}{i:08d}"

    def fixed_width_bytes(self, width: int) -> np.ndarray:
        """All names as an (n, max(width, len)) uint8 table, padded with "_".

        Made in slices of ``_ROWS_AT_ONCE`` rows, the digits by integer arithmetic: numpy
        holds the interpreter lock through each call, and one call over every row (string
        ``zfill`` and ``astype``, a fill of the whole table) stopped the window for 147-315
        ms with the Copy-on-read lesson's 400,000 records of 512 bytes."""
        digits = max(8, len(str(self.n - 1)))
        prefix = np.frombuffer(_RANDOM_PREFIX.encode(), dtype=np.uint8)
        start = len(prefix)
        table = np.empty((self.n, max(width, start + digits)), dtype=np.uint8)
        powers = 10 ** np.arange(digits - 1, -1, -1, dtype=np.int64)
        for a in range(0, self.n, _ROWS_AT_ONCE):
            rows = table[a : a + _ROWS_AT_ONCE]
            rows[:, :start] = prefix
            index = np.arange(a, a + len(rows), dtype=np.int64)[:, None]
            rows[:, start : start + digits] = index // powers % 10 + ord("0")
            rows[:, start + digits :] = ord("_")
        return table


_RANDOM_PREFIX = "random/"  # a random sample's name: this, then its index in 8 digits or more
_ROWS_AT_ONCE = 2048


def _check_index_budget(config: RunConfig, n: int) -> None:
    need = estimated_bytes(config.index, n, config.meta_bytes, path_len=16)
    budget = eager_budget()
    hint = ", --index numpy" if config.index == "list" else ""
    if need > budget and not config.allow_over_budget:
        raise DatasetError(
            f"the per-sample metadata ({config.index} index, {n:,} records) needs about "
            f"{format_bytes(need)}, over the budget of {format_bytes(budget)} (half of what is "
            f"available now); use fewer samples{hint} or fewer --meta-bytes"
        )


def _check_budget(need: int, config: RunConfig, what: str) -> None:
    budget = eager_budget() if config.memory_budget is None else config.memory_budget
    origin = "set by --memory-budget" if config.memory_budget else "half of what is available now"
    if need > budget and not config.allow_over_budget:
        raise DatasetError(
            f"{what} needs about {format_bytes(need)} of memory, over the budget of "
            f"{format_bytes(budget)} ({origin}); use lazy or memmap "
            "loading, or allow it explicitly (--allow-over-budget)"
        )


def _empty_message(folder: str, listing: FolderListing, skipped: list[SkippedFile]) -> str:
    if not listing.files and not listing.skipped:
        return f"the folder {folder} is empty"
    examples = "; ".join(f"{os.path.basename(s.path)}: {s.reason}" for s in skipped[:3])
    more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    return (
        f"the folder {folder} has no image that can be loaded "
        f"({len(skipped)} file{'s' if len(skipped) != 1 else ''} skipped: {examples}{more})"
    )


def _build_user_dataset(config: RunConfig, t0: float) -> BuiltDataset:
    from .user_dataset import make_user_dataset

    dataset, collate, kind = make_user_dataset(
        config.dataset or "", config.dataset_args, config.collate
    )
    try:
        items: int | None = len(dataset)
    except TypeError:
        items = None  # a stream: progress counts samples seen
    except Exception as exc:
        from .user_code import user_error

        raise user_error(exc, "len() of your dataset failed") from None
    info = DatasetInfo("user", kind, items, (), time.perf_counter() - t0)
    return BuiltDataset(dataset, info, collate_fn=collate, iterable=kind == "iterable")
