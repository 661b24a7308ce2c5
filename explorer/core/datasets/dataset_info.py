"""What a built dataset is, in plain data (no torch): it travels in events and recordings."""

from __future__ import annotations

from dataclasses import dataclass

from ..health.folder import SkippedFile


@dataclass(frozen=True)
class DatasetInfo:
    kind: str  # "folder", "random" or "user"
    mode: str  # eager, lazy, memmap, hdf5; "map" or "iterable" for the user's dataset
    items: int | None  # None: a stream without a length
    skipped: tuple[SkippedFile, ...]
    init_s: float
    classes: tuple[str, ...] = ()
    estimated_eager_bytes: int | None = None
    cache_file: str | None = None
    cache_reused: bool | None = None
    #: From the header scan of a folder: formats, modes, sizes, classes, duplicates...
    scan: dict | None = None
