"""The "Your dataset" source: a .py file (or a module name), the Dataset classes and
factories found in it, their keyword arguments as JSON, and an optional collate function.

The file is imported off the GUI thread to list what it offers; an import error is shown
here, with its file and line, and the traceback goes to the log.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.datasets.user_code import Candidate, UserCodeError, find_candidates
from ...core.errors import ConfigError
from ..run.background import run_in_background

log = logging.getLogger(__name__)


class UserDatasetPicker(QWidget):
    #: The file was read: how many datasets and factories it offers (-1: it failed).
    discovered = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("userDatasetPicker")
        self.fileEdit = QLineEdit(objectName="datasetFileEdit")
        self.fileEdit.setPlaceholderText("my_dataset.py (or package.module)")
        self.fileEdit.setToolTip(
            "A Python file with your Dataset: its folder is put on sys.path, so what it imports "
            "from beside it works, in workers too."
        )
        self.fileEdit.editingFinished.connect(self.discover)
        self.browseButton = QPushButton("Browse…", objectName="datasetBrowse")
        self.browseButton.clicked.connect(self.browse)
        self.nameCombo = QComboBox(objectName="datasetNameCombo")
        self.nameCombo.setEditable(True)
        self.nameCombo.setToolTip(
            "A Dataset or IterableDataset class, or a function that returns one"
        )
        self.nameCombo.currentIndexChanged.connect(self._show_candidate)
        self.argsEdit = QLineEdit(objectName="datasetArgsEdit")
        self.argsEdit.setPlaceholderText('keyword arguments as JSON, e.g. {"root": "data"}')
        self.argsEdit.textChanged.connect(self._check_args)
        self.collateEdit = QLineEdit(objectName="datasetCollateEdit")
        self.collateEdit.setPlaceholderText("optional: FILE.py:collate_fn")
        self.collateEdit.setToolTip(
            "Your collate function; empty for PyTorch's default_collate. A bare name is "
            "looked up in the dataset's file."
        )
        self.info = QLabel(objectName="datasetInfo", wordWrap=True)
        self._candidates: list[Candidate] = []

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.fileEdit, 1)
        row.addWidget(self.browseButton)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Class", self.nameCombo)
        form.addRow("Arguments", self.argsEdit)
        form.addRow("Collate", self.collateEdit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addLayout(form)
        layout.addWidget(self.info)

    # ----------------------------------------------------------------- values
    def target(self) -> str:
        """``FILE.py:NAME`` (or ``module:NAME``); raises ConfigError when incomplete."""
        source = self.fileEdit.text().strip()
        name = self.nameCombo.currentText().strip().split(" ", 1)[0]
        if not source:
            raise ConfigError("dataset", "choose the .py file with your Dataset first")
        if not name:
            raise ConfigError("dataset", "choose a Dataset class or factory in the file")
        if source.endswith(".py"):
            source = str(Path(source).expanduser())
        return f"{source}:{name}"

    def arguments(self) -> dict[str, Any] | None:
        text = self.argsEdit.text().strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                "arguments", f"not valid JSON ({exc.msg}, column {exc.colno})"
            ) from None
        if not isinstance(value, dict):
            raise ConfigError("arguments", 'must be a JSON object, e.g. {"n": 100}')
        return value

    def collate(self) -> str | None:
        text = self.collateEdit.text().strip()
        if not text:
            return None
        if ":" not in text:  # a bare name: in the dataset's own file
            source = self.fileEdit.text().strip()
            text = f"{Path(source).expanduser() if source.endswith('.py') else source}:{text}"
        return text

    def set_values(self, file: str, name: str, args: str, collate: str) -> None:
        self.fileEdit.setText(file)
        self.nameCombo.setEditText(name)
        self.argsEdit.setText(args)
        self.collateEdit.setText(collate)

    # ----------------------------------------------------------------- discovery
    def browse(self) -> None:
        start = str(Path(self.fileEdit.text()).expanduser().parent) if self.fileEdit.text() else ""
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the file with your Dataset", start, "Python (*.py)"
        )
        if path:
            self.fileEdit.setText(path)
            self.discover()

    def discover(self) -> None:
        """Import the file off the GUI thread and list its datasets and factories."""
        source = self.fileEdit.text().strip()
        if not source.endswith(".py"):
            return
        path = str(Path(source).expanduser())
        self.info.setText(f"Reading {Path(path).name}…")
        self.info.setStyleSheet("")
        run_in_background(lambda: find_candidates(path), self._found, self._failed, self)

    def candidates(self) -> list[Candidate]:
        return list(self._candidates)

    def _found(self, candidates: list[Candidate]) -> None:
        previous = self.nameCombo.currentText().split(" ", 1)[0]
        self._candidates = candidates
        self.nameCombo.blockSignals(True)
        self.nameCombo.clear()
        for c in candidates:
            self.nameCombo.addItem(c.name, c.name)
        index = self.nameCombo.findData(previous)
        self.nameCombo.setCurrentIndex(max(0, index) if candidates else -1)
        self.nameCombo.blockSignals(False)
        if not candidates:
            self.info.setText("No Dataset class or function found in this file.")
            self.info.setStyleSheet("color: #e0a030;")
        else:
            self._show_candidate()
        self.discovered.emit(len(candidates))

    def _failed(self, exc: Exception) -> None:
        self._candidates = []
        message = exc.message if isinstance(exc, UserCodeError | ConfigError) else str(exc)
        if isinstance(exc, UserCodeError) and exc.details:
            log.error("%s\n%s", message, exc.details)
        self.info.setText(message)
        self.info.setStyleSheet("color: #ff6b6b;")
        self.discovered.emit(-1)

    def _show_candidate(self) -> None:
        name = self.nameCombo.currentText()
        found = next((c for c in self._candidates if c.name == name), None)
        if found is None:
            return
        text = f"{found.kind} {found.name}{found.signature}"
        if found.doc:
            text += f"\n{found.doc}"
        self.info.setText(text)
        self.info.setStyleSheet("")

    def _check_args(self) -> None:
        try:
            self.arguments()
        except ConfigError as exc:
            self.argsEdit.setToolTip(exc.message)
            self.argsEdit.setStyleSheet("color: #ff6b6b;")
        else:
            self.argsEdit.setToolTip("")
            self.argsEdit.setStyleSheet("")
