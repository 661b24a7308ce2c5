"""The header scan against the plain loop a person would write."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from PIL import Image

from ..core.health.scan import scan_folder
from .data import small_files_folder


def plain_loop(folder: Path) -> int:
    n = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".png", ".jpg"):
            with Image.open(path) as im:
                im.size  # noqa: B018
            n += 1
    return n


def scan_speed(folder: Path, count: int, repeats: int = 3) -> dict[str, float]:
    small_files_folder(folder, count)
    plain_loop(folder)  # warm the page cache for both
    ours, plain = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        report = scan_folder(str(folder))
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        n = plain_loop(folder)
        plain.append(time.perf_counter() - t0)
    assert report.to_dict()["items"] == n, "the scan and the loop disagree on the images"
    return {
        "files": count,
        "scan_s": statistics.median(ours),
        "plain_s": statistics.median(plain),
        "speedup": statistics.median(plain) / statistics.median(ours),
    }
