"""A two-rank DDP-style job on CPU (gloo), as torchrun starts it: each rank has its own
DataLoader over its shard (DistributedSampler) with one worker, and ranks all-reduce."""

import time

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def main():
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    data = TensorDataset(torch.rand(64, 3, 16, 16), torch.arange(64))
    loader = DataLoader(data, batch_size=8, sampler=DistributedSampler(data), num_workers=1)
    total = torch.zeros(1)
    for x, _y in loader:
        total += x.mean()
        time.sleep(0.2)  # the model's step: the workers live long enough to be seen
    dist.all_reduce(total)
    print(f"rank {rank}: {total.item():.3f}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
