"""A realistic small training job for the tracing-cost figure: generated 64×64 images through
a transform chain, a DataLoader with 2 workers, a small convolutional model trained with SGD.
It prints its own wall time (from its first line to its last step) as one JSON line, so the
explorer's start-up is not counted against tracing: ``python -m explorer.bench.train_small``."""

from __future__ import annotations

import json
import time

T0 = time.perf_counter()

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402


class Chain:
    def __init__(self, transforms: list) -> None:
        self.transforms = transforms

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        for t in self.transforms:
            x = t(x)
        return x


def normalize(x: torch.Tensor) -> torch.Tensor:
    return (x - 0.45) / 0.225


def flip(x: torch.Tensor) -> torch.Tensor:
    return x.flip(-1)


class Images(Dataset):
    def __init__(self, n: int = 1600) -> None:
        self.n = n
        self.transform = Chain([normalize, flip])

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        g = torch.Generator().manual_seed(i)
        x = torch.rand(3, 64, 64, generator=g)
        x = torch.nn.functional.avg_pool2d(x[None], 3, 1, 1)[0]  # a little decode-like work
        return self.transform(x), i % 10


def main() -> None:
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten(),
        nn.Linear(128, 10),
    )  # fmt: skip
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loader = DataLoader(Images(), batch_size=32, shuffle=True, num_workers=2)
    for _epoch in range(3):
        for x, y in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    print(json.dumps({"wall_s": time.perf_counter() - T0}), flush=True)


if __name__ == "__main__":
    main()
