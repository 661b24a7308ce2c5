"""The sample every built-in dataset returns, so that batches stack and tell who loaded what."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from torch.utils.data import default_collate, get_worker_info


def worker_id() -> int:
    """The DataLoader worker running this code, or -1 in the main process."""
    info = get_worker_info()
    return info.id if info is not None else -1


def make_sample(
    image: torch.Tensor,
    index: int,
    label: int,
    error: str = "",
    fetch_start: float | None = None,
    decode_s: float = 0.0,
) -> dict[str, Any]:
    """A sample as the model receives it: ``image`` plus its index, label and worker id, and
    when its fetch started and ended (``time.monotonic()``, comparable across processes) and
    how long decoding and transforming took.

    ``error`` is empty unless the file could not be decoded, in which case ``image`` is a black
    stand-in of the right shape so that the batch still stacks and the run goes on.
    """
    end = time.monotonic()
    return {
        "image": image,
        "index": index,
        "label": label,
        "worker": worker_id(),
        "error": error,
        "fetch_start": end if fetch_start is None else fetch_start,
        "fetch_end": end,
        "decode_s": decode_s,
    }


def collate_samples(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """A batch of ``make_sample`` samples: PyTorch's ``default_collate`` over their own
    fields, their timings reduced to the batch's: the earliest fetch start, the latest fetch
    end and the decoding time summed, as plain floats.

    In a worker, this runs there: the main process reads three numbers, not three tensors.
    ``default_collate`` alone would make a tensor of each timing field (19-21 µs each for a
    batch of 64) for the run's loop to turn back into lists (11 µs): about 4% of a tiny-tensor
    batch. The samples are the dataset's fresh dicts: their timings are taken out.
    """
    starts = [s.pop("fetch_start") for s in samples]
    ends = [s.pop("fetch_end") for s in samples]
    decoding = [s.pop("decode_s") for s in samples]
    batch = default_collate(samples)
    batch["fetch_start"] = min(starts)
    batch["fetch_end"] = max(ends)
    batch["decode_s"] = sum(decoding)
    return batch


def hwc_to_chw(array: np.ndarray) -> torch.Tensor:
    """An HWC uint8 array as a CHW tensor (a view, no copy)."""
    return torch.from_numpy(array).permute(2, 0, 1)


def read_label(dataset: Any, index: int) -> int:
    """The sample's label, read from the dataset's metadata records as a real dataset would
    (which is what makes a list-of-dicts index copy-on-read under fork)."""
    meta = getattr(dataset, "index", None)
    if meta is not None:
        return meta.read(index)[0]
    return int(dataset.labels[index])
