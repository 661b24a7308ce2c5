"""Explore your own Dataset (issue 7): the user's Dataset, IterableDataset, factory and
collate, run headless under fork and spawn, and every sample rendered in the preview."""

import json
import math
import os

import numpy as np
import pytest
import torch
from conftest import ROOT, run_cli
from PIL import Image

from explorer.core.preview.sample_view import split_batch, view_sample
from explorer.core.record.recording import load_recording
from explorer.core.run.events import BatchDone, has_preview

HERE = ROOT / "tests" / "user_datasets"
FILE = HERE / "example_datasets.py"
RAISE_LINE = next(
    n for n, line in enumerate(FILE.read_text().splitlines(), 1) if "raise ValueError" in line
)


def _run(tmp_path, name, *extra, method="fork"):
    rec, report = tmp_path / f"{name}-{method}.dlxrec", tmp_path / f"{name}-{method}.json"
    code, _, err = run_cli(
        "--headless", "--dataset", f"{FILE}:{name}", "--workers", "2", "--batch-size", "8",
        "--start-method", method, "--record", str(rec), "--report", str(report),
        "--no-progress", *extra,
    )  # fmt: skip
    return code, err, json.loads(report.read_text()), load_recording(rec)


def _previews(recording):
    return [s for e in recording.events if has_preview(e) for s in e.preview]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_dicts_with_a_normalized_image_and_a_label(tmp_path, method):
    code, err, report, rec = _run(tmp_path, "NormalizedDicts", method=method)
    assert code == 0, err
    assert report["summary"]["batches"] == 12 and report["dataset"]["items"] == 96
    assert {b["worker"] for b in report["batches"]} == {0, 1}
    assert all(b["fetch_end"] >= b["fetch_start"] for b in report["batches"])
    samples = _previews(rec)
    assert samples
    s = samples[0]
    assert not s.card and s.thumbnail.shape == (32, 32, 3)
    assert s.min < 0 < s.max  # normalized data, de-normalized for display by its own range
    assert s.thumbnail.min() == 0 and s.thumbnail.max() == 255
    assert s.label == s.index % 10 and s.path == f"img_{s.index:04d}.png"


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_token_id_tuples_show_as_cards(tmp_path, method):
    code, err, report, rec = _run(tmp_path, "TokenPairs", method=method)
    assert code == 0, err
    assert report["summary"]["samples"] == 80
    s = _previews(rec)[0]
    assert s.card.startswith("list of 2")  # default_collate makes a list of the fields
    assert "int64 24" in s.card and s.label in (0, 1)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_an_iterable_dataset_without_length(tmp_path, method):
    code, err, report, rec = _run(tmp_path, "EndlessishStream", method=method)
    assert code == 0, err
    assert report["dataset"]["items"] is None
    assert report["summary"]["samples"] == 60
    epochs = [e for e in rec.events if type(e).__name__ == "EpochStarted"]
    assert epochs[0].batches is None  # progress counts samples, not a percentage
    s = _previews(rec)[0]
    assert not s.card and s.thumbnail.shape == (16, 16, 3)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_an_exception_in_the_dataset_names_the_users_file_and_line(tmp_path, method):
    code, err, report, _ = _run(tmp_path, "FailsAt", method=method)
    assert code == 1
    reason = report["summary"]["reason"]
    assert "ValueError: record 13 is corrupt" in reason
    assert f"example_datasets.py, line {RAISE_LINE}" in reason
    assert "worker process" in reason
    # Their traceback, with their frames only.
    assert f'example_datasets.py", line {RAISE_LINE}, in __getitem__' in err
    assert "explorer/core" not in err and "torch/utils" not in err


def test_factory_arguments_and_a_list_collate(tmp_path):
    code, err, report, rec = _run(
        tmp_path, "PilImages", "--collate", f"{FILE}:keep_as_list", method="fork"
    )
    assert code == 0, err
    s = _previews(rec)[0]
    assert s.thumbnail.shape[:2] == (30, 20) and s.caption == "pic_0.jpg"
    code, err, report, _ = _run(tmp_path, "make_tokens", "--dataset-args", '{"n": 24}')
    assert code == 0, err
    assert report["summary"]["samples"] == 24
    code, _, err = run_cli(
        "--headless", "--dataset", f"{FILE}:make_tokens", "--dataset-args", '{"m": 1}'
    )
    assert code == 1 and "--dataset-args do not fit make_tokens" in err


def test_a_module_name_works_too(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(HERE)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--headless", "--dataset",
         "example_datasets:TokenPairs", "--no-progress", "--workers", "1",
         "--start-method", "spawn"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "no_colon.py"], "expected FILE.py:NAME"),
        (["--dataset", "/nonexistent/x.py:D"], "is not a file"),
        (["--dataset", f"{FILE}:Missing"], "has no 'Missing'"),
        (["--dataset", f"{FILE}:MEAN"], "not a Dataset class"),
        (["--dataset", f"{FILE}:TokenPairs", "--dataset-args", "{bad"], "not valid JSON"),
        (["--random", "10:3x8x8", "--dataset-args", "{}"], "only applies with --dataset"),
    ],
)
def test_bad_dataset_options_are_one_clear_line(args, message):
    code, _, err = run_cli("--headless", "--no-progress", *args)
    assert code in (1, 2) and message in err, err
    assert "Traceback" not in err


def test_import_errors_are_shown_with_their_file_and_line(tmp_path):
    bad = tmp_path / "broken_module.py"
    bad.write_text("import torch\n\nx = (\n")
    code, _, err = run_cli("--headless", "--dataset", f"{bad}:X")
    assert code == 1 and "SyntaxError" in err and "broken_module.py, line 3" in err
    missing = tmp_path / "needs_missing.py"
    missing.write_text("import not_a_real_package_xyz\n")
    code, _, err = run_cli("--headless", "--dataset", f"{missing}:X")
    assert code == 1 and "ModuleNotFoundError" in err and "needs_missing.py, line 1" in err


# ----------------------------------------------------------------- any sample renders

SAMPLES = {
    "chw float normalized": torch.randn(3, 40, 30),
    "hwc uint8": np.zeros((40, 30, 3), np.uint8),
    "one channel": torch.rand(1, 28, 28),
    "four channels": torch.rand(4, 20, 20),
    "2-D greyscale": np.random.rand(28, 28),
    "bfloat16": torch.rand(3, 16, 16, dtype=torch.bfloat16),
    "bool mask": torch.rand(32, 32) > 0.5,
    "int64 huge range": torch.randint(-(10**12), 10**12, (3, 12, 12)),
    "constant": torch.zeros(3, 10, 10),
    "nan and inf": torch.tensor([[math.nan, math.inf] * 8] * 16),
    "pil rgba": Image.new("RGBA", (12, 9)),
    "pil 16-bit": Image.new("I;16", (12, 9)),
    "tuple image label path": (torch.rand(3, 8, 8), 3, "/data/cat/1.jpg"),
    "dict pixel_values": {"pixel_values": torch.rand(3, 16, 16), "labels": torch.tensor(2)},
    "dict first image-like": {"meta": "x", "frame": np.ones((9, 9, 3), np.uint8)},
    "token ids": torch.arange(128),
    "audio": torch.randn(16000),
    "features": np.random.rand(512).astype(np.float32),
    "strings": ["a", "b"],
    "none": None,
    "nested": {"a": [{"b": (1, 2.5, "c")}], "t": torch.empty(0)},
    "complex": torch.randn(4, 4, dtype=torch.complex64),
    "object array": np.array([object(), None], dtype=object),
    "scalar tensor": torch.tensor(3.5),
    "an odd object": object(),
    "video THWC": np.zeros((4, 16, 16, 3), np.uint8),
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_any_sample_renders_without_error(name):
    view = view_sample(SAMPLES[name])
    assert (view.rgb is not None) != bool(view.card)
    if view.rgb is not None:
        assert view.rgb.dtype == np.uint8 and view.rgb.ndim == 3 and view.rgb.shape[2] == 3


def test_images_and_cards_are_told_apart():
    assert view_sample(SAMPLES["chw float normalized"]).rgb.shape == (40, 30, 3)
    assert view_sample(SAMPLES["tuple image label path"]).label == 3
    assert view_sample(SAMPLES["tuple image label path"]).caption == "3 · 1.jpg"
    assert view_sample(SAMPLES["dict pixel_values"]).label == 2
    for name in ("token ids", "audio", "features", "strings", "none", "nested"):
        assert view_sample(SAMPLES[name]).card, name
    card = view_sample(SAMPLES["audio"]).card
    assert "float32 16000" in card and "mean" in card


def test_batches_split_back_into_samples():
    images, labels = torch.rand(4, 3, 8, 8), torch.arange(4)
    assert split_batch([images, labels], 4)[2][1] == 2  # default_collate of tuples
    parts = split_batch({"image": images, "label": labels, "path": list("abcd")}, 4)
    assert parts[3]["path"] == "d" and parts[3]["image"].shape == (3, 8, 8)
    listed = [(torch.rand(3, 5, 5 + i), i) for i in range(4)]  # a list collate
    assert split_batch(listed, 4)[1][1] == 1
    assert split_batch(torch.rand(4, 7), 4)[0].shape == (7,)


def test_the_preview_shows_every_kind_of_sample(qtbot):
    """The GUI's tiles and detail view take whatever the core made of any sample."""
    from explorer.core.preview.maker import user_preview
    from explorer.gui.panels.batch_preview import BatchPreview

    preview = BatchPreview()
    qtbot.addWidget(preview)
    samples = tuple(user_preview(view_sample(s), i, 0) for i, s in enumerate(SAMPLES.values()))
    preview.show_batch(BatchDone(1.0, 0, 0, 0, 0.0, len(samples), (), samples))
    assert preview.thumbnail_count() == len(SAMPLES)
    tokens = preview._tiles[list(SAMPLES).index("token ids")]
    assert "int64 128" in tokens.picture.text()  # a card of its structure, not a picture
    assert tokens.picture.pixmap().isNull()
    image = preview._tiles[list(SAMPLES).index("chw float normalized")]
    assert not image.picture.pixmap().isNull() and not image.picture.text()
    for sample in samples:
        preview.open_detail(sample).close()


def test_your_dataset_in_the_window(qtbot, window):
    from PySide6.QtCore import Qt

    controls, picker = window.controls, window.controls.userDataset
    controls.set_source("dataset")
    with qtbot.waitSignal(picker.discovered, timeout=15000) as found:
        picker.fileEdit.setText(str(FILE))
        picker.discover()
    names = [picker.nameCombo.itemText(i) for i in range(picker.nameCombo.count())]
    assert found.args == [len(names)]
    assert names[:2] == ["NormalizedDicts", "TokenPairs"] and "make_tokens" in names
    assert "keep_as_list" in names  # functions are offered as factories, datasets first
    controls.workersSpin.setValue(2)
    controls.epochsSpin.setValue(1)
    assert not controls.resizeSpin.isEnabled()  # their dataset decides its own sizes

    def run(name: str) -> None:
        picker.nameCombo.setCurrentIndex(picker.nameCombo.findData(name))
        assert window.start_run()
        qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=60000)

    run("NormalizedDicts")
    assert window.last_finished.status == "completed", window.status.message.text()
    assert window.batchPreview.thumbnail_count() > 0
    assert "TokenPairs" in picker.info.text() or "NormalizedDicts" in picker.info.text()

    run("FailsAt")
    message = window.status.message.text()
    assert (
        "record 13 is corrupt" in message and f"example_datasets.py, line {RAISE_LINE}" in message
    )
    assert window.status.actionButton.text() == "Show traceback"
    qtbot.mouseClick(window.status.actionButton, Qt.MouseButton.LeftButton)
    assert "raise ValueError" in window._traceback_box.detailedText()
    window._traceback_box.close()

    run("EndlessishStream")  # the window is still usable, and streams count samples
    assert window.last_finished.status == "completed"
    assert "samples seen" in window.status.epochBar.format()

    picker.argsEdit.setText("{not json")
    assert not window.start_run()
    assert "not valid JSON" in window.status.message.text()
