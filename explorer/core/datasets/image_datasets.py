"""Datasets over an image folder: eager (decoded in ``__init__``), lazy (decoded in
``__getitem__``) and memmap (read from a pre-decoded uint8 cache file)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from ..errors import Cancelled
from ..health.decode import DecodeError, fit_square, open_rgb, read_header
from ..health.folder import FolderItem, SkippedFile
from .release import release_images, release_pages
from .samples import hwc_to_chw, make_sample, read_label
from .shared_memory import shared_empty

#: progress(done, total) is called as the dataset prepares itself.
Progress = Callable[[int, int], None]


class LazyImageDataset(Dataset):
    """Keeps only paths; every ``__getitem__`` opens, decodes and resizes one file."""

    def __init__(
        self,
        items: Sequence[FolderItem],
        size: int,
        max_pixels: int | None = None,
        timeout: float | None = None,
    ) -> None:
        self.max_pixels, self.timeout = max_pixels, timeout
        self.paths = [item.path for item in items]
        self.labels = np.array([item.label for item in items], dtype=np.int64)
        self.size = size
        self.index = None  # a MetadataIndex, set by the factory

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, Any]:
        t0 = time.monotonic()
        label = read_label(self, index)
        try:
            im, _ = open_rgb(self.paths[index], self.size, self.max_pixels, self.timeout)
            pixels = hwc_to_chw(fit_square(im, self.size))
            return make_sample(pixels, index, label, "", t0, time.monotonic() - t0)
        except DecodeError as exc:
            return make_sample(_blank(self.size), index, label, str(exc), t0, time.monotonic() - t0)

    def path(self, index: int) -> str | None:
        return self.paths[index]


#: How an eager dataset holds its decoded pixels, and what each costs per pixel: Pillow keeps
#: RGB as 4 bytes a pixel (RGBX), numpy as 3. ``contiguous`` is one uint8 array for the whole
#: dataset (few objects: nothing for reference counting to copy); ``shared-tensor`` is one
#: tensor in shared memory (spawned workers map it instead of receiving a copy).
STORAGES = {"pil-list": 4, "array-list": 3, "contiguous": 3, "shared-tensor": 3}


class EagerImageDataset(Dataset):
    """Decodes every image to RGB in ``__init__`` and keeps the pixels at their original size
    in this process, like the classic in-memory dataset. Files that fail are skipped.

    ``storage`` is ``pil-list`` (a list of PIL images, the classic pattern), ``array-list`` (a
    list of numpy arrays), ``contiguous`` (one uint8 array) or ``shared-tensor`` (one uint8
    tensor in shared memory). The flat storages need ``pixels`` (from the headers) up front.
    """

    def __init__(
        self,
        items: Sequence[FolderItem],
        size: int,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        storage: str = "pil-list",
        pixels: int | None = None,
        max_pixels: int | None = None,
        timeout: float | None = None,
    ) -> None:
        if storage not in STORAGES:
            raise ValueError(f"unknown storage {storage!r}")
        self.size = size
        self.storage = storage
        self.index = None  # a MetadataIndex, set by the factory
        self.paths: list[str] = []
        self.images: list[Image.Image | np.ndarray] = []
        flat = storage in ("contiguous", "shared-tensor")
        if flat:
            if pixels is None:
                pixels = sum(w * h for w, h in (_header_size(i.path) for i in items))
            self.flat = _flat_buffer(3 * pixels, shared=storage == "shared-tensor")
            self.offsets: list[int] = []
            self.shapes: list[tuple[int, int]] = []
            used = 0
        labels: list[int] = []
        self.skipped: list[SkippedFile] = []
        total = len(items)
        for n, item in enumerate(items, 1):
            if stop is not None and stop.is_set():
                raise Cancelled("stopped while decoding the eager dataset")
            try:
                im, _ = open_rgb(item.path, None, max_pixels, timeout, kept=True)
                if flat:
                    w, h = im.size
                    if used + 3 * w * h > len(self.flat_array):
                        raise DecodeError("decoded larger than its header said")
                    self.flat_array[used : used + 3 * w * h] = np.asarray(im).reshape(-1)
                    self.offsets.append(used)
                    self.shapes.append((h, w))
                    used += 3 * w * h
                elif storage == "pil-list":
                    # a plain Image, as ``convert("RGB")`` gives in the classic pattern: the
                    # file's own object also keeps its JPEG tables (63 objects against 13)
                    self.images.append(im if type(im) is Image.Image else im.copy())
                else:
                    self.images.append(np.array(im, dtype=np.uint8))
                self.paths.append(item.path)
                labels.append(item.label)
            except DecodeError as exc:
                self.skipped.append(SkippedFile(item.path, str(exc)))
            if progress is not None:
                progress(n, total)
        self.labels = np.array(labels, dtype=np.int64)
        if flat:  # a few numpy arrays, not a list of Python ints
            self.offsets = np.array(self.offsets, dtype=np.int64)
            self.shapes = np.array(self.shapes, dtype=np.int64).reshape(-1, 2)

    def release_in_pieces(self) -> None:
        """Give the pixels back an image or a page range at a time (see ``release``)."""
        release_images(self.images)
        if self.storage in ("contiguous", "shared-tensor"):
            release_pages(self.flat)
            self.flat = np.empty(0, dtype=np.uint8)

    @property
    def flat_array(self) -> np.ndarray:
        return self.flat.numpy() if isinstance(self.flat, torch.Tensor) else self.flat

    @property
    def nbytes(self) -> int:
        """Bytes of pixel data held (Pillow's RGB: 4 a pixel)."""
        if self.storage in ("contiguous", "shared-tensor"):
            return len(self.flat_array)
        per_pixel = STORAGES[self.storage]
        return sum(_pixels(im) * per_pixel for im in self.images)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, Any]:
        t0 = time.monotonic()
        if self.storage in ("contiguous", "shared-tensor"):
            h, w = self.shapes[index]
            start = self.offsets[index]
            im: Image.Image | np.ndarray = self.flat_array[start : start + 3 * h * w].reshape(
                h, w, 3
            )
        else:
            im = self.images[index]
        pixels = fit_square(im if isinstance(im, Image.Image) else Image.fromarray(im), self.size)
        return make_sample(
            hwc_to_chw(pixels), index, read_label(self, index), "", t0, time.monotonic() - t0
        )

    def path(self, index: int) -> str | None:
        return self.paths[index]


class CachedImageDataset(Dataset):
    """Samples pre-decoded to S×S×3 in one cache file, read one item per ``__getitem__``.

    The file is opened on first use in each process (``_open``), never handed over to another:
    the dataset pickles cheaply to spawned workers, and forked workers open their own.
    """

    def __init__(self, cache_file: str, paths: Sequence[str], labels: Sequence[int], size: int):
        self.cache_file = cache_file
        self.paths = list(paths)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.size = size
        self.index = None  # a MetadataIndex, set by the factory
        self._images: Any = None
        self._pid: int | None = None

    def _open(self) -> Any:  # pragma: no cover - overridden
        """An array-like of shape (N, S, S, 3) over the cache file."""
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.paths)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_images"] = state["_pid"] = None
        return state

    def __getitem__(self, index: int) -> dict[str, Any]:
        t0 = time.monotonic()
        if self._images is None or self._pid != os.getpid():
            self._images, self._pid = self._open(), os.getpid()
        pixels = np.array(self._images[index])
        return make_sample(
            hwc_to_chw(pixels), index, read_label(self, index), "", t0, time.monotonic() - t0
        )

    def path(self, index: int) -> str | None:
        return self.paths[index]


class MemmapImageDataset(CachedImageDataset):
    """The memmap mode: the cache read through ``numpy.memmap``; every worker lets the OS page
    in only what it reads, and all of them share those pages."""

    def _open(self) -> np.memmap:
        shape = (len(self), self.size, self.size, 3)
        return np.memmap(self.cache_file, dtype=np.uint8, mode="r", shape=shape)


def _header_size(path: str) -> tuple[int, int]:
    try:
        return read_header(path).size
    except DecodeError:
        return (0, 0)


def _flat_buffer(nbytes: int, shared: bool) -> np.ndarray | torch.Tensor:
    if shared:
        return shared_empty((nbytes,), torch.uint8)
    return np.empty(nbytes, dtype=np.uint8)


def _pixels(im: Image.Image | np.ndarray) -> int:
    return im.width * im.height if isinstance(im, Image.Image) else im.shape[0] * im.shape[1]


def _blank(size: int) -> torch.Tensor:
    return torch.zeros((3, size, size), dtype=torch.uint8)
