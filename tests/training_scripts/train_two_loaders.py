"""A small training script, as users write them: a dataset with a torchvision-style transform
chain (one step deliberately slow), a train loader with 2 workers whose worker_init_fn writes
its pid, a validation loader without workers and with a collate_fn of its own, and a model
step. Knobs through the environment: CONTEXT (fork/spawn/forkserver), PERSISTENT=1, EPOCHS,
PIDS (a file for the workers' pids), EXIT (the exit status)."""

import os
import sys
import time

import torch
from torch.utils.data import DataLoader, Dataset, Subset


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class Scale:
    def __call__(self, x):
        return x * 2.0


class SlowBlur:
    def __call__(self, x):
        time.sleep(0.004)  # the slow step a user wants to find
        return x


def shift(x):
    return x - 0.5


class Squares(Dataset):
    def __init__(self, n=96, transform=None):
        self.n = n
        self.transform = transform

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        x = torch.rand(3, 32, 32, generator=g)
        if self.transform is not None:
            x = self.transform(x)
        return x, i % 10


def record_pid(_worker_id):
    path = os.environ.get("PIDS")
    if path:
        with open(path, "a") as f:
            f.write(f"{os.getpid()}\n")


def stack_pairs(samples):
    """The job's own collate_fn: the traced job must get exactly what it returns."""
    xs, ys = zip(*samples, strict=True)
    return {"x": torch.stack(xs), "y": torch.tensor(ys)}


def main():
    context = os.environ.get("CONTEXT") or None
    persistent = os.environ.get("PERSISTENT") == "1"
    epochs = int(os.environ.get("EPOCHS", "2"))
    data = Squares(transform=Compose([Scale(), SlowBlur(), shift]))
    train = DataLoader(
        Subset(data, range(64)),
        batch_size=8,
        shuffle=True,
        num_workers=2,
        worker_init_fn=record_pid,
        multiprocessing_context=context,
        persistent_workers=persistent,
    )
    val = DataLoader(Squares(n=32), batch_size=16, num_workers=0, collate_fn=stack_pairs)
    weight = torch.zeros(3 * 32 * 32)
    for epoch in range(epochs):
        for x, _y in train:
            weight += x.flatten(1).mean(0) * 0.01  # the model's step
            time.sleep(0.01)
        seen = sum(len(batch["y"]) for batch in val)
        print(f"epoch {epoch}: validated {seen} samples", flush=True)
    print("training done", flush=True)
    sys.exit(int(os.environ.get("EXIT", "0")))


if __name__ == "__main__":
    main()
