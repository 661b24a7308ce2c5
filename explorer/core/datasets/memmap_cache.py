"""The memmap mode's cache: every image decoded and resized once into a uint8 file of shape
(N, S, S, 3), reused by later runs while the files are unchanged (path, size, mtime)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import Cancelled, DatasetError
from ..health.decode import DecodeError, fit_square, open_rgb
from ..health.folder import FolderItem, SkippedFile
from ..units import format_bytes
from .hdf5_dataset import HDF5ImageDataset, HDF5Writer
from .image_datasets import MemmapImageDataset, Progress

CACHE_VERSION = 1


@dataclass(frozen=True)
class MemmapBuild:
    dataset: MemmapImageDataset
    skipped: tuple[SkippedFile, ...]
    reused: bool
    cache_file: str


def cache_key(items: Sequence[FolderItem], size: int) -> str:
    """A digest of the file list (path, size, mtime) and the target size."""
    h = hashlib.sha256(f"v{CACHE_VERSION}:{size}".encode())
    for item in items:
        st = os.stat(item.path)
        h.update(f"\0{item.path}\0{item.label}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


def build_or_reuse(
    items: Sequence[FolderItem],
    size: int,
    cache_dir: Path,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    fmt: str = "memmap",
) -> MemmapBuild:
    """Return the cached dataset for ``items`` (``fmt`` "memmap" or "hdf5"), decoding into a
    new cache file only if needed."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = cache_key(items, size)
    data_file = cache_dir / f"{key}.{'h5' if fmt == 'hdf5' else 'u8'}"
    meta_file = cache_dir / f"{key}.{fmt}.json"
    meta = _read_meta(meta_file, data_file, size, fmt)
    reused = meta is not None
    if meta is None:
        meta = _build(items, size, cache_dir, data_file, meta_file, progress, stop, fmt)
    elif progress is not None:
        progress(len(items), len(items))
    cls = HDF5ImageDataset if fmt == "hdf5" else MemmapImageDataset
    dataset = cls(str(data_file), meta["paths"], meta["labels"], size)
    skipped = tuple(SkippedFile(p, r) for p, r in meta["skipped"])
    return MemmapBuild(dataset, skipped, reused, str(data_file))


def _read_meta(meta_file: Path, data_file: Path, size: int, fmt: str) -> dict | None:
    try:
        meta = json.loads(meta_file.read_text())
        expected = len(meta["paths"]) * size * size * 3
        ok = (
            data_file.stat().st_size >= expected
            if fmt == "hdf5"
            else (data_file.stat().st_size == expected)
        )
        if meta.get("version") == CACHE_VERSION and ok:
            return meta
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _build(items, size, cache_dir, data_file, meta_file, progress, stop, fmt) -> dict:
    need = len(items) * size * size * 3
    free = shutil.disk_usage(cache_dir).free
    if need > free:
        raise DatasetError(
            f"the {fmt} cache needs {format_bytes(need)} but {cache_dir} has only "
            f"{format_bytes(free)} free; choose another cache folder, a smaller resize, or lazy"
        )
    partial = data_file.with_suffix(".partial")
    paths: list[str] = []
    labels: list[int] = []
    skipped: list[tuple[str, str]] = []
    writer = HDF5Writer(str(partial), len(items), size) if fmt == "hdf5" else _RawWriter(partial)
    try:
        try:
            for n, item in enumerate(items, 1):
                if stop is not None and stop.is_set():
                    raise Cancelled(f"stopped while building the {fmt} cache")
                try:
                    im, _ = open_rgb(item.path, target=size)
                    writer.write(fit_square(im, size))
                    paths.append(item.path)
                    labels.append(item.label)
                except DecodeError as exc:
                    skipped.append((item.path, str(exc)))
                if progress is not None:
                    progress(n, len(items))
        finally:
            writer.close()
        meta = {
            "version": CACHE_VERSION,
            "size": size,
            "paths": paths,
            "labels": labels,
            "skipped": skipped,
        }
        os.replace(partial, data_file)
        meta_file.write_text(json.dumps(meta))
        return meta
    finally:
        partial.unlink(missing_ok=True)


class _RawWriter:
    def __init__(self, path: Path) -> None:
        self.f = open(path, "wb")  # noqa: SIM115 (closed by close())

    def write(self, pixels) -> None:  # type: ignore[no-untyped-def]
        self.f.write(pixels.tobytes())

    def close(self) -> None:
        self.f.close()
