"""A traced training script in the window (issue 16): the same live views as a built-in run,
a lane group per loader, the job's console, its run in the runs table; Stop ends the job and
every process it started."""

from __future__ import annotations

import sys

from conftest import ROOT, children_alive
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit

SCRIPT = ROOT / "tests" / "training_scripts" / "train_two_loaders.py"


def trace_in(qtbot, window, command: str) -> None:
    source = window.findChild(QComboBox, "sourceCombo")
    source.setCurrentIndex(source.findData("trace"))
    window.findChild(QLineEdit, "traceCommandEdit").setText(command)
    window.findChild(QLineEdit, "tracePythonEdit").setText(sys.executable)
    assert window.start_run()


def test_a_traced_script_fills_the_window(qtbot, window):
    trace_in(qtbot, window, f"python {SCRIPT}")
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=120_000)
    assert window.last_finished.status == "completed", window.last_finished.reason
    console = window.findChild(QPlainTextEdit, "jobConsole")
    text = console.text()
    assert "training done" in text
    assert "DataLoader 1 at train_two_loaders.py:74: Subset(Squares), 64 items" in text
    assert {"main", "worker-0", "worker-1"} <= set(window.chart.curve_names())
    window.bottomTabs.setCurrentWidget(window.timeline)
    qtbot.waitUntil(lambda: window.timeline.bar_count() == 20, timeout=5000)
    lanes = window.timeline.lane_names()
    assert "loader 1 · worker 0" in lanes and "loader 2 · its process loads" in lanes
    assert window.batchPreview.thumbnail_count() > 0
    assert window.runsTable.rowCount() == 1
    assert window.runsTable.item(0, 1).text().startswith("traced: python")


def test_stop_ends_the_job_and_every_process_it_started(qtbot, window, monkeypatch):
    monkeypatch.setenv("EPOCHS", "1000")
    trace_in(qtbot, window, f"python {SCRIPT}")
    qtbot.waitUntil(lambda: "worker-0" in window.chart.curve_names(), timeout=60_000)
    window.stop_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=20_000)
    assert window.last_finished.status == "stopped"
    assert "SIGINT" in window.last_finished.reason or "status" in window.last_finished.reason
    assert not children_alive()
