"""Find settings in the window (issue 17): each point a real run with live charts, then the
plot, the recommendation, Apply, Cancel and Save."""

from __future__ import annotations

import csv
import json

from conftest import wait_no_children
from PySide6.QtWidgets import QDialogButtonBox

from explorer.gui.presets import PRESETS
from explorer.gui.sweep.sweep_controller import SweepPlan
from explorer.gui.sweep.sweep_dialog import SweepDialog


def workers_plan(*workers: int, seconds: float = 1.0) -> SweepPlan:
    return SweepPlan(tuple({"workers": n} for n in workers), seconds)


def start_random(window, workers: int = 2) -> None:
    window.controls.apply_options(
        {"random": "200000:3x32x32", "workers": workers, "batch_size": 64, "step_ms": 0}
    )


def test_find_settings_measures_each_point_live_then_recommends_and_applies(qtbot, window):
    window.show()
    start_random(window, workers=2)
    finder = window.findSettings
    progress = finder.panel.progress
    assert finder.start(workers_plan(0, 1))
    assert window.rightTabs.currentWidget() is finder.panel
    assert progress.isVisible() and progress.maximum() == 2
    assert not finder.panel.findButton.isEnabled() and finder.panel.cancelButton.isEnabled()
    # the point runs as any run does: its processes appear in the memory chart
    qtbot.waitUntil(lambda: window.runs.is_running(), timeout=5000)
    qtbot.waitUntil(lambda: finder.result is not None, timeout=60000)
    result = finder.result
    assert [e["workers"] for e in result["sweep"]] == [0, 1]  # one measured point each
    assert all(e["samples_per_s"] > 0 and e["peak_pss_total"] > 0 for e in result["sweep"])
    assert window.runsTable.rowCount() == 2  # and each is a run of the session
    drawn = finder.panel.plot.drawn
    assert drawn[("sweepThroughputPlot", "measured", True)][0] == [0.0, 1.0]
    predicted_x = drawn[("sweepMemoryPlot", "measured", False)][0]
    assert predicted_x and min(predicted_x) > 1  # hollow points beyond the measured ones
    assert finder.panel.plot.highlighted is not None
    rec = result["summary"]["recommendation"]
    assert finder.panel.recommendation.text().startswith(f"Recommended: workers={rec['workers']}")
    assert not progress.isVisible() and finder.panel.applyButton.isEnabled()
    assert window.controls.workersSpin.value() == 2  # the controls are as they were
    finder.panel.applyButton.click()
    assert window.controls.workersSpin.value() == rec["workers"]
    assert not wait_no_children()


def test_cancel_stops_at_once_and_keeps_the_points_measured(qtbot, window):
    start_random(window, workers=2)
    finder = window.findSettings
    assert finder.start(workers_plan(0, 1, 2, seconds=30.0))  # far longer than the test
    # is not None: a callback that returns None passes at once (pytest-qt's assertion style)
    qtbot.waitUntil(
        lambda: window._worker is not None and window._worker.counts["batches"] > 3, timeout=9000
    )
    window.runs.stop()  # the first point ends early (as a short run would), and is kept
    qtbot.waitUntil(lambda: finder.panel.progress.value() == 2, timeout=20000)
    qtbot.waitUntil(lambda: window.runs.is_running(), timeout=5000)
    finder.panel.cancelButton.click()
    qtbot.waitUntil(lambda: finder.result is not None, timeout=10000)
    assert finder.result["cancelled"] is True
    assert [e["workers"] for e in finder.result["sweep"]] == [0]
    assert finder.panel.pointLabel.text().startswith("Cancelled: 1 point measured")
    assert not window.runs.is_running() and not wait_no_children()
    assert window.controls.workersSpin.value() == 2
    assert finder.panel.findButton.isEnabled()


def test_the_sweep_saves_as_json_and_csv(qtbot, window, tmp_path):
    start_random(window)
    finder = window.findSettings
    assert finder.start(workers_plan(0, 1, seconds=0.5))
    qtbot.waitUntil(lambda: finder.result is not None, timeout=60000)
    finder.save(str(tmp_path / "sweep.json"))
    saved = json.loads((tmp_path / "sweep.json").read_text())
    assert [e["workers"] for e in saved["sweep"]] == [0, 1]
    assert saved["summary"]["recommendation"]["reason"]
    rows = list(csv.DictReader((tmp_path / "sweep.csv").read_text().splitlines()))
    assert [r["workers"] for r in rows if r["predicted"] == "False"] == ["0", "1"]
    assert any(r["predicted"] == "True" for r in rows)
    recordings = sorted(p.name for p in (tmp_path / "sweep-points").iterdir())
    assert recordings == ["01-workers=0.dlxrec", "02-workers=1.dlxrec"]  # each point replays


def test_the_dialog_says_what_is_wrong_and_how_many_points(qtbot):
    dialog = SweepDialog({"batch_size": 64})
    qtbot.addWidget(dialog)
    start = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.workersEdit.setText("0,2")
    dialog.batchSizesEdit.setText("32,64")
    assert start.isEnabled() and dialog.summary.text().startswith("4 points")
    assert dialog.plan().points[-1] == {"workers": 2, "batch_size": 64}
    dialog.workersEdit.setText("0,two")
    assert not start.isEnabled() and "is not a whole number" in dialog.summary.text()
    dialog.workersEdit.setText("")
    dialog.batchSizesEdit.setText("")
    assert not start.isEnabled() and "at least one setting" in dialog.summary.text()


def test_the_lesson_finds_settings_over_the_sample_images(qtbot, window):
    lesson = next(p for p in PRESETS if p.sweep)
    window.play_preset(lesson)
    finder = window.findSettings
    qtbot.waitUntil(finder.is_active, timeout=60000)  # the sample images are made first
    assert window.controls.stepSpin.value() == 30 and window.controls.source() == "folder"
    assert finder.panel.progress.maximum() == len(lesson.sweep["points"]["workers"])
    finder.cancel()
    qtbot.waitUntil(lambda: finder.result is not None, timeout=20000)
    assert not wait_no_children()
