"""A finished run gives its dataset back in pieces (see ``explorer.core.datasets.release``):
the memory really leaves the process, and the engine does it only once the workers are gone."""

import numpy as np
import psutil
import pytest
import torch
from conftest import run_engine

from explorer.core.datasets.metadata import build_index
from explorer.core.datasets.release import release_pages
from explorer.core.datasets.shared_memory import shared_empty
from explorer.core.run import engine
from explorer.core.run.config import RunConfig

MiB = 2**20


def _resident() -> int:
    return psutil.Process().memory_info().rss


@pytest.mark.parametrize("kind", ["private tensor", "shared tensor", "numpy array"])
def test_released_pages_leave_the_process_and_read_as_zeros(kind):
    if kind == "private tensor":
        buffer = torch.empty(96 * MiB, dtype=torch.uint8)
    elif kind == "shared tensor":
        buffer = shared_empty((96 * MiB,), torch.uint8)
    else:
        buffer = np.empty(96 * MiB, dtype=np.uint8)
    buffer[:] = 1
    before = _resident()
    release_pages(buffer)
    assert before - _resident() > 90 * MiB, kind
    middle = 48 * MiB  # (the partial pages at its two ends keep theirs)
    assert int(buffer[middle : middle + 4096].sum()) == 0


def test_a_list_index_is_emptied():
    index = build_index("list", [0] * 12_000, [f"p{i}" for i in range(12_000)])
    index.release_in_pieces()
    assert len(index) == 0


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_the_engine_releases_its_own_dataset_after_the_workers_are_gone(monkeypatch, method):
    seen = []

    def release(dataset):
        new = [c for c in psutil.Process().children() if c.pid not in before]
        left = [c for c in new if "resource_tracker" not in " ".join(c.cmdline())]  # workers
        seen.append((len(dataset.data), len(dataset.index), len(left)))
        type(dataset).release_in_pieces(dataset)
        seen.append((len(dataset.data), len(dataset.index)))

    monkeypatch.setattr(engine, "release_dataset", release)
    cfg = RunConfig(random="300:3x8x8", mode="eager", workers=2, batch_size=50, start_method=method)
    before = {c.pid for c in psutil.Process().children()}  # other tests' helpers
    finished, _ = run_engine(cfg)
    assert finished.status == "completed", finished.reason
    assert seen == [(300, 300, 0), (0, 300)]  # the numpy index: nothing to free in pieces


def test_decoded_images_are_freed_a_slice_at_a_time_and_the_heap_trimmed_after_each(
    monkeypatch,
):
    # one trim of a whole eager dataset's freed images kept the window waiting 198-247 ms
    from PIL import Image

    from explorer.core.datasets import release

    left = []
    monkeypatch.setattr(release, "trim_heap", lambda: left.append(len(images)))
    images = [Image.new("RGB", (64, 48)) for _ in range(40)]
    release.release_images(images)
    assert images == [] and left == [24, 8, 0]
