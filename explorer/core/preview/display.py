"""Turning a sample tensor into a small picture for the preview: honest, whatever its dtype and
range (uint8 as is; anything else stretched from its own min to its own max)."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

THUMB_SIZE = 96
DETAIL_SIZE = 256


def to_display_array(x: torch.Tensor | np.ndarray) -> np.ndarray | None:
    """An HxWx3 uint8 array showing ``x``, or None when ``x`` is not image-like.

    Understands CHW and HWC with 1, 3 or 4 channels and plain 2-D arrays; extra leading
    dimensions are indexed at 0 (the first frame or slice).
    """
    a = x.detach().cpu() if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if a.dtype in (torch.bfloat16, torch.float16, torch.bool) or a.is_complex():
        a = a.real.float() if a.is_complex() else a.float()
    arr = a.numpy()
    while arr.ndim > 3:
        arr = arr[0]
    if arr.ndim == 3:
        if arr.shape[0] in (1, 3, 4) and arr.shape[-1] not in (1, 3, 4):
            arr = np.moveaxis(arr, 0, -1)
        elif arr.shape[-1] not in (1, 3, 4):
            arr = arr[0] if arr.shape[0] <= arr.shape[-1] else arr[..., 0]
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or min(arr.shape[:2]) < 2:
        return None
    arr = arr[..., :3] if arr.shape[-1] >= 3 else arr[..., :1]
    u8 = arr if arr.dtype == np.uint8 else _stretch(arr)
    if u8.shape[-1] == 1:
        u8 = np.repeat(u8, 3, axis=-1)
    return np.ascontiguousarray(u8)


def display_pictures(x: torch.Tensor) -> tuple[np.ndarray, np.ndarray] | None:
    """``x`` as (thumbnail, detail image): HxWx3 uint8 arrays within ``THUMB_SIZE`` and
    ``DETAIL_SIZE``, or None when ``x`` is not image-like.

    An 8-bit 3-channel CHW tensor (what an image folder yields) is interleaved by Pillow's
    ``merge`` from its three planes: numpy's strided CHW -> HWC copy took 0.17 ms an image,
    ``merge`` 0.03 ms, on the preview's path for every sample shown.
    """
    if x.dtype == torch.uint8 and x.dim() == 3 and x.shape[0] == 3 and min(x.shape[1:]) >= 2:
        planes = x.detach().cpu().numpy()
        im = Image.merge("RGB", [Image.fromarray(np.ascontiguousarray(p)) for p in planes])
    else:
        rgb = to_display_array(x)
        if rgb is None:
            return None
        im = Image.fromarray(rgb)
    return _fit(im, THUMB_SIZE), _fit(im, DETAIL_SIZE)


def fit_within(rgb: np.ndarray, size: int) -> np.ndarray:
    """Downscale an HxWx3 uint8 array so that neither side exceeds ``size`` (never upscale)."""
    if max(rgb.shape[:2]) <= size:
        return rgb
    return _fit(Image.fromarray(rgb), size)


def _fit(im: Image.Image, size: int) -> np.ndarray:
    w, h = im.size
    if max(h, w) > size:
        scale = size / max(h, w)
        # BOX averages each target pixel's area: the right filter to shrink, and the fastest.
        # ``reducing_gap=1``: whole factors first (``reduce``, a box average too), then BOX:
        # 224 -> 96 px in 0.126 ms instead of 0.170 (mean difference: 1 grey level of 255).
        size_wh = (max(1, round(w * scale)), max(1, round(h * scale)))
        im = im.resize(size_wh, Image.Resampling.BOX, reducing_gap=1.0)
    return np.array(im)


def tensor_stats(x: torch.Tensor) -> tuple[float, float, float]:
    """min, max and mean of a tensor of any dtype.

    In numpy, not torch: a torch reduction over an image-sized tensor wakes torch's
    intra-op threads, which then spin on the cores the DataLoader's workers need (measured:
    a fifth of a core for four previews a second).
    """
    t = x.detach().cpu()
    if t.numel() == 0:
        return (float("nan"),) * 3
    if t.dtype in (torch.bfloat16, torch.float16, torch.bool) or t.is_complex():
        t = t.real if t.is_complex() else t
        t = t.to(torch.float32)
    a = t.numpy()
    return float(a.min()), float(a.max()), float(a.mean(dtype=np.float64))


def _stretch(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float32, copy=False)
    finite = np.isfinite(a)
    if not finite.all():
        a = np.where(finite, a, 0.0)
    lo, hi = float(a.min()), float(a.max())
    if hi <= lo:
        return np.full(a.shape, 128 if hi != 0 else 0, np.uint8)
    return ((a - lo) * (255.0 / (hi - lo)) + 0.5).astype(np.uint8)
