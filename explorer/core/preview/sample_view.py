"""Whatever a dataset returns, as something the preview can show.

A batch is split back into its samples (stacked tensors, dicts and tuples of them, or plain
lists of samples from a custom collate), and each sample is shown by its first image-like
part: a tensor or array (CHW or HWC, 1, 3 or 4 channels, any dtype, stretched by its own min
and max), or a PIL image; a dict's image is looked for under the usual keys first. What is
left becomes the caption (a label, a path). A sample with nothing image-like (token ids,
audio, a feature vector) becomes a compact card: its structure, shapes, dtypes and ranges.
Nothing here raises on odd input: the worst is a card saying what the object is.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .display import to_display_array

IMAGE_KEYS = ("image", "img", "pixel_values", "pixels", "input", "inputs", "x", "data")
LABEL_KEYS = ("label", "labels", "target", "targets", "y", "class", "class_id")
MIN_IMAGE_SIDE = 4
MAX_CARD_LINES = 8


@dataclass(frozen=True)
class SampleView:
    rgb: np.ndarray | None  # HxWx3 uint8, or None: show ``card`` instead
    caption: str  # the rest of the sample, in a few words
    card: str  # the structure of a sample with nothing image-like ("" when rgb is set)
    label: int  # -1 when there is none
    shape: tuple[int, ...]
    dtype: str
    min: float
    max: float
    mean: float
    path: str | None = None


def split_batch(batch: Any, n: int) -> list[Any]:
    """The ``n`` samples of a collated batch (best effort: an odd batch is shown whole)."""
    try:
        return [_item(batch, i, n) for i in range(n)]
    except Exception:
        return [batch]


def _leading(x: Any) -> int | None:
    if isinstance(x, torch.Tensor | np.ndarray):
        return int(x.shape[0]) if x.ndim >= 1 else None
    if isinstance(x, Mapping):
        sizes = {_leading(v) for v in x.values()}
        sizes.discard(None)
        return sizes.pop() if len(sizes) == 1 else None
    if isinstance(x, list | tuple):
        return len(x)
    return None


def _item(batch: Any, i: int, n: int) -> Any:
    if isinstance(batch, torch.Tensor | np.ndarray):
        return batch[i] if batch.ndim >= 1 and batch.shape[0] == n else batch
    if isinstance(batch, Mapping):
        return {k: _item(v, i, n) for k, v in batch.items()}
    if isinstance(batch, list | tuple):
        # default_collate turns samples of k fields into k batched fields; a custom collate
        # may return the list of samples itself.
        fields = bool(batch) and all(_leading(v) == n for v in batch)
        if fields and (len(batch) != n or _all_batched_arrays(batch, n)):
            parts = [_item(v, i, n) for v in batch]
            return tuple(parts) if isinstance(batch, tuple) else parts
        return batch[i] if len(batch) == n else batch
    return batch


def _all_batched_arrays(batch: Sequence[Any], n: int) -> bool:
    return all(
        isinstance(v, torch.Tensor | np.ndarray | Mapping) and _leading(v) == n for v in batch
    )


def view_sample(sample: Any) -> SampleView:
    """How the preview shows one sample."""
    try:
        return _view(sample)
    except Exception as exc:  # a sample we cannot even describe: say so, do not crash
        return SampleView(
            None,
            "",
            f"{type(sample).__name__}\n(cannot be shown: {exc})",
            -1,
            (),
            type(sample).__name__,
            *(math.nan,) * 3,
        )


def _view(sample: Any) -> SampleView:
    image, rest = _find_image(sample)
    label = _find_label(rest)
    path = _find_path(rest)
    if image is not None:
        rgb, stats_of = image
        shape, dtype, lo, hi, mean = _stats(stats_of)
        return SampleView(rgb, _caption(rest), "", label, shape, dtype, lo, hi, mean, path)
    first = _first_array(sample)
    shape, dtype, lo, hi, mean = (
        _stats(first) if first is not None else ((), _kind(sample), *(math.nan,) * 3)
    )
    return SampleView(None, _caption(rest), card(sample), label, shape, dtype, lo, hi, mean, path)


def _find_image(sample: Any) -> tuple[tuple[np.ndarray, Any] | None, list[tuple[str, Any]]]:
    """((rgb, the object it came from) or None, the other parts as (name, value))."""
    rgb = _as_image(sample)
    if rgb is not None:
        return (rgb, sample), []
    if isinstance(sample, Mapping):
        keys = [k for k in IMAGE_KEYS if k in sample] + [k for k in sample if k not in IMAGE_KEYS]
        for key in keys:
            rgb = _as_image(sample[key])
            if rgb is not None:
                rest = [(str(k), v) for k, v in sample.items() if k != key]
                return (rgb, sample[key]), rest
        return None, [(str(k), v) for k, v in sample.items()]
    if isinstance(sample, list | tuple):
        for i, part in enumerate(sample):
            rgb = _as_image(part)
            if rgb is not None:
                rest = [(f"[{j}]", v) for j, v in enumerate(sample) if j != i]
                return (rgb, part), rest
        return None, [(f"[{j}]", v) for j, v in enumerate(sample)]
    return None, [("", sample)]


def _as_image(x: Any) -> np.ndarray | None:
    if _is_pil(x):
        return np.asarray(x.convert("RGB"))
    if isinstance(x, torch.Tensor | np.ndarray):
        if x.ndim < 2 or x.dtype == object or (isinstance(x, np.ndarray) and x.dtype.kind in "USV"):
            return None
        squeezed = [d for d in x.shape if d > 1]
        if len(squeezed) < 2:
            return None
        shape = x.shape if x.ndim <= 3 else x.shape[-3:]
        spatial = shape if len(shape) == 2 else _spatial(shape)
        if min(spatial) < MIN_IMAGE_SIDE:
            return None
        return to_display_array(x)
    return None


def _spatial(shape: tuple[int, ...]) -> tuple[int, int]:
    if shape[0] in (1, 3, 4) and shape[-1] not in (1, 3, 4):
        return shape[1], shape[2]
    if shape[-1] in (1, 3, 4):
        return shape[0], shape[1]
    return shape[1], shape[2]


def _is_pil(x: Any) -> bool:
    return type(x).__module__.startswith("PIL.") and hasattr(x, "convert")


def _find_label(rest: list[tuple[str, Any]]) -> int:
    by_name = sorted(rest, key=lambda kv: kv[0].lower() not in LABEL_KEYS)
    for _, v in by_name:
        scalar = _scalar(v)
        if isinstance(scalar, int | np.integer) and not isinstance(scalar, bool):
            return int(scalar)
    return -1


def _find_path(rest: list[tuple[str, Any]]) -> str | None:
    for _, v in rest:
        if isinstance(v, str | os.PathLike) and ("/" in str(v) or "." in str(v)):
            return str(v)
    return None


def _scalar(v: Any) -> Any:
    """A one-element tensor or array as its Python number; anything else as is."""
    if isinstance(v, torch.Tensor) and v.numel() == 1:
        return v.item()
    if isinstance(v, np.ndarray) and v.size == 1:
        return v.item()
    return v


def _caption(rest: list[tuple[str, Any]]) -> str:
    """The first few other parts: ``3 · cat.jpg`` for a tuple, ``label=3`` for a dict."""
    parts = []
    for name, value in rest[:3]:
        named = bool(name) and not name.startswith("[")
        parts.append(f"{name}={_short(value)}" if named else _short(value))
    return " · ".join(parts)


def _short(v: Any) -> str:
    v = _scalar(v)
    if isinstance(v, bool | int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return f"{float(v):.4g}"
    if isinstance(v, str | os.PathLike):
        s = os.path.basename(str(v)) or str(v)
        return s if len(s) <= 24 else s[:23] + "…"
    if isinstance(v, torch.Tensor | np.ndarray):
        return f"{_dtype(v)}{list(v.shape)}"
    if isinstance(v, Mapping):
        return f"dict({len(v)})"
    if isinstance(v, list | tuple):
        return f"{type(v).__name__}({len(v)})"
    return type(v).__name__


def card(sample: Any) -> str:
    """The structure of a sample in a few lines: kinds, shapes, dtypes, min, max, mean."""
    lines: list[str] = []
    _card_lines(sample, "", 0, lines)
    if len(lines) > MAX_CARD_LINES:
        lines = [*lines[: MAX_CARD_LINES - 1], f"… {len(lines) - MAX_CARD_LINES + 1} more"]
    return "\n".join(lines)


def _card_lines(x: Any, name: str, depth: int, out: list[str]) -> None:
    prefix = "  " * depth + (f"{name}: " if name else "")
    if isinstance(x, torch.Tensor | np.ndarray) and x.ndim == 0:
        out.append(f"{prefix}{_dtype(x)} {_short(x)}")
    elif isinstance(x, torch.Tensor | np.ndarray):
        shape, dtype, lo, hi, mean = _stats(x)
        dims = "×".join(map(str, shape)) or "scalar"
        out.append(f"{prefix}{dtype} {dims}  min {lo:.4g} max {hi:.4g} mean {mean:.4g}")
    elif isinstance(x, Mapping) and depth < 2:
        out.append(f"{prefix}dict of {len(x)}")
        for k, v in list(x.items())[:MAX_CARD_LINES]:
            _card_lines(v, str(k), depth + 1, out)
    elif isinstance(x, list | tuple) and depth < 2 and len(x) <= 16:
        out.append(f"{prefix}{type(x).__name__} of {len(x)}")
        for i, v in enumerate(x[:MAX_CARD_LINES]):
            _card_lines(v, f"[{i}]", depth + 1, out)
    elif isinstance(x, list | tuple):
        out.append(f"{prefix}{type(x).__name__} of {len(x)}")
    else:
        text = repr(x) if not isinstance(x, str) else repr(x[:40])
        out.append(f"{prefix}{type(x).__name__} {text[:48]}")


def _first_array(x: Any) -> Any:
    if isinstance(x, torch.Tensor | np.ndarray):
        return x
    values = x.values() if isinstance(x, Mapping) else x if isinstance(x, list | tuple) else ()
    for v in values:
        found = _first_array(v)
        if found is not None:
            return found
    return None


def _kind(x: Any) -> str:
    return type(x).__name__


def _dtype(x: torch.Tensor | np.ndarray) -> str:
    return str(x.dtype).replace("torch.", "")


def _stats(x: Any) -> tuple[tuple[int, ...], str, float, float, float]:
    if _is_pil(x):
        arr = np.asarray(x)
        return (
            tuple(arr.shape),
            f"PIL {x.mode}",
            float(arr.min()),
            float(arr.max()),
            float(arr.mean()),
        )
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x)) if x.dtype.kind in "biuf" else x
    if not isinstance(x, torch.Tensor):
        return tuple(getattr(x, "shape", ())), _kind(x), *(math.nan,) * 3
    shape, dtype = tuple(x.shape), _dtype(x)
    if x.numel() == 0 or x.is_complex():
        return shape, dtype, *(math.nan,) * 3
    f = x.detach().float()
    return shape, dtype, float(f.min()), float(f.max()), float(f.mean())
