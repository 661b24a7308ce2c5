"""The benchmark's datasets, generated into a temporary folder: JPEGs of natural-looking
content (multi-octave noise, like clouds or foliage, with a few shapes), and a folder of many
small files for the scan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def natural_image(rng: np.random.Generator, size: tuple[int, int]) -> Image.Image:
    w, h = size
    out = np.zeros((h, w, 3), np.float32)
    for octave in range(1, 7):
        cells = 2**octave
        small = rng.random((cells, cells, 3)).astype(np.float32)
        layer = Image.fromarray((small * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
        out += np.asarray(layer, np.float32) / (1.6**octave)
    out = (out - out.min()) / (out.max() - out.min() + 1e-6) * 255
    im = Image.fromarray(out.astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(int(rng.integers(2, 6))):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = int(rng.integers(w // 20, w // 5))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=color)
    return im.filter(ImageFilter.GaussianBlur(0.6))


def jpeg_folder(folder: Path, count: int, size: tuple[int, int], seed: int = 0) -> Path:
    """``count`` JPEGs of ``size`` in two class subfolders (made once per folder)."""
    marker = folder / ".complete"
    if marker.exists():
        return folder
    rng = np.random.default_rng(seed)
    base = [natural_image(rng, size) for _ in range(min(count, 24))]
    for i in range(count):
        cls = folder / f"class_{i % 2}"
        cls.mkdir(parents=True, exist_ok=True)
        im = base[i % len(base)]
        if i >= len(base):  # vary the pixels, cheaply: a shifted crop wrapped around
            dx = int(rng.integers(0, size[0]))
            im = Image.fromarray(np.roll(np.asarray(im), dx, axis=1))
        im.save(cls / f"img_{i:05d}.jpg", quality=88)
    marker.write_text("done\n")
    return folder


def small_files_folder(folder: Path, count: int) -> Path:
    """``count`` tiny PNGs and JPEGs (a few hundred bytes each), written as bytes."""
    marker = folder / ".complete"
    if marker.exists():
        return folder
    import io

    blobs = []
    for fmt, mode in (("PNG", "RGB"), ("JPEG", "RGB"), ("PNG", "L")):
        buf = io.BytesIO()
        Image.new(mode, (16, 12), 128).save(buf, fmt)
        blobs.append((fmt.lower().replace("jpeg", "jpg"), buf.getvalue()))
    for i in range(count):
        sub = folder / f"c{i % 10}"
        if i < 10:
            sub.mkdir(parents=True, exist_ok=True)
        ext, data = blobs[i % len(blobs)]
        (sub / f"f{i:06d}.{ext}").write_bytes(data)
    marker.write_text("done\n")
    return folder
