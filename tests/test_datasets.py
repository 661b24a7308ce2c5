import threading

import numpy as np
import pytest
import torch
from PIL import Image

from explorer.core.datasets.dataset_factory import build_dataset
from explorer.core.datasets.image_datasets import EagerImageDataset, LazyImageDataset
from explorer.core.datasets.memmap_cache import build_or_reuse
from explorer.core.datasets.random_datasets import EagerRandomDataset, LazyRandomDataset
from explorer.core.datasets.randomspec import parse_random_spec
from explorer.core.datasets.samples import make_sample
from explorer.core.errors import Cancelled, DatasetError
from explorer.core.health.folder import list_folder
from explorer.core.run.config import RunConfig


def test_listing_is_sorted_with_classes_and_skips_non_images(jpeg_folder):
    (jpeg_folder / "notes.txt").write_text("hello")
    listing = list_folder(jpeg_folder)
    assert listing.classes == ("class_0", "class_1", "class_2")
    assert len(listing.files) == 24
    assert [f.path for f in listing.files] == sorted(f.path for f in listing.files)
    assert {f.label for f in listing.files} == {0, 1, 2}
    skipped = [(s.path.endswith("notes.txt"), "not an image" in s.reason) for s in listing.skipped]
    assert skipped == [(True, True)]


def test_listing_uses_all_pillow_extensions(tmp_path):
    Image.new("RGB", (20, 10), "red").save(tmp_path / "a.bmp")
    Image.new("L", (20, 10)).save(tmp_path / "b.tiff")
    Image.new("RGB", (20, 10)).save(tmp_path / "c.webp")
    listing = list_folder(tmp_path)
    assert len(listing.files) == 3 and listing.classes == ()
    assert {f.label for f in listing.files} == {-1}


def test_lazy_sample_is_resized_chw_with_index_label_and_worker(jpeg_folder):
    ds = LazyImageDataset(list_folder(jpeg_folder).files, size=64)
    s = ds[5]
    assert s["image"].shape == (3, 64, 64) and s["image"].dtype == torch.uint8
    assert (s["index"], s["worker"], s["error"]) == (5, -1, "")
    assert s["label"] in (0, 1, 2)


def test_eager_keeps_original_size_pixels_and_reports_progress(jpeg_folder):
    seen = []
    ds = EagerImageDataset(list_folder(jpeg_folder).files, 32, lambda d, t: seen.append((d, t)))
    assert ds.images[0].size == (160, 120) and ds.images[0].mode == "RGB"
    # plain images, as convert("RGB") gives: not the files' objects with their JPEG tables
    assert {type(im) for im in ds.images} == {Image.Image}
    assert ds.nbytes == 24 * 120 * 160 * 4  # Pillow keeps RGB as RGBX
    arrays = EagerImageDataset(list_folder(jpeg_folder).files, 32, storage="array-list")
    assert arrays.images[0].shape == (120, 160, 3) and arrays.nbytes == 24 * 120 * 160 * 3
    assert torch.equal(arrays[3]["image"], ds[3]["image"])
    assert seen[-1] == (24, 24)
    assert ds[0]["image"].shape == (3, 32, 32)


def test_eager_load_can_be_cancelled(jpeg_folder):
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        EagerImageDataset(list_folder(jpeg_folder).files, 32, None, stop)


def test_a_corrupt_file_is_skipped_with_its_reason(tmp_path, jpeg_folder):
    good = next(jpeg_folder.rglob("*.jpg")).read_bytes()
    (tmp_path / "broken.jpg").write_bytes(good[: len(good) // 3])
    (tmp_path / "fake.png").write_bytes(b"this is not a png")
    Image.new("RGB", (40, 30), "blue").save(tmp_path / "ok.png")
    for mode in ("eager", "lazy", "memmap"):
        cfg = RunConfig(folder=str(tmp_path), mode=mode, resize=32, cache_dir=str(tmp_path / "c"))
        built = build_dataset(cfg.validate())
        reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in built.info.skipped}
        assert "fake.png" in reasons and "identify" in reasons["fake.png"]
        if mode == "lazy":  # only __getitem__ decodes: the sample carries the reason
            errors = {built.dataset[i]["error"] for i in range(len(built.dataset))}
            assert any("truncated" in e or "broken" in e.lower() for e in errors), errors
        else:
            assert "broken.jpg" in reasons, (mode, reasons)


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="empty"):
        build_dataset(RunConfig(folder=str(tmp_path)).validate())


def test_memmap_cache_is_reused_while_files_are_unchanged(jpeg_folder, tmp_path):
    items = list_folder(jpeg_folder).files
    first = build_or_reuse(items, 48, tmp_path / "cache")
    second = build_or_reuse(items, 48, tmp_path / "cache")
    assert (first.reused, second.reused) == (False, True)
    assert torch.equal(first.dataset[3]["image"], second.dataset[3]["image"])
    assert second.dataset[3]["image"].shape == (3, 48, 48)
    Image.new("RGB", (50, 50), "green").save(items[0].path)  # a changed file: a new cache
    assert build_or_reuse(items, 48, tmp_path / "cache").reused is False


def test_random_lazy_and_eager_give_the_same_samples():
    spec = parse_random_spec("20:3x8x8:uint8")
    lazy, eager = LazyRandomDataset(spec), EagerRandomDataset(spec)
    assert torch.equal(lazy[7]["image"], eager[7]["image"])
    assert eager.data.shape == (20, 3, 8, 8) and lazy[0]["image"].dtype == torch.uint8
    assert not torch.equal(lazy[1]["image"], lazy[2]["image"])


def test_a_batch_stacks_its_samples_and_carries_their_timings_as_three_figures():
    # what the run's loader makes of a built-in dataset's samples: the model's fields as
    # default_collate stacks them; the fetch timings as the batch's earliest start, latest
    # end and summed decoding (the timeline's bar), made where the batch is made
    built = build_dataset(RunConfig(random="8:3x4x4:uint8", workers=0, batch_size=4).validate())
    samples = [make_sample(torch.zeros(3, 4, 4), i, i % 2, "", 10.0 + i, 0.25) for i in range(4)]
    ends = [s["fetch_end"] for s in samples]
    batch = built.collate()(samples)
    assert batch["image"].shape == (4, 3, 4, 4) and batch["index"].tolist() == [0, 1, 2, 3]
    assert batch["label"].tolist() == [0, 1, 0, 1] and batch["error"] == [""] * 4
    assert batch["fetch_start"] == 10.0 and batch["fetch_end"] == max(ends)
    assert batch["decode_s"] == 1.0
    loader = torch.utils.data.DataLoader(built.dataset, batch_size=4, collate_fn=built.collate())
    first = next(iter(loader))
    assert first["image"].shape == (4, 3, 4, 4) and first["fetch_start"] <= first["fetch_end"]


def test_eager_random_spec_over_budget_is_refused_before_allocating():
    cfg = RunConfig(random="100000:3x1024x1024", mode="eager").validate()
    with pytest.raises(DatasetError) as err:
        build_dataset(cfg)
    assert "budget" in str(err.value) and "GiB" in str(err.value)


def test_float_random_values_are_in_unit_range():
    x = LazyRandomDataset(parse_random_spec("3:4x4"))[0]["image"]
    assert x.dtype == torch.float32 and float(x.min()) >= 0 and float(x.max()) < 1
    assert np.isfinite(x.numpy()).all()


def test_sample_folder_has_three_classes_of_real_jpegs(tmp_path):
    from explorer.core.datasets.sample_images import ensure_sample_folder

    folder = ensure_sample_folder(tmp_path / "s", per_class=4)
    listing = list_folder(folder)
    assert listing.classes == ("circles", "squares", "stripes") and len(listing.files) == 12
    with Image.open(listing.files[0].path) as im:
        assert im.format == "JPEG"
    assert ensure_sample_folder(folder, per_class=4) == folder  # the second call reuses it


def test_metadata_too_big_for_memory_is_refused_before_it_is_built():
    cfg = RunConfig(random="1000000000:3x8x8", index="list").validate()
    with pytest.raises(DatasetError) as err:
        build_dataset(cfg)
    assert "list index" in str(err.value) and "--index numpy" in str(err.value)


def test_numpy_and_list_indexes_read_the_same_records():
    from explorer.core.datasets.dataset_factory import _RandomPaths
    from explorer.core.datasets.metadata import build_index

    labels = [3, 1, 4]
    for paths in (["a/x.jpg", "b/é.png", "c"], _RandomPaths(3)):
        a = build_index("list", labels, paths, meta_bytes=12)
        b = build_index("numpy", labels, paths, meta_bytes=12)
        for i in range(3):
            assert a.read(i)[:2] == b.read(i)[:2]
            assert a.read(i)[2] == pytest.approx(b.read(i)[2])
        assert len(b.read(0)[1].encode()) >= 12


def test_random_names_made_in_slices_read_as_one_at_a_time():
    """The numpy index makes random samples' names a slice of rows at a time: the rows on
    either side of each slice's edge read as ``__getitem__`` names them, padded."""
    from explorer.core.datasets.dataset_factory import _ROWS_AT_ONCE, _RandomPaths

    n = 2 * _ROWS_AT_ONCE + 5
    paths = _RandomPaths(n)
    table = paths.fixed_width_bytes(20)
    edges = (0, _ROWS_AT_ONCE - 1, _ROWS_AT_ONCE, 2 * _ROWS_AT_ONCE, n - 1)
    assert table.shape == (n, 20)
    assert [bytes(table[i]).decode() for i in edges] == [paths[i].ljust(20, "_") for i in edges]


def test_hdf5_mode_converts_once_and_reads_in_workers(tmp_path, jpeg_folder):
    pytest.importorskip("h5py")
    from conftest import run_engine

    from explorer.core.run.events import BatchDone, DatasetReady

    cache = str(tmp_path / "cache")
    infos = []
    for _ in range(2):
        cfg = RunConfig(
            folder=str(jpeg_folder),
            mode="hdf5",
            resize=32,
            workers=2,
            batch_size=4,
            cache_dir=cache,
        )
        finished, events = run_engine(cfg)
        assert finished.status == "completed", finished.reason
        infos.append(next(e for e in events if isinstance(e, DatasetReady)).info)
        workers = {e.worker for e in events if isinstance(e, BatchDone)}
        assert workers == {0, 1}
    assert (infos[0].cache_reused, infos[1].cache_reused) == (False, True)
    assert infos[0].cache_file.endswith(".h5") and infos[0].items == 24


def test_hdf5_without_h5py_says_how_to_install(monkeypatch, jpeg_folder):
    import builtins

    from explorer.core.errors import ConfigError

    real_import = builtins.__import__

    def no_h5py(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("no h5py")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_h5py)
    with pytest.raises(ConfigError) as err:
        RunConfig(folder=str(jpeg_folder), mode="hdf5").validate()
    assert "pip install" in str(err.value) and "hdf5" in str(err.value)


def test_a_memmap_cache_that_would_not_fit_on_disk_is_refused(tmp_path, jpeg_folder, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage(10**6, 10**6 - 1000, 1000))
    items = list_folder(jpeg_folder).files
    with pytest.raises(DatasetError) as err:
        build_or_reuse(items, 64, tmp_path / "cache")
    assert "1000 B free" in str(err.value) and "KiB" in str(err.value)


def _write_first(t: torch.Tensor) -> None:  # in a spawned process
    t[0] = 7


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_eager_random_data_reaches_spawned_workers_as_the_same_pages(method):
    # spawned workers get the eager tensor through shared memory (torch would move it there
    # when pickling it, a copy with the interpreter lock held); forked ones share its pages
    cfg = RunConfig(random="16:4:uint8", mode="eager", workers=2, start_method=method)
    data = build_dataset(cfg.validate()).dataset.data
    assert data.is_shared() == (method == "spawn")
    if method == "spawn":
        spawn = torch.multiprocessing.get_context("spawn")
        child = spawn.Process(target=_write_first, args=(data,))
        child.start()
        child.join(60)
        assert child.exitcode == 0 and data[0].tolist() == [7, 7, 7, 7]  # written there, seen here
        assert torch.equal(data[1:], EagerRandomDataset(parse_random_spec("16:4:uint8")).data[1:])


def test_shared_memory_that_cannot_be_had_is_a_clear_error(monkeypatch):
    def full(fd, offset, length):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.posix_fallocate", full)
    cfg = RunConfig(random="16:3x64x64", mode="eager", storage="shared-tensor")
    message = r"not enough memory for 1 MiB in shared memory \(No space left"
    with pytest.raises(DatasetError, match=message):
        build_dataset(cfg.validate())
