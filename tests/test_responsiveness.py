"""What keeps the window from freezing: torch loaded ahead of the first run with its shared
libraries mapped outside the interpreter lock, and the GUI thread's collector resting
meanwhile. (How late the window gets is a benchmark figure: ``python -m explorer.bench
--only session``.)"""

from __future__ import annotations

import gc
import json
import subprocess
import sys

from conftest import children_alive

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


def test_the_gui_collector_rests_while_paused_and_while_held(qtbot):
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
        collector.hold(True)  # the engine forks its workers
        collector._collect()
        assert gc.get_count()[0] >= before
        collector.hold(False)
        collector._collect()
        assert gc.get_count()[0] < before
        del junk
    finally:
        gc_on_gui_thread.resume_collections()
        if was_enabled:
            gc.enable()


def test_a_burst_of_long_lived_objects_is_frozen_not_walked(qtbot):
    # the engine building a list index: walking it on the GUI thread stopped the window
    from PySide6.QtCore import QObject

    was_enabled = gc.isenabled()
    collector = gc_on_gui_thread.GuiThreadGarbageCollector(QObject())
    walked = []
    gc.callbacks.append(lambda phase, info: walked.append(info["generation"]))
    try:
        collector.set_building(True)  # a run's dataset is being built
        frozen = gc.get_freeze_count()
        records = [{"box": [1.0, 2.0]} for _ in range(gc_on_gui_thread.BURST)]
        collector._collect()
        assert walked == [] and gc.get_freeze_count() >= frozen + 2 * len(records)
        few = [[] for _ in range(gc.get_threshold()[0] * 3)]  # not a burst: collected
        collector._collect()
        assert walked and gc.get_count()[0] < len(few)
    finally:
        gc.callbacks.pop()
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


def test_the_engine_forks_its_workers_once_the_window_has_caught_up(qtbot, window, monkeypatch):
    """The window answers the engine's wait itself: were it left to the timeout, the
    workers would not have started within the first half of it."""
    from explorer.gui.run import engine_worker

    monkeypatch.setattr(engine_worker, "CATCH_UP_TIMEOUT_S", 60.0)
    window.controls.apply_options({"random": "20000:3x16x16", "workers": 2, "batch_size": 32})
    window.controls.set_source("random")
    asked: list[bool] = []
    window.runs.workerCreated.connect(lambda w: w.catchUp.connect(lambda _e: asked.append(True)))
    assert window.start_run()
    qtbot.waitUntil(lambda: len(children_alive()) >= 2, timeout=20_000)
    assert asked == [True]
    window.runs.stop()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=10_000)


def test_the_memory_chart_is_held_while_the_engine_forks_its_workers(qtbot, window, monkeypatch):
    """Held from before the forks until they are over, then drawn again."""
    held: list[bool] = []
    hold = window.chart.hold
    monkeypatch.setattr(window.chart, "hold", lambda on: (held.append(on), hold(on)))
    window.controls.apply_options(
        {"random": "600:3x8x8", "workers": 2, "batch_size": 100, "epochs": 2}
    )
    window.controls.set_source("random")
    assert window.start_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=30_000)
    assert window.last_finished.status == "completed"
    assert held[:4] == [True, False, True, False]  # each epoch's forks
    assert not window.chart._held and not window._collector._held


def test_the_memory_given_back_after_a_run_is_given_back_off_the_windows_thread(
    qtbot, window, monkeypatch
):
    import threading

    from explorer.core.memory import memory_trim

    threads: list[str] = []
    monkeypatch.setattr(
        memory_trim, "trim_memory", lambda: threads.append(threading.current_thread().name)
    )
    window.controls.apply_options({"random": "200:3x8x8", "workers": 0, "batch_size": 50})
    window.controls.set_source("random")
    assert window.start_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=30_000)
    qtbot.waitUntil(lambda: bool(threads), timeout=5_000)
    assert threads == ["trim-memory"]


def test_modules_imported_after_the_window_are_not_read_into_the_line_cache(tmp_path):
    """PySide6 would read each one's whole source to look for its name (torch: 512,000 lines
    kept in memory); whether a module uses PySide is still told."""
    import linecache

    import explorer.gui  # noqa: F401  (the window's modules, PySide6 first)
    from explorer.gui.pyside_sources import uses_pyside

    (tmp_path / "plain_module_for_test.py").write_text("import json\nVALUE = 1\n")
    (tmp_path / "qt_module_for_test.py").write_text("from PySide6.QtCore import QObject\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import plain_module_for_test as plain  # an import statement: PySide6's hook sees it
        import qt_module_for_test as qt
    finally:
        sys.path.remove(str(tmp_path))
    assert plain.VALUE == 1
    assert str(tmp_path / "plain_module_for_test.py") not in linecache.cache
    assert not uses_pyside(plain) and uses_pyside(qt)


def test_the_status_strip_keeps_its_height_so_the_charts_above_never_resize(qtbot, window):
    """A message, a longer one, none, an error with its action button, the preparation bar:
    the memory chart keeps its size (each resize laid every chart out again, 15 ms)."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    chart = window.findChild(pg.PlotWidget, "memoryChart")
    status = window.status
    sizes = set()
    for change in (
        lambda: status.show_message(""),
        lambda: status.show_message("Running: sample images, lazy, 2 workers, batch 32"),
        lambda: status.show_message("Done: " + "a long verdict " * 12),
        lambda: status.show_message("Run failed: out of memory", error=True),
        lambda: status.offer_action("Switch to lazy", lambda: None),
        lambda: status.show_preparing(True),
        lambda: status.show_preparing(False),
        lambda: status.show_message(""),
    ):
        change()
        QApplication.processEvents()  # the layout it asked for
        sizes.add(chart.size().toTuple())
    assert len(sizes) == 1, sizes
    assert status.message.text() == "" and status.message.isVisible()


def test_a_progress_bar_set_leaves_the_charts_to_be_drawn_with_the_window(qtbot, window):
    """QProgressBar.setValue repaints at once, and that repaint drew every chart waiting to be
    drawn inside the handler of the run's figures; set_progress only schedules it."""
    import pyqtgraph as pg
    from PySide6.QtCore import QEvent, QObject

    from explorer.gui.panels.progress_bar import set_progress

    viewport = window.findChild(pg.PlotWidget, "memoryChart").viewport()
    paints: list[int] = []

    class Count(QObject):
        def eventFilter(self, _obj, event):
            if event.type() == QEvent.Type.Paint:
                paints.append(1)
            return False

    counter = Count()
    viewport.installEventFilter(counter)
    window.show()
    qtbot.waitUntil(lambda: len(paints) > 0)  # the first paint
    paints.clear()
    bar = window.status.epochBar
    viewport.update()
    bar.setRange(0, 100)
    bar.setValue(40)  # Qt's own: the waiting chart is drawn there and then
    assert len(paints) == 1
    viewport.update()
    set_progress(bar, 60, 100, "epoch 1: 60/100")
    assert len(paints) == 1  # nothing drawn yet
    qtbot.waitUntil(lambda: len(paints) == 2)  # drawn with the window
    assert bar.value() == 60 and bar.text() == "epoch 1: 60/100"
