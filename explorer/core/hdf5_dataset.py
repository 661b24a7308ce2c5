"""The hdf5 mode (optional extra ``hdf5``, with h5py): the folder converted once into an HDF5
file of shape (N, S, S, 3), read one item per ``__getitem__``.

The file is opened lazily in each process that reads it, never before the fork: an h5py handle
inherited by forked workers is a classic source of corrupt reads and crashes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from .errors import ConfigError
from .samples import hwc_to_chw, make_sample, read_label

INSTALL_HINT = "the hdf5 mode needs h5py: pip install 'dataloader-explorer[hdf5]' (or h5py)"


def require_h5py() -> Any:
    try:
        import h5py
    except ImportError:
        raise ConfigError("--mode", INSTALL_HINT) from None
    return h5py


class HDF5ImageDataset(Dataset):
    def __init__(self, h5_file: str, paths: Sequence[str], labels: Sequence[int], size: int):
        self.h5_file = h5_file
        self.paths = list(paths)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.size = size
        self.index = None  # a MetadataIndex, set by the factory
        self._file: Any = None
        self._pid: int | None = None

    def __len__(self) -> int:
        return len(self.paths)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_file"] = state["_pid"] = None  # never hand an open handle to another process
        return state

    def _images(self) -> Any:
        if self._file is None or self._pid != os.getpid():
            self._file = require_h5py().File(self.h5_file, "r")
            self._pid = os.getpid()
        return self._file["images"]

    def __getitem__(self, index: int) -> dict[str, Any]:
        t0 = time.monotonic()
        pixels = np.asarray(self._images()[index])
        return make_sample(
            hwc_to_chw(pixels), index, read_label(self, index), "", t0, time.monotonic() - t0
        )

    def path(self, index: int) -> str | None:
        return self.paths[index]


class HDF5Writer:
    """Appends S×S×3 images to a new HDF5 file."""

    def __init__(self, path: str, count: int, size: int) -> None:
        self.file = require_h5py().File(path, "w")
        self.images = self.file.create_dataset(
            "images",
            shape=(count, size, size, 3),
            maxshape=(None, size, size, 3),
            dtype="uint8",
            chunks=(1, size, size, 3),
        )
        self.n = 0

    def write(self, pixels: np.ndarray) -> None:
        self.images[self.n] = pixels
        self.n += 1

    def close(self) -> None:
        self.images.resize(self.n, axis=0)
        self.file.close()
