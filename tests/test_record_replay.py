"""Record and replay, and the worker timeline (issue 6)."""

import gzip
import json
import pickle

import pytest
from conftest import ROOT, run_cli
from PySide6.QtCore import QPointF, Qt

from explorer.core.record.recording import RecordingError, load_recording

OLD_RECORDING = ROOT / "tests" / "data" / "before-layout.dlxrec"


def test_headless_record_loads_in_a_fresh_process(tmp_path):
    rec, report = tmp_path / "run.dlxrec", tmp_path / "report.json"
    code, _, err = run_cli(
        "--headless", "--random", "600:3x32x32", "--batch-size", "16", "--workers", "2",
        "--step-ms", "15", "--record", str(rec), "--report", str(report), "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    assert "recorded" in err
    live = json.loads(report.read_text())
    # A fresh interpreter that never ran anything reads it back: the same run.
    code, _, err = run_cli("--headless", "--open", str(rec), "--report", str(tmp_path / "r.json"))
    assert code == 0, err
    replayed = json.loads((tmp_path / "r.json").read_text())
    assert replayed["summary"]["batches"] == live["summary"]["batches"] == 38
    assert len(replayed["memory"]) == len(live["memory"]) > 0
    assert replayed["recording"]["thumbnails"] > 0  # recorded runs carry their previews
    assert [b["fetch_start"] for b in replayed["batches"]] == [
        b["fetch_start"] for b in live["batches"]
    ]


def test_a_file_that_is_not_a_recording_is_refused_in_words(tmp_path):
    junk = tmp_path / "junk.dlxrec"
    junk.write_bytes(b"hello")
    with pytest.raises(RecordingError, match="not a DataLoader Explorer recording"):
        load_recording(junk)
    # A pickle that would run code is refused before anything runs.
    evil = tmp_path / "evil.dlxrec"
    header = {"format": "dataloader-explorer-recording", "version": 1}
    evil.write_bytes(gzip.compress(pickle.dumps(header) + pickle.dumps(print)))
    with pytest.raises(RecordingError, match="not an event"):
        load_recording(evil)
    code, _, err = run_cli("--headless", "--open", str(junk))
    assert code == 2 and "--open" in err and "Traceback" not in err


def test_a_recording_cut_short_still_loads(tmp_path):
    rec = tmp_path / "run.dlxrec"
    code, _, err = run_cli(
        "--headless", "--random", "300:3x32x32", "--batch-size", "8", "--record", str(rec),
        "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    whole = load_recording(rec)
    raw = rec.read_bytes()
    rec.write_bytes(raw[: len(raw) * 2 // 3])  # the program was killed mid-run
    cut = load_recording(rec)
    assert 0 < len(cut.events) < len(whole.events)
    assert cut.finished is None


def _run_and_wait(qtbot, window, timeout=60000):
    assert window.start_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=timeout)


def test_replay_shows_what_the_live_run_showed(qtbot, window, tmp_path):
    window.controls.apply_options(
        {"random": "1500:3x24x24", "batch_size": 16, "workers": 2, "step_ms": 4, "epochs": 1}
    )
    _run_and_wait(qtbot, window)
    live = dict(window._worker.counts)
    assert live["batches"] == 94 and live["thumbnails"] > 0
    assert window.timeline.bar_count() == 94
    assert window.timeline.lane_names() == ["main loop waits", "worker 0", "worker 1"]
    live_summary = window._worker.summary

    path = tmp_path / "talk.dlxrec"
    assert window.recordings.save_last_run(str(path))
    assert window.open_recording(str(path))
    qtbot.waitUntil(window.recordings.is_open, timeout=10000)
    bar = window.recordings.bar
    assert not bar.isHidden() and "talk.dlxrec" in bar.titleLabel.text()
    assert window.timeline.bar_count() == 0  # the replay starts from the beginning
    bar.speedCombo.setCurrentIndex(bar.speedCombo.findData(4.0))
    qtbot.mouseClick(bar.playButton, Qt.MouseButton.LeftButton)
    assert bar.playButton.text() == "Pause"
    player = window.recordings.player
    qtbot.waitUntil(player.at_end, timeout=30000)
    replayed = window._worker.counts
    assert replayed == live
    assert window.timeline.bar_count() == 94
    assert window.batchPreview.thumbnail_count() > 0
    assert window._worker.summary["batches"] == live_summary["batches"]
    assert window.status.statusThroughput.text()

    # Scrubbing: back to the middle shows the run as it was then, then on to the end.
    player.seek(player.duration / 2)
    middle = window._worker.counts["batches"]
    assert 0 < middle < 94
    assert window.timeline.bar_count() == middle
    player.seek(player.duration)
    counts = window._worker.counts
    assert (counts["batches"], counts["memory_rows"]) == (live["batches"], live["memory_rows"])
    assert window.batchPreview.thumbnail_count() > 0  # the last preview, not every one

    # A live run closes the replay.
    _run_and_wait(qtbot, window)
    assert not window.recordings.is_open() and bar.isHidden()


def test_record_saves_each_run_without_the_window_waiting_for_the_file(
    qtbot, settings, tmp_path, monkeypatch
):
    """``--record FILE``: the run's recording is copied there once its writer has finished;
    the window never joins the writer's thread (after a stopped run it may still compress
    what had queued up)."""
    from explorer.core.record.recording import RecordingWriter
    from explorer.gui import MainWindow

    def joined(self, timeout=30.0):
        raise AssertionError("the window waited for the recording")

    target = tmp_path / "saved.dlxrec"
    window = MainWindow(settings, record_to=str(target))
    qtbot.addWidget(window)
    window.controls.apply_options(
        {"random": "300:3x8x8", "batch_size": 30, "workers": 0, "epochs": 1}
    )
    window.controls.set_source("random")
    monkeypatch.setattr(RecordingWriter, "close", joined)
    try:
        with qtbot.waitSignal(window.recordings.message, timeout=30000) as said:
            _run_and_wait(qtbot, window)
        assert said.args == [f"Recording saved to {target}", False]
        assert load_recording(target).finished.samples == 300
    finally:
        monkeypatch.undo()
        window.close()


def test_opening_a_bad_recording_says_why_and_keeps_the_window(qtbot, window, tmp_path):
    junk = tmp_path / "junk.dlxrec"
    junk.write_text("not a recording")
    window.open_recording(str(junk))
    qtbot.waitUntil(lambda: "Cannot open junk.dlxrec" in window.status.message.text(), timeout=5000)
    assert not window.recordings.is_open()


def test_timeline_names_the_batch_under_the_mouse(qtbot, window):
    window.controls.apply_options(
        {"random": "400:3x16x16", "batch_size": 20, "workers": 0, "step_ms": 10, "epochs": 1}
    )
    _run_and_wait(qtbot, window)
    timeline = window.timeline
    assert timeline.lane_names() == ["main loop waits", "main process loads"]
    bar = timeline.bars()[5]
    x = (bar.fetch_start + bar.fetch_end) / 2
    assert timeline.describe_at(x, -1).startswith("batch 5 ")
    assert "the main process" in timeline.describe_at(x, -1)
    wait_x = (bar.wait_start + bar.wait_end) / 2
    assert "batch 5 " in timeline.describe_at(wait_x, 0)
    # Moving the mouse there shows it under the chart.
    window.show()
    window.bottomTabs.setCurrentWidget(timeline)
    timeline.followCheck.setChecked(False)
    vb = timeline.plot.getPlotItem().getViewBox()
    vb.setXRange(bar.fetch_start - 0.01, bar.fetch_end + 0.01, padding=0)
    qtbot.wait(50)
    scene_pos = vb.mapViewToScene(QPointF(x, -1))
    timeline._on_mouse_moved(scene_pos)
    assert timeline.hoverLabel.text().startswith("Batch 5 ")


def test_a_recording_written_before_the_layout_change_opens_as_before(tmp_path):
    """tests/data/before-layout.dlxrec was recorded (headless, 96 random 3×16×16 samples, 1
    worker, batch 32) when the event classes still lived in explorer.core.events."""
    recording = load_recording(OLD_RECORDING)
    assert recording.batches == 3
    assert recording.memory_rows == 7
    assert recording.config["random"] == "96:3x16x16"
    assert recording.finished is not None and recording.finished.status == "completed"
    out = tmp_path / "r.json"
    code, _, err = run_cli("--headless", "--open", str(OLD_RECORDING), "--report", str(out))
    assert code == 0, err
    report = json.loads(out.read_text())
    assert [b["index"] for b in report["batches"]] == [0, 1, 2]
    assert report["summary"]["samples"] == 96
