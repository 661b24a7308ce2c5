"""Datasets over an image folder: eager (decoded in ``__init__``), lazy (decoded in
``__getitem__``) and memmap (read from a pre-decoded uint8 cache file)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from .decode import DecodeError, fit_square, open_rgb
from .errors import Cancelled
from .folder import FolderItem, SkippedFile
from .samples import hwc_to_chw, make_sample

#: progress(done, total) is called as the dataset prepares itself.
Progress = Callable[[int, int], None]


class LazyImageDataset(Dataset):
    """Keeps only paths; every ``__getitem__`` opens, decodes and resizes one file."""

    def __init__(self, items: Sequence[FolderItem], size: int) -> None:
        self.paths = [item.path for item in items]
        self.labels = np.array([item.label for item in items], dtype=np.int64)
        self.size = size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, Any]:
        label = int(self.labels[index])
        try:
            im, _ = open_rgb(self.paths[index], target=self.size)
            return make_sample(hwc_to_chw(fit_square(im, self.size)), index, label)
        except DecodeError as exc:
            return make_sample(_blank(self.size), index, label, str(exc))

    def path(self, index: int) -> str | None:
        return self.paths[index]


#: How an eager dataset holds its decoded pixels, and what each costs per pixel: Pillow keeps
#: RGB as 4 bytes a pixel (RGBX), a numpy array as 3.
STORAGES = {"pil-list": 4, "array-list": 3}


class EagerImageDataset(Dataset):
    """Decodes every image to RGB in ``__init__`` and keeps the pixels at their original size
    in this process, like the classic in-memory dataset. Files that fail are skipped.

    ``storage`` is ``pil-list`` (a list of PIL images, the classic pattern) or ``array-list``
    (a list of numpy arrays).
    """

    def __init__(
        self,
        items: Sequence[FolderItem],
        size: int,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        storage: str = "pil-list",
    ) -> None:
        if storage not in STORAGES:
            raise ValueError(f"unknown storage {storage!r}")
        self.size = size
        self.storage = storage
        self.paths: list[str] = []
        self.images: list[Image.Image | np.ndarray] = []
        labels: list[int] = []
        self.skipped: list[SkippedFile] = []
        total = len(items)
        for n, item in enumerate(items, 1):
            if stop is not None and stop.is_set():
                raise Cancelled("stopped while decoding the eager dataset")
            try:
                im, _ = open_rgb(item.path)
                self.images.append(im if storage == "pil-list" else np.array(im, dtype=np.uint8))
                self.paths.append(item.path)
                labels.append(item.label)
            except DecodeError as exc:
                self.skipped.append(SkippedFile(item.path, str(exc)))
            if progress is not None:
                progress(n, total)
        self.labels = np.array(labels, dtype=np.int64)

    @property
    def nbytes(self) -> int:
        """Bytes of pixel data held (Pillow's RGB: 4 a pixel)."""
        per_pixel = STORAGES[self.storage]
        return sum(_pixels(im) * per_pixel for im in self.images)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, Any]:
        im = self.images[index]
        pixels = fit_square(im if isinstance(im, Image.Image) else Image.fromarray(im), self.size)
        return make_sample(hwc_to_chw(pixels), index, int(self.labels[index]))

    def path(self, index: int) -> str | None:
        return self.paths[index]


class MemmapImageDataset(Dataset):
    """Reads samples from a uint8 cache file of shape (N, S, S, 3) through ``numpy.memmap``.

    The map is opened on first use in each process, so the dataset pickles cheaply to spawned
    workers and every worker lets the OS page in only what it reads.
    """

    def __init__(self, cache_file: str, paths: Sequence[str], labels: Sequence[int], size: int):
        self.cache_file = cache_file
        self.paths = list(paths)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.size = size
        self._map: np.memmap | None = None

    def __len__(self) -> int:
        return len(self.paths)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_map"] = None
        return state

    def __getitem__(self, index: int) -> dict[str, Any]:
        if self._map is None:
            self._map = np.memmap(
                self.cache_file,
                dtype=np.uint8,
                mode="r",
                shape=(len(self), self.size, self.size, 3),
            )
        pixels = np.array(self._map[index])
        return make_sample(hwc_to_chw(pixels), index, int(self.labels[index]))

    def path(self, index: int) -> str | None:
        return self.paths[index]


def _pixels(im: Image.Image | np.ndarray) -> int:
    return im.width * im.height if isinstance(im, Image.Image) else im.shape[0] * im.shape[1]


def _blank(size: int) -> torch.Tensor:
    return torch.zeros((3, size, size), dtype=torch.uint8)
