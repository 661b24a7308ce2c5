"""What keeps the window from freezing: torch loaded ahead of the first run with its shared
libraries mapped outside the interpreter lock, and the GUI thread's collector resting
meanwhile. (How late the window gets is a benchmark figure: ``python -m explorer.bench
--only session``.)"""

from __future__ import annotations

import gc
import json
import subprocess
import sys

from explorer.core.run import warm_up
from explorer.gui import gc_on_gui_thread


def test_torch_libraries_preload_without_importing_torch_and_torch_then_works():
    code = (
        "import json, sys\n"
        "from explorer.core.run.warm_up import preload_torch_libraries\n"
        "loaded = preload_torch_libraries()\n"
        "before = 'torch' in sys.modules\n"
        "import torch\n"
        "print(json.dumps({'loaded': loaded, 'torch_before': before,\n"
        "                  'sum': float(torch.ones(3).sum())}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "libtorch_python.so" in seen["loaded"]  # this project's machines are Linux
    assert seen["torch_before"] is False
    assert seen["sum"] == 3.0


def test_preloading_when_torch_is_already_imported_does_nothing():
    import torch  # noqa: F401

    assert warm_up.preload_torch_libraries() == []


def test_warm_up_runs_then_even_when_loading_fails(monkeypatch):
    def broken() -> float:
        raise ImportError("no torch here")

    monkeypatch.setattr(warm_up, "warm_up", broken)
    called = []
    warm_up.warm_up_in_background(then=lambda: called.append(True)).join(10)
    assert called == [True]


def test_the_gui_collector_rests_while_paused(qtbot):
    from PySide6.QtCore import QObject

    was_enabled = gc.isenabled()  # the windows of other tests rely on the collector's state
    collector = gc_on_gui_thread.GuiThreadGarbageCollector(QObject())
    try:
        junk = [[] for _ in range(gc.get_threshold()[0] * 3)]
        gc_on_gui_thread.pause_collections()
        before = gc.get_count()[0]
        collector._collect()
        assert gc.get_count()[0] >= before  # nothing collected
        gc_on_gui_thread.resume_collections()
        collector._collect()
        assert gc.get_count()[0] < before
        del junk
    finally:
        gc_on_gui_thread.resume_collections()
        if was_enabled:
            gc.enable()


def test_torch_loaded_during_a_run_leaves_the_memory_trim_to_the_runs_end(window, monkeypatch):
    from explorer.gui import app as gui_app

    trims: list[bool] = []
    monkeypatch.setattr(gui_app, "trim_memory", lambda: trims.append(True))
    monkeypatch.setattr(gui_app, "freeze_long_lived_once", lambda: None)  # once per process
    monkeypatch.setattr(window.runs, "is_running", lambda: True)
    gui_app.after_warm_up(window)
    assert trims == []  # it would hold the run's threads' allocations as its workers start
    monkeypatch.setattr(window.runs, "is_running", lambda: False)
    gui_app.after_warm_up(window)
    assert trims == [True]
