"""The hdf5 mode (optional extra ``hdf5``, with h5py): the folder converted once into an HDF5
file of shape (N, S, S, 3), read one item per ``__getitem__``.

The file is opened lazily in each process that reads it, never before the fork: an h5py handle
inherited by forked workers is a classic source of corrupt reads and crashes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError
from .image_datasets import CachedImageDataset

INSTALL_HINT = "the hdf5 mode needs h5py: pip install 'dataloader-explorer[hdf5]' (or h5py)"


def require_h5py() -> Any:
    try:
        import h5py
    except ImportError:
        raise ConfigError("--mode", INSTALL_HINT) from None
    return h5py


class HDF5ImageDataset(CachedImageDataset):
    """The hdf5 mode: the cache is an HDF5 file, opened by h5py in each process that reads."""

    def _open(self) -> Any:
        return require_h5py().File(self.cache_file, "r")["images"]


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
