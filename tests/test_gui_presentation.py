"""Presentation mode and exports (issue 6, in part)."""

import csv

from PIL import Image
from PySide6.QtCore import Qt


def test_text_scales_for_the_whole_window_and_persists(qtbot, window, settings):
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    button = window.controls.runButton
    base = button.font().pointSizeF()
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert button.font().pointSizeF() > base * 1.25
    assert window.status.statusThroughput.font().pointSizeF() > base * 1.25
    window.chart.add_marker(1.0, "epoch 1")
    assert window.chart._markers[-1].label.textItem.font().pointSizeF() > 10
    assert settings.get("font_scale") > 1.25
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert abs(button.font().pointSizeF() - base) < 0.11


def test_full_screen_toggles_with_f11(qtbot, window):
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=3000)


def test_high_contrast_theme(window):
    window.set_theme("high-contrast")
    assert window.chart.plot.backgroundBrush().color().name() == "#000000"
    assert window.settings.get("theme") == "high-contrast"


def test_chart_exports_png_and_memory_csv(qtbot, window, tmp_path):
    window.show()
    window.controls.randomSpecEdit.setText("3000:3x16x16")
    window.controls.workersSpin.setValue(1)
    assert not window.export_csv(str(tmp_path / "none.csv"))  # nothing run yet
    assert window.start_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=30000)
    window.chart.redraw()
    window.export_chart(str(tmp_path / "chart.png"))
    with Image.open(tmp_path / "chart.png") as im:
        assert im.width >= 800
    window.export_chart(str(tmp_path / "chart.svg"))
    svg = (tmp_path / "chart.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert svg.count("<path") + svg.count("<polyline") >= 3  # axes and curves, as vectors
    assert window.export_csv(str(tmp_path / "memory.csv"))
    rows = list(csv.DictReader((tmp_path / "memory.csv").open()))
    assert rows and {"main", "worker-0"} <= {r["role"] for r in rows}


def test_the_chart_survives_font_and_style_changes(qtbot, window):
    """Qt asks widgets for their metrics on font changes; a chart attribute once shadowed
    QPaintDevice.metric() and crashed the process here."""
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    window.show()
    font = QFont(window.chart.font())
    font.setPointSizeF(17)
    window.chart.setFont(font)
    QApplication.instance().setStyle("Fusion")
    qtbot.wait(10)
    assert window.chart.font().pointSizeF() == 17


def test_throughput_chart_follows_the_run_with_epoch_lines(qtbot, window):
    window.controls.randomSpecEdit.setText("20000:3x16x16")
    window.controls.workersSpin.setValue(0)
    window.controls.epochsSpin.setValue(2)
    window.controls.stepSpin.setValue(1)  # about a second an epoch
    assert window.start_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=60000)
    chart = window.throughput
    assert chart.point_count() >= 3
    _x, y = chart.curve.getData()
    assert (y >= 0).all() and y.max() > 0
    assert chart.epochs() == ["epoch 1", "epoch 2"]


def test_controls_column_widens_with_bigger_text(window):
    before = window.controlsScroll.minimumWidth()
    window.presentation.set_scale(1.8)
    assert window.controlsScroll.minimumWidth() > before * 1.3
    window.presentation.set_scale(1.0)
