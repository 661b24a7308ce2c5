"""Scanning a folder before any decoding: headers only. For each file its format, mode and size
and whether Pillow can identify it; counts by format and mode; the distribution of sizes; the
classes; files that are not images; duplicates (same content) on request; and what an eager
load would take."""

from __future__ import annotations

import hashlib
import os
import statistics
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from .decode import DecodeError, check_pixels, default_max_pixels, read_header
from .folder import FolderListing, SkippedFile, list_folder
from .header_cache import HEADERS, HeaderCache

#: Above this many files the headers are read by a pool of processes.
PARALLEL_FROM = 4000


@dataclass(frozen=True)
class FileInfo:
    path: str
    label: int
    format: str | None = None
    mode: str | None = None
    size: tuple[int, int] | None = None
    reason: str | None = None  # why it will not load; None when it looks loadable


@dataclass
class ScanReport:
    root: str
    listing: FolderListing
    files: list[FileInfo]
    duplicates: list[list[str]] = field(default_factory=list)

    @property
    def loadable(self) -> list[FileInfo]:
        return [f for f in self.files if f.reason is None]

    @property
    def skipped(self) -> list[SkippedFile]:
        return list(self.listing.skipped) + [
            SkippedFile(f.path, f.reason) for f in self.files if f.reason is not None
        ]

    def pixels(self) -> int:
        return sum(f.size[0] * f.size[1] for f in self.loadable if f.size)

    def to_dict(self, bytes_per_pixel: int = 3) -> dict[str, Any]:
        ok = self.loadable
        widths = [f.size[0] for f in ok if f.size]
        heights = [f.size[1] for f in ok if f.size]
        classes: dict[str, int] = defaultdict(int)
        for f in ok:
            classes[self.listing.class_name(f.label) or "(none)"] += 1
        return {
            "root": self.root,
            "files": len(self.files) + len(self.listing.skipped),
            "items": len(ok),
            "formats": dict(Counter(f.format for f in ok).most_common()),
            "modes": dict(Counter(f.mode for f in ok).most_common()),
            "sizes": {
                "width": _spread(widths),
                "height": _spread(heights),
                "pixels": _spread([w * h for w, h in zip(widths, heights, strict=True)]),
            },
            "classes": dict(classes),
            "estimated_eager_bytes": self.pixels() * bytes_per_pixel,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "duplicates": self.duplicates,
        }


def scan_folder(
    root: str, hashes: bool = False, max_pixels: int | None = None, jobs: int | None = None
) -> ScanReport:
    """Read every file's header under ``root`` (no pixels are decoded)."""
    listing = list_folder(root)
    limit = default_max_pixels() if max_pixels is None else max_pixels
    paths = [f.path for f in listing.files]
    if len(paths) >= PARALLEL_FROM and (jobs or os.cpu_count() or 1) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            headers = list(pool.map(_header, paths, [limit] * len(paths), chunksize=256))
    else:  # headers read before, of files unchanged since, are not read again
        headers = [_header(p, limit, HEADERS) for p in paths]
    files = [
        FileInfo(item.path, item.label, *h) for item, h in zip(listing.files, headers, strict=True)
    ]
    report = ScanReport(listing.root, listing, files)
    if hashes:
        report.duplicates = find_duplicates(
            [f.path for f in files] + [s.path for s in listing.skipped]
        )
    return report


def find_duplicates(paths: list[str]) -> list[list[str]]:
    """Groups of files with the same content (size first, then SHA-256)."""
    by_size: dict[int, list[str]] = defaultdict(list)
    for p in paths:
        try:
            by_size[os.path.getsize(p)].append(p)
        except OSError:
            continue
    groups: dict[str, list[str]] = defaultdict(list)
    for same in by_size.values():
        if len(same) > 1:
            for p in same:
                with open(p, "rb") as f:
                    groups[hashlib.file_digest(f, "sha256").hexdigest()].append(p)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def _header(path: str, limit: int, cache: HeaderCache | None = None) -> tuple[Any, ...]:
    try:
        info = read_header(path) if cache is None else cache.read(path)
        check_pixels(info.size, limit)
    except DecodeError as exc:
        return (None, None, None, str(exc))
    return (info.format, info.mode, info.size, None)


def _spread(values: list[int]) -> dict[str, float | None]:
    if not values:
        return {"min": None, "median": None, "max": None}
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


Image.init()  # the registered formats, before any fork of a pool
