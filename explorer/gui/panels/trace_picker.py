"""The "Training script" source: the user's own command, traced unchanged (``--trace``).

A script (Script… fills in ``python path/to/train.py``) or any command line (``torchrun
--standalone --nproc_per_node 2 train.py``, a shell script), the folder it runs in, and the
interpreter that a leading ``python`` means (this app's by default; another environment's may
be chosen)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ...core.errors import ConfigError
from ...core.trace.session import TraceConfig


class TracePicker(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.commandEdit = QLineEdit(objectName="traceCommandEdit")
        self.commandEdit.setPlaceholderText("python train.py --lr 0.1   or   torchrun ... train.py")
        self.commandEdit.setToolTip(
            "Your training command, exactly as you would type it: it runs unchanged, and every "
            "DataLoader, worker, transform and rank it makes is shown live."
        )
        self.scriptButton = QPushButton("Script…", objectName="traceScriptButton")
        self.scriptButton.setToolTip("Choose a Python script: the command becomes python SCRIPT.")
        self.scriptButton.clicked.connect(self.browse_script)
        self.cwdEdit = QLineEdit(objectName="traceCwdEdit")
        self.cwdEdit.setPlaceholderText("the script's folder")
        self.cwdEdit.setToolTip("Where the command runs (its relative paths start here).")
        self.pythonEdit = QLineEdit(objectName="tracePythonEdit")
        self.pythonEdit.setPlaceholderText(sys.executable)
        self.pythonEdit.setToolTip(
            "The interpreter a leading 'python' or 'python3' runs: this app's by default, or "
            "another virtual environment's python (it needs torch, nothing of this app)."
        )
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.commandEdit, 1)
        row.addWidget(self.scriptButton)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Command", row)
        form.addRow("Folder", self.cwdEdit)
        form.addRow("Python", self.pythonEdit)

    def browse_script(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Trace a training script", "", "Python (*.py)")
        if path:
            self.set_script(path)

    def set_script(self, path: str) -> None:
        self.commandEdit.setText(shlex.join(["python", path]))
        if not self.cwdEdit.text().strip():
            self.cwdEdit.setText(str(Path(path).parent))

    def config(self) -> TraceConfig:
        """What to trace, checked; raises ConfigError with a message."""
        text = self.commandEdit.text().strip()
        if not text:
            raise ConfigError("command", "type your training command, or choose a script")
        try:
            command = tuple(shlex.split(text))
        except ValueError as exc:
            raise ConfigError("command", f"cannot read the command line: {exc}") from None
        cwd = self.cwdEdit.text().strip() or None
        if cwd and not Path(cwd).expanduser().is_dir():
            raise ConfigError("folder", f"{cwd} is not a folder")
        python = self.pythonEdit.text().strip() or sys.executable
        return TraceConfig(
            command,
            cwd=str(Path(cwd).expanduser()) if cwd else None,
            python=python,
            passthrough=False,
            own_group=True,
        )
