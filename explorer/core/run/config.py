"""The run configuration: every option a run takes, validated in one place."""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..datasets.randomspec import RandomSpec, parse_random_spec
from ..errors import ConfigError

MODES = ("eager", "lazy", "memmap", "hdf5")
STORAGES = ("pil-list", "array-list", "contiguous", "shared-tensor")
INDEX_KINDS = ("list", "numpy")
MAX_PREFETCH = 64
MAX_META_BYTES = 1 << 16
MAX_BATCH_SIZE = 1 << 16
MAX_EPOCHS = 10_000
MAX_RESIZE = 4096


def max_workers() -> int:
    """A sensible upper bound for num_workers on this machine."""
    return max(8, min(32, 2 * (os.cpu_count() or 1)))


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "dataloader-explorer"


@dataclass(frozen=True)
class RunConfig:
    """What to load and how. Exactly one of ``folder`` and ``random`` is set."""

    folder: str | None = None
    random: str | None = None
    #: The user's own dataset: ``FILE.py:NAME`` or ``package.module:NAME`` (a Dataset or
    #: IterableDataset class, or a function returning one), called with ``dataset_args``.
    dataset: str | None = None
    dataset_args: dict[str, Any] | None = None
    collate: str | None = None  # the user's collate function, ``FILE.py:NAME``
    mode: str = "lazy"
    batch_size: int = 64
    workers: int = 0
    epochs: int = 1
    max_batches: int | None = None
    #: Stop once this many seconds have passed since the first batch (a sweep's point: its
    #: steady state, with start-up measured apart).
    steady_s: float | None = None
    resize: int = 224
    shuffle: bool = False
    storage: str = "pil-list"
    index: str = "numpy"
    meta_bytes: int = 0
    start_method: str | None = None
    persistent_workers: bool = False
    prefetch_factor: int | None = None
    pin_memory: bool = False
    #: Bytes the budget may use instead of the memory available now (tests, "what if").
    memory_budget: int | None = None
    #: Images declaring more pixels are refused before decoding (default: Pillow's limit).
    max_pixels: int | None = None
    #: No file may take longer to decode (seconds; 0 for no limit).
    decode_timeout: float = 10.0
    #: A simulated training step: the main loop spends this long on each batch (sleeping, as
    #: a host waiting on an accelerator does).
    step_ms: float = 0.0
    cache_dir: str | None = None
    allow_over_budget: bool = False
    #: Seconds between batches that carry preview thumbnails; 0 turns the preview off.
    preview_interval: float = 0.5
    preview_count: int = 16
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def source_label(self) -> str:
        if self.dataset:
            return f"dataset {self.dataset}"
        return f"folder {self.folder}" if self.folder else f"random {self.random}"

    @property
    def random_spec(self) -> RandomSpec | None:
        return parse_random_spec(self.random) if self.random else None

    @property
    def resolved_start_method(self) -> str:
        return self.start_method or multiprocessing.get_start_method()

    @property
    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else default_cache_dir() / "memmap"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start_method"] = self.resolved_start_method
        d["cache_dir"] = str(self.resolved_cache_dir)
        return d

    def validate(self) -> RunConfig:
        """Raise ConfigError naming the first bad option; return self when all is well."""
        if sum(map(bool, (self.folder, self.random, self.dataset))) != 1:
            raise ConfigError(
                "--folder/--random/--dataset",
                "give exactly one source: a folder, a random spec or your dataset",
            )
        if self.dataset is not None:
            from ..datasets.user_code import parse_target

            parse_target(self.dataset, "--dataset")
            if self.dataset_args is not None and not isinstance(self.dataset_args, dict):
                raise ConfigError("--dataset-args", "must be a JSON object of keyword arguments")
        elif self.dataset_args is not None:
            raise ConfigError("--dataset-args", "only applies with --dataset")
        if self.collate is not None:
            if self.dataset is None:
                raise ConfigError("--collate", "only applies with --dataset")
            from ..datasets.user_code import parse_target

            parse_target(self.collate, "--collate")
        if self.folder is not None:
            p = Path(self.folder).expanduser()
            if not p.exists():
                raise ConfigError("--folder", f"{self.folder} does not exist")
            if not p.is_dir():
                raise ConfigError("--folder", f"{self.folder} is not a folder")
        if self.random is not None:
            parse_random_spec(self.random)
        if self.mode not in MODES:
            raise ConfigError("--mode", f"{self.mode!r} is not one of {', '.join(MODES)}")
        if self.storage not in STORAGES:
            raise ConfigError("--storage", f"{self.storage!r} is not one of {', '.join(STORAGES)}")
        if self.index not in INDEX_KINDS:
            raise ConfigError("--index", f"{self.index!r} is not one of {', '.join(INDEX_KINDS)}")
        _check_range("--meta-bytes", self.meta_bytes, 0, MAX_META_BYTES)
        if self.prefetch_factor is not None:
            _check_range("--prefetch-factor", self.prefetch_factor, 1, MAX_PREFETCH)
            if self.workers == 0:
                raise ConfigError("--prefetch-factor", "only applies with --workers 1 or more")
        if self.persistent_workers and self.workers == 0:
            raise ConfigError("--persistent-workers", "only applies with --workers 1 or more")
        if self.random is not None and self.mode in ("memmap", "hdf5"):
            raise ConfigError("--mode", f"{self.mode} needs an image folder; use eager or lazy")
        if self.mode == "hdf5":
            from ..datasets.hdf5_dataset import require_h5py

            require_h5py()
        _check_range("--batch-size", self.batch_size, 1, MAX_BATCH_SIZE)
        _check_range("--workers", self.workers, 0, max_workers())
        _check_range("--epochs", self.epochs, 1, MAX_EPOCHS)
        if self.max_batches is not None:
            _check_range("--max-batches", self.max_batches, 1, 10**12)
        if self.steady_s is not None and not 0 < self.steady_s <= 3600:
            raise ConfigError("--sweep-seconds", "must be more than 0 and at most 3600 s")
        _check_range("--resize", self.resize, 8, MAX_RESIZE)
        methods = multiprocessing.get_all_start_methods()
        if self.start_method is not None and self.start_method not in methods:
            raise ConfigError(
                "--start-method", f"{self.start_method!r} is not one of {', '.join(methods)}"
            )
        if not 0 <= self.decode_timeout <= 3600:
            raise ConfigError("--decode-timeout", "must be between 0 (no limit) and 3600 s")
        if not 0 <= self.step_ms <= 60_000:
            raise ConfigError("--step-ms", "must be between 0 and 60000")
        if self.preview_interval < 0:
            raise ConfigError("preview_interval", "must be 0 (off) or positive")
        return self


def _check_range(option: str, value: object, lo: int, hi: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(option, f"must be a whole number, not {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(option, f"must be between {lo} and {hi}, not {value}")
