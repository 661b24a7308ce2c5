"""The Dataset panel: what a folder holds (formats, modes, sizes, classes, what an eager load
would take) and every file that will not load, with its reason."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.units import format_bytes


class DatasetPanel(QWidget):
    scanRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("datasetPanel")
        self.scanButton = QPushButton("Scan folder", objectName="scanButton")
        self.scanButton.setToolTip(
            "Read every file's header (no decoding): formats, sizes, classes and problem files."
        )
        self.scanButton.clicked.connect(self.scanRequested)
        self.summary = QLabel(
            "Scan a folder, or run one, to see what it holds.", objectName="datasetSummary"
        )
        self.summary.setWordWrap(True)
        self.problems = QTableWidget(0, 2, objectName="problemFilesTable")
        self.problems.setHorizontalHeaderLabels(("file", "why it is skipped"))
        self.problems.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems.verticalHeader().setVisible(False)
        header = self.problems.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.problems.setColumnWidth(0, 200)
        top = QHBoxLayout()
        top.addWidget(self.scanButton)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems, 1)

    def show_scan(self, scan: dict[str, Any] | None, skipped: list[dict[str, str]]) -> None:
        """``scan`` is ScanReport.to_dict() (or None for random tensors); ``skipped`` lists
        {"path", "reason"}."""
        if scan:
            sizes = scan["sizes"]
            w, h = sizes["width"], sizes["height"]
            formats = ", ".join(f"{k} {v}" for k, v in scan["formats"].items()) or "none"
            modes = ", ".join(f"{k} {v}" for k, v in scan["modes"].items()) or "none"
            classes = ", ".join(f"{k} {v}" for k, v in scan["classes"].items())
            size_text = (
                f"{w['min']}–{w['max']} × {h['min']}–{h['max']} px (median "
                f"{w['median']:g} × {h['median']:g})"
                if w["min"] is not None
                else "—"
            )
            dup = (
                f"<br><b>Duplicates</b>: {len(scan['duplicates'])} groups"
                if scan.get("duplicates")
                else ""
            )
            self.summary.setText(
                f"<b>{scan['items']:,}</b> images of {scan['files']:,} files, "
                f"<b>{len(skipped):,}</b> skipped<br><b>Formats</b>: {formats}<br>"
                f"<b>Modes</b>: {modes}<br><b>Sizes</b>: {size_text}<br>"
                f"<b>Classes</b>: {classes}<br><b>Eager load</b>: about "
                f"{format_bytes(scan['estimated_eager_bytes'])}{dup}"
            )
        self.problems.setRowCount(0)
        for entry in skipped:
            self._add_row(entry)

    def add_problems(self, skipped: list[dict[str, str]]) -> None:
        """Files that failed during a run (in a worker), added to the list."""
        known = {self.problems.item(r, 0).toolTip() for r in range(self.problems.rowCount())}
        for entry in skipped:
            if entry["path"] not in known:
                self._add_row(entry)

    def _add_row(self, entry: dict[str, str]) -> None:
        row = self.problems.rowCount()
        self.problems.insertRow(row)
        name = QTableWidgetItem(entry["path"].rsplit("/", 1)[-1])
        name.setToolTip(entry["path"])
        self.problems.setItem(row, 0, name)
        self.problems.setItem(row, 1, QTableWidgetItem(entry["reason"]))

    def problem_count(self) -> int:
        return self.problems.rowCount()
