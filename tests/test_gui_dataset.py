"""Dataset health in the window: the Dataset tab and the way out of a refused eager load."""

from conftest import make_jpegs
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QTableWidget


def _messy_folder(tmp_path):
    folder = make_jpegs(tmp_path / "messy", 6, (64, 48))
    good = next(folder.glob("*.jpg")).read_bytes()
    (folder / "half.jpg").write_bytes(good[: len(good) // 3])
    (folder / "notes.txt").write_text("not a picture")
    return folder


def test_scan_button_lists_what_the_folder_holds(qtbot, window, tmp_path):
    window.controls.set_folder(str(_messy_folder(tmp_path)))
    qtbot.mouseClick(window.findChild(QPushButton, "scanButton"), Qt.MouseButton.LeftButton)
    table = window.findChild(QTableWidget, "problemFilesTable")
    qtbot.waitUntil(
        lambda: window.datasetPanel.scanButton.isEnabled() and table.rowCount() > 0, timeout=20000
    )
    assert "JPEG" in window.datasetPanel.summary.text()
    reasons = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert "not an image" in reasons["notes.txt"]
    assert window.rightTabs.currentWidget() is window.datasetPanel


def test_files_failing_in_workers_are_listed_after_the_run(qtbot, window, tmp_path):
    window.controls.set_folder(str(_messy_folder(tmp_path)))
    window.controls.workersSpin.setValue(2)
    window.controls.set_mode("lazy")
    assert window.start_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=30000)
    table = window.findChild(QTableWidget, "problemFilesTable")
    names = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert "notes.txt" in names and "half.jpg" in names  # the header was fine, decoding was not
    assert "truncated" in names["half.jpg"] or "broken" in names["half.jpg"]


def test_a_refused_eager_load_offers_lazy_in_one_click(qtbot, window, tmp_path, monkeypatch):
    import explorer.core.datasets.dataset_factory as factory

    monkeypatch.setattr(factory, "eager_budget", lambda: 1024)  # an artificially small budget
    window.show()
    window.controls.set_folder(str(make_jpegs(tmp_path / "big", 4, (256, 256))))
    window.controls.set_mode("eager")
    assert window.start_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=30000)
    message = window.status.message.text()
    assert "budget" in message and "KiB" in message and "1.0 KiB" in message
    button = window.findChild(QPushButton, "statusActionButton")
    assert button.isVisible() and "lazy" in button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.controls.modeCombo.currentData() == "lazy"
    assert window.start_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=30000)
    assert window.last_finished.status == "completed"
