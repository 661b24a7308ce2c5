"""Random-tensor datasets: generated on demand (lazy) or all at once in ``__init__`` (eager)."""

from __future__ import annotations

import threading
import time
from typing import Any

import torch
from torch.utils.data import Dataset

from ..errors import Cancelled
from .image_datasets import Progress
from .randomspec import RandomSpec
from .release import release_pages
from .samples import make_sample, read_label
from .shared_memory import shared_empty

_SEED = 0x5EED


def random_tensor(spec: RandomSpec, index: int) -> torch.Tensor:
    """Sample ``index`` of ``spec``: the same values every time it is asked for."""
    g = torch.Generator().manual_seed(_SEED + index)
    dtype = spec.torch_dtype
    if dtype.is_floating_point:
        return torch.rand(spec.shape, generator=g, dtype=dtype)
    if dtype == torch.bool:
        return torch.randint(0, 2, spec.shape, generator=g).bool()
    hi = 256 if dtype == torch.uint8 else 128 if dtype == torch.int8 else 1000
    return torch.randint(0, hi, spec.shape, generator=g, dtype=dtype)


class LazyRandomDataset(Dataset):
    """Holds nothing: every ``__getitem__`` generates its sample."""

    def __init__(self, spec: RandomSpec) -> None:
        self.spec = spec
        self.index = None  # a MetadataIndex, set by the factory

    def __len__(self) -> int:
        return self.spec.count

    def __getitem__(self, index: int) -> dict[str, Any]:
        t0 = time.monotonic()
        label = read_label(self, index) if self.index is not None else -1
        x = random_tensor(self.spec, index)
        return make_sample(x, index, label, "", t0, time.monotonic() - t0)

    def path(self, index: int) -> str | None:
        return None


class EagerRandomDataset(Dataset):
    """Generates all N samples in ``__init__`` into one tensor held by this process (in shared
    memory with ``shared=True``)."""

    def __init__(
        self,
        spec: RandomSpec,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        shared: bool = False,
    ) -> None:
        self.spec = spec
        self.index = None  # a MetadataIndex, set by the factory
        shape = (spec.count, *spec.shape)
        if shared:
            self.data = shared_empty(shape, spec.torch_dtype)
        else:
            self.data = torch.empty(shape, dtype=spec.torch_dtype)
        step = max(1, spec.count // 100)
        for i in range(spec.count):
            if i % step == 0:
                if stop is not None and stop.is_set():
                    raise Cancelled("stopped while generating the eager dataset")
                if progress is not None:
                    progress(i, spec.count)
            self.data[i] = random_tensor(spec, i)
        if progress is not None:
            progress(spec.count, spec.count)

    def __len__(self) -> int:
        return self.spec.count

    def __getitem__(self, index: int) -> dict[str, Any]:
        label = read_label(self, index) if self.index is not None else -1
        return make_sample(self.data[index], index, label)

    def release_in_pieces(self) -> None:
        """Give the tensor's pages back a range at a time (see ``release``); empty after."""
        release_pages(self.data)
        self.data = self.data.new_empty((0, *self.data.shape[1:]))

    def path(self, index: int) -> str | None:
        return None
