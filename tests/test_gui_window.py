"""The window, driven as a user (and our tests' contract) would: by object names."""

import itertools
import os
import time

import pyqtgraph as pg
from conftest import children_alive, make_jpegs, wait_no_children
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QSpinBox

from explorer.core.run.config import RunConfig
from explorer.gui import MainWindow


def widget(w, cls, name):
    found = w.findChild(cls, name)
    assert found is not None, f"no {cls.__name__} named {name}"
    return found


def start_random(qtbot, w, spec="20000:3x64x64", workers=2, batch=32):
    widget(w, QComboBox, "sourceCombo").setCurrentIndex(
        widget(w, QComboBox, "sourceCombo").findText("Random tensors")
    )
    widget(w, QLineEdit, "randomSpecEdit").setText(spec)
    widget(w, QSpinBox, "workersSpin").setValue(workers)
    widget(w, QSpinBox, "batchSizeSpin").setValue(batch)
    qtbot.mouseClick(widget(w, QPushButton, "runButton"), Qt.MouseButton.LeftButton)


def curve_names(w):
    plot = widget(w, pg.PlotWidget, "memoryChart")
    return {item.name() for item in plot.getPlotItem().listDataItems()}


def test_the_contract_widgets_exist(qtbot):
    w = MainWindow()  # default settings (redirected to a temporary place by conftest)
    qtbot.addWidget(w)
    assert not w.isVisible()
    source = widget(w, QComboBox, "sourceCombo")
    assert [source.itemText(i) for i in range(source.count())] == [
        "Image folder",
        "Random tensors",
        "Your dataset",
        "Training script",
    ]
    mode = widget(w, QComboBox, "modeCombo")
    texts = [mode.itemText(i) for i in range(mode.count())]
    for key in ("eager", "lazy", "memmap"):
        assert any(key in t for t in texts)
    for cls, name in [
        (QLineEdit, "folderEdit"),
        (QLineEdit, "randomSpecEdit"),
        (QSpinBox, "batchSizeSpin"),
        (QSpinBox, "workersSpin"),
        (QPushButton, "runButton"),
        (QPushButton, "stopButton"),
        (QComboBox, "metricCombo"),
        (pg.PlotWidget, "memoryChart"),
        (QLabel, "statusThroughput"),
    ]:
        found = widget(w, cls, name)
        assert found.toolTip() or cls in (pg.PlotWidget,), f"{name} has no tooltip"
    assert w.findChild(object, "batchPreview").thumbnail_count() == 0
    assert "samples/s" in widget(w, QLabel, "statusThroughput").text()
    w.close()


def test_ready_at_first_launch_on_random_tensors(window):
    assert window.controls.source() == "random"
    assert window.controls.build_config().workers == 2  # runs at once, as is


def test_a_run_fills_every_panel_and_stop_leaves_no_child(qtbot, window):
    window.show()
    start_random(qtbot, window, spec="200000:3x64x64")
    qtbot.waitUntil(lambda: {"main", "worker-0", "worker-1"} <= curve_names(window), timeout=15000)
    preview = window.findChild(object, "batchPreview")
    qtbot.waitUntil(lambda: preview.thumbnail_count() > 0, timeout=10000)
    label = widget(window, QLabel, "statusThroughput")
    qtbot.waitUntil(lambda: float(label.text().split()[0].replace(",", "")) > 0, timeout=10000)
    assert len(children_alive()) >= 2
    # the loading yields the CPU to the window when both want it (nice 5, or more)
    from explorer.gui.run.engine_worker import ENGINE_NICENESS

    assert {p.nice() for p in children_alive()} == {max(os.nice(0), ENGINE_NICENESS)}
    assert not widget(window, QPushButton, "runButton").isEnabled()
    t0 = time.monotonic()
    qtbot.mouseClick(widget(window, QPushButton, "stopButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=2000)
    assert not wait_no_children(max(0.0, 2.0 - (time.monotonic() - t0)))
    assert widget(window, QPushButton, "runButton").isEnabled()
    assert "Stopped" in window.status.message.text()
    assert window.last_finished.status == "stopped"


def test_metric_selector_switches_the_curves(qtbot, window):
    start_random(qtbot, window, spec="3000:3x32x32", workers=0)
    qtbot.waitUntil(lambda: window.last_finished is not None, timeout=20000)
    combo = widget(window, QComboBox, "metricCombo")
    main_curve = next(
        c
        for c in widget(window, pg.PlotWidget, "memoryChart").getPlotItem().listDataItems()
        if c.name() == "main"
    )
    for i in range(combo.count()):
        combo.setCurrentIndex(i)
        x, y = main_curve.getData()
        assert x is not None and len(x) >= 1 and (y > 10).all(), combo.currentText()  # MiB


def test_window_stays_responsive_during_a_full_speed_run(qtbot, window):
    window.show()
    late = []
    last = [time.monotonic()]

    def beat():
        now = time.monotonic()
        late.append(now - last[0] - 0.005)
        last[0] = now

    start_random(qtbot, window, spec="400000:8", workers=2, batch=16)  # tiny: max batch rate
    qtbot.waitUntil(lambda: window.batchPreview.thumbnail_count() > 0, timeout=15000)
    heartbeat = QTimer(interval=5)
    heartbeat.timeout.connect(beat)
    last[0] = time.monotonic()
    heartbeat.start()
    qtbot.wait(3000)
    heartbeat.stop()
    window.stop_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=5000)
    assert len(late) > 100
    # A freeze detector, not a speed goal (those are in python -m explorer.bench, where the
    # p99 is measured against 20 ms): the window must never stop answering.
    assert max(late) <= 0.5, f"the window froze for {max(late) * 1000:.0f} ms"


def test_errors_show_in_the_window_which_stays_usable(qtbot, window, tmp_path):
    (tmp_path / "empty").mkdir()
    window.controls.set_folder(str(tmp_path / "empty"))
    assert window.start_run()
    qtbot.waitUntil(lambda: window.last_finished is not None, timeout=20000)
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=5000)
    assert "empty" in window.status.message.text()
    assert window.status.message.text().startswith("Run failed")
    window.controls.set_source("random")
    window.controls.randomSpecEdit.setText("12:nonsense")
    assert not window.start_run()
    assert "N:SHAPE" in window.status.message.text()
    assert "N:SHAPE" in window.findChild(QLabel, "randomSpecInfo").text()
    window.controls.randomSpecEdit.setText("100:3x8x8")
    assert "KiB" in window.findChild(QLabel, "randomSpecInfo").text()
    assert window.start_run()  # still usable
    qtbot.waitUntil(lambda: window.last_finished is not None, timeout=20000)
    assert window.last_finished.status == "completed"


def test_clicking_a_thumbnail_shows_the_sample_in_detail(qtbot, window, tmp_path):
    folder = make_jpegs(tmp_path / "imgs", 6, (80, 60), classes=2)
    window.controls.set_folder(str(folder))
    window.controls.workersSpin.setValue(0)
    window.controls.resizeSpin.setValue(48)
    assert window.start_run()
    qtbot.waitUntil(lambda: window.batchPreview.thumbnail_count() == 6, timeout=20000)
    tile = window.batchPreview._tiles[0]
    assert "#0" in tile.caption.text() and "class_0" in tile.caption.text()
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    dialog = window.batchPreview._dialog
    assert dialog is not None and dialog.isVisible()
    text = dialog.findChild(QLabel, "sampleDetailText").text()
    for fragment in ("img_0000.jpg", "80 × 60", "RGB", "(3, 48, 48)", "uint8", "mean"):
        assert fragment in text
    dialog.close()


def test_eager_progress_shows_and_cancel_stops(qtbot, window, tmp_path):
    folder = make_jpegs(tmp_path / "many", 150, (512, 512))
    window.show()
    window.controls.set_folder(str(folder))
    window.controls.set_mode("eager")
    assert window.start_run()
    qtbot.waitUntil(lambda: window.status.prepareBar.isVisible(), timeout=20000)
    assert "preparing" in window.status.prepareBar.text()
    qtbot.mouseClick(window.status.cancelButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=5000)
    assert window.last_finished.status == "stopped"
    assert not window.status.prepareBar.isVisible()


def test_settings_persist_across_windows(qtbot, settings, tmp_path):
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.controls.set_folder(str(tmp_path))
    first.controls.batchSizeSpin.setValue(17)
    first.controls.workersSpin.setValue(1)
    first.controls.set_mode("memmap")
    first.close()
    second = MainWindow(settings)
    qtbot.addWidget(second)
    c = second.controls
    assert (c.source(), c.folderEdit.text(), c.batchSizeSpin.value()) == (
        "folder",
        str(tmp_path),
        17,
    )
    assert (c.workersSpin.value(), c.modeCombo.currentData()) == (1, "memmap")
    second.close()


def test_corrupt_settings_mean_defaults(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from explorer.gui.settings import DEFAULTS, AppSettings

    ini = tmp_path / "bad.ini"
    ini.write_text("[General]\nbatch_size=lots\nshuffle=maybe\nrecent_folders=7\nworkers=-3\n")
    w = MainWindow(AppSettings(QSettings(str(ini), QSettings.Format.IniFormat)))
    qtbot.addWidget(w)
    assert w.controls.batchSizeSpin.value() == DEFAULTS["batch_size"]
    assert w.controls.shuffleCheck.isChecked() is False
    assert w.controls.workersSpin.value() == 0  # clamped by the spin box's range
    w.close()


def test_recent_folders_are_remembered(qtbot, window, tmp_path):
    folder = make_jpegs(tmp_path / "r", 2, (20, 20))
    window.controls.set_folder(str(folder))
    window.start_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=20000)
    assert window.settings.recent_folders()[0] == str(folder)
    assert [a.text() for a in window.controls.recentMenu.actions()] == [str(folder)]


def test_dark_and_light_themes(window):
    window.set_theme("light")
    assert window.settings.get("theme") == "light"
    assert window.chart.plot.backgroundBrush().color().name() == "#ffffff"
    window.set_theme("dark")
    assert window.chart.theme.name == "dark"


def test_keyboard_shortcuts_run_and_stop(qtbot, window):
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    window.controls.randomSpecEdit.setText("1000000:3x8x8")
    window.controls.workersSpin.setValue(0)
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.batchPreview.thumbnail_count() > 0, timeout=20000)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.last_finished is not None, timeout=5000)
    assert window.last_finished.status == "stopped"


def test_sample_images_button_makes_a_folder_that_runs(qtbot, window):
    qtbot.mouseClick(window.controls.sampleButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controls.sampleButton.isEnabled(), timeout=30000)
    assert window.controls.source() == "folder"
    folder = window.controls.folderEdit.text()
    assert "sample-images" in folder and "press Run" in window.status.message.text()
    window.controls.workersSpin.setValue(0)
    window.controls.epochsSpin.setValue(1)
    assert window.start_run()
    qtbot.waitUntil(lambda: window.last_finished is not None, timeout=30000)
    assert window.last_finished.status == "completed" and window.last_finished.samples == 240


def test_marker_captions_make_room_for_each_other(window):
    for i in range(40):
        window.chart.add_marker(i * 0.1, f"epoch {i + 1}")
        window.chart.add_marker(i * 0.1 - 0.01, "workers gone", minor=True)
    window.chart._dirty = True
    window.chart.redraw()
    shown = sorted(
        (m for m in window.chart._markers if m.label.isVisible()), key=lambda m: m.value()
    )
    assert 5 <= len(shown) < 40
    assert all(b.value() - a.value() >= 0.07 * 3.9 for a, b in itertools.pairwise(shown))
    assert all(not m.minor for m in shown)  # the epochs win over the worker captions


def test_dropping_a_folder_chooses_it(window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert window.controls.source() == "folder"
    assert window.controls.folderEdit.text() == str(tmp_path)


def test_garbage_is_collected_on_the_gui_thread_only(qtbot, window):
    import gc
    import threading

    from explorer.gui.gc_on_gui_thread import GuiThreadGarbageCollector

    assert not gc.isenabled()
    seen = []
    gc.callbacks.append(lambda phase, info: seen.append(threading.current_thread().name))
    try:
        # Make cyclic garbage (as a busy window does: only cycles outlive their last
        # reference and raise the collector's count) until the timer has collected.
        def make_cycles() -> bool:
            for _ in range(2000):
                cycle: list = []
                cycle.append(cycle)
            return len(seen) >= 2

        qtbot.waitUntil(make_cycles, timeout=3000)
    finally:
        gc.callbacks.pop()
    assert set(seen) == {threading.main_thread().name}
    from PySide6.QtWidgets import QApplication

    assert len(QApplication.instance().findChildren(GuiThreadGarbageCollector)) == 1


def test_an_epochs_lines_are_drawn_for_its_own_run_only(qtbot, window):
    """The epoch lines come a moment after the epoch's start (its workers' fork is the
    window's busiest moment), at the epoch's own time, and never on a newer run's charts."""
    from explorer.core.run.events import EpochStarted
    from explorer.gui.main_window import EPOCH_LINES_DELAY_MS, EPOCH_LINES_SPREAD_MS

    window._worker = object()
    window._on_epoch(EpochStarted(t=1.5, epoch=0, batches=10))
    qtbot.waitUntil(lambda: len(window.throughput.epochs()) == 1, timeout=3000)
    assert window.chart.markers() == ["epoch 1"]
    assert window.chart._markers[0].value() == 1.5
    window._on_epoch(EpochStarted(t=3.0, epoch=1, batches=10))
    window._worker = object()  # a new run began before the lines were drawn
    window.chart.clear()
    past = []  # both lines would have been drawn by now
    QTimer.singleShot(EPOCH_LINES_DELAY_MS + EPOCH_LINES_SPREAD_MS + 50, lambda: past.append(1))
    qtbot.waitUntil(lambda: bool(past), timeout=3000)
    assert window.chart.markers() == [] and len(window.throughput.epochs()) == 1


def test_the_preview_tiles_are_made_ahead_while_the_window_waits(qtbot, window):
    """The first batch's preview finds its tiles made (hidden) once the window has shown,
    so the first run does not make 16 widgets at once; none shows before a batch comes."""
    preview = window.batchPreview
    assert not preview._tiles  # not while the window is being built: start-up stays fast
    window.show()
    qtbot.waitUntil(lambda: len(preview._tiles) == RunConfig.preview_count, timeout=5000)
    assert preview.thumbnail_count() == 0
    assert all(tile.isHidden() for tile in preview._tiles)
    made = list(preview._tiles)
    start_random(qtbot, window, spec="2000:3x32x32", workers=0, batch=16)
    qtbot.waitUntil(lambda: preview.thumbnail_count() == 16, timeout=20000)
    assert preview._tiles == made
    window.stop_run()
