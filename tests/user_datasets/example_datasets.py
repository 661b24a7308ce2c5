"""Datasets written for the tests of "Explore your own Dataset" (issue 7). This file imports a
helper from beside it, as real projects do: spawned workers must be able to import both."""

import numpy as np
import torch
from example_helpers import MEAN, STD
from PIL import Image
from torch.utils.data import Dataset, IterableDataset, get_worker_info


class NormalizedDicts(Dataset):
    """Dicts with a normalized float image (ImageNet statistics) and a label."""

    def __init__(self, n: int = 96, size: int = 32):
        self.n, self.size = n, size

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        pixels = torch.rand(3, self.size, self.size, generator=g)
        image = (pixels - MEAN[:, None, None]) / STD[:, None, None]
        return {"image": image, "label": i % 10, "path": f"img_{i:04d}.png"}


class TokenPairs(Dataset):
    """(token ids, label) tuples: nothing image-like."""

    def __init__(self, n: int = 80, length: int = 24):
        self.n, self.length = n, length

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return torch.randint(0, 30522, (self.length,), generator=g), i % 2


class EndlessishStream(IterableDataset):
    """A stream without __len__, sharded across workers."""

    def __init__(self, n: int = 60):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        for i in range(worker, self.n, workers):
            yield np.full((16, 16, 3), i * 4 % 256, dtype=np.uint8), i


class FailsAt(TokenPairs):
    """Raises on one index, as a corrupt record would."""

    def __init__(self, bad: int = 13, n: int = 80):
        super().__init__(n)
        self.bad = bad

    def __getitem__(self, i):
        if i == self.bad:
            raise ValueError(f"record {i} is corrupt")
        return super().__getitem__(i)


class PilImages(Dataset):
    """PIL images of different sizes: only a list collate can batch them."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        return Image.new("RGB", (20 + i, 30), (i * 20, 100, 200)), f"pic_{i}.jpg"


def make_tokens(n: int = 40, length: int = 8):
    """A factory: returns a TokenPairs."""
    return TokenPairs(n, length)


def keep_as_list(samples):
    return list(samples)
