"""The memory lab in the window: its options, the runs table, presets, overlays, /dev/shm."""

import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QComboBox, QSpinBox, QTableWidget

from explorer.gui.presets import PRESETS, Preset


def test_memory_options_have_tooltips_and_reach_the_config(window):
    for cls, name in [
        (QComboBox, "startMethodCombo"),
        (QCheckBox, "persistentWorkersCheck"),
        (QSpinBox, "prefetchSpin"),
        (QCheckBox, "pinMemoryCheck"),
        (QComboBox, "indexCombo"),
        (QSpinBox, "metaBytesSpin"),
        (QComboBox, "storageCombo"),
    ]:
        widget = window.findChild(cls, name)
        assert widget is not None and widget.toolTip(), name
    c = window.controls
    c.workersSpin.setValue(2)
    c.memoryOptions.set_values(
        {
            "start_method": "spawn",
            "persistent_workers": True,
            "prefetch_factor": 4,
            "index": "numpy",
            "meta_bytes": 256,
        }
    )
    config = c.build_config()
    assert (config.start_method, config.persistent_workers, config.prefetch_factor) == (
        "spawn",
        True,
        4,
    )
    assert (config.index, config.meta_bytes) == ("numpy", 256)
    c.workersSpin.setValue(0)  # worker-only options drop out instead of failing
    assert c.build_config().persistent_workers is False
    storages = [c.storageCombo.itemData(i) for i in range(c.storageCombo.count())]
    assert storages == ["pil-list", "array-list", "contiguous", "shared-tensor"]


def test_a_preset_runs_its_runs_and_the_table_compares_them(qtbot, window):
    window.show()
    tiny = Preset(
        "tiny",
        "watch the table",
        {"random": "3000:3x16x16", "workers": 1, "epochs": 1, "batch_size": 100},
        ({"index": "list"}, {"index": "numpy"}),
    )
    window.play_preset(tiny)
    table = window.findChild(QTableWidget, "runsTable")
    # busy from the first run to the end of the last, its next run queued in between
    busy_at_first_end: list[bool] = []
    window.runs.runEnded.connect(lambda: busy_at_first_end.append(window.is_busy()))
    assert window.is_busy()
    qtbot.waitUntil(lambda: table.rowCount() == 2 and not window.is_busy(), timeout=60000)
    assert busy_at_first_end[0] is True and busy_at_first_end[-1] is False
    assert "index list" in window.runsTable.cell_text(0, "settings")
    assert "index numpy" in window.runsTable.cell_text(1, "settings")
    for row in range(2):
        assert window.runsTable.cell_text(row, "status") == "completed"
        assert "MiB" in window.runsTable.cell_text(row, "peak Σ PSS")
        assert "MiB" in window.runsTable.cell_text(row, "predicted peak")
    assert "Peak: predicted" in window.status.message.text()
    window.chart.overlayCheck.setChecked(True)
    assert window.chart.overlay_count() >= 1  # the first run, faintly
    names = {
        i.name()
        for i in window.findChild(pg.PlotWidget, "memoryChart").getPlotItem().listDataItems()
    }
    assert {"shm", "total RSS", "total PSS", "main", "worker-0"} <= names


def test_presets_are_listed_with_captions(window):
    combo = window.findChild(QComboBox, "presetCombo")
    assert [combo.itemText(i) for i in range(combo.count())] == [p.name for p in PRESETS]
    assert {
        "Eager vs lazy",
        "Copy-on-read: list vs numpy",
        "Workers multiply memory?",
        "fork vs spawn",
        "How many workers?",
    } == {p.name for p in PRESETS}
    combo.setCurrentIndex(1)
    assert "USS" in window.controls.presetCaption.text()


def test_status_shows_system_context(qtbot, window):
    window.controls.randomSpecEdit.setText("2000:3x8x8")
    window.controls.workersSpin.setValue(0)
    assert window.start_run()
    qtbot.waitUntil(lambda: "available" in window.status.memory.text(), timeout=20000)
    assert "/dev/shm" in window.status.memory.text()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=20000)


def test_training_step_spin_box_and_the_verdict(qtbot, window):
    window.controls.randomSpecEdit.setText("300:3x8x8")
    window.controls.workersSpin.setValue(0)
    window.controls.batchSizeSpin.setValue(10)
    window.findChild(QSpinBox, "stepSpin").setValue(20)
    assert window.controls.build_config().step_ms == 20
    assert window.start_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=30000)
    assert "compute-bound" in window.status.message.text().lower()
