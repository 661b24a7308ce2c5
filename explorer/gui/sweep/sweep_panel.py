"""The Find settings tab: a button to start, a progress bar over the points while they run
(the window's charts show the current point live), then the plot, the recommendation in one
sentence, Apply, and Save (the points as JSON and CSV)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.run.sweep import label, settings_of
from ...core.units import format_bytes
from ..panels.progress_bar import set_progress
from .sweep_plot import SweepPlot


class SweepPanel(QWidget):
    findRequested = Signal()
    cancelRequested = Signal()
    applyRequested = Signal()
    saveRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweepPanel")
        self.findButton = QPushButton("Find settings…", objectName="sweepFindButton")
        self.findButton.setToolTip(
            "Run the DataLoader for real at several worker counts and batch sizes, and "
            "recommend the cheapest in memory that keeps up."
        )
        self.cancelButton = QPushButton("Cancel", objectName="sweepCancelButton")
        self.cancelButton.setToolTip("Stop now and keep the points measured so far.")
        self.applyButton = QPushButton("Apply", objectName="sweepApplyButton")
        self.applyButton.setToolTip("Set the controls to the recommended settings.")
        self.saveButton = QPushButton("Save…", objectName="sweepSaveButton")
        self.saveButton.setToolTip("Save the points and the recommendation (JSON, and a CSV).")
        self.progress = QProgressBar(objectName="sweepProgress")
        self.progress.setFormat("point %v of %m")
        self.pointLabel = QLabel(objectName="sweepPointLabel")
        self.pointLabel.setWordWrap(True)
        self.recommendation = QLabel(objectName="sweepRecommendation")
        self.recommendation.setWordWrap(True)
        self.plot = SweepPlot()
        buttons = QHBoxLayout()
        for button in (self.findButton, self.cancelButton, self.applyButton, self.saveButton):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.pointLabel)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.recommendation)
        self.findButton.clicked.connect(self.findRequested)
        self.cancelButton.clicked.connect(self.cancelRequested)
        self.applyButton.clicked.connect(self.applyRequested)
        self.saveButton.clicked.connect(self.saveRequested)
        self.recommendation.setText(
            "Which workers and batch size keep up, within this machine's memory? "
            "Find settings runs each combination for real and recommends one."
        )
        self.set_running(False, has_result=False)

    def set_running(self, running: bool, has_result: bool) -> None:
        self.findButton.setEnabled(not running)
        self.cancelButton.setEnabled(running)
        self.applyButton.setEnabled(not running and has_result)
        self.saveButton.setEnabled(not running and has_result)
        self.progress.setVisible(running)

    def point_started(self, index: int, total: int, options: dict[str, Any]) -> None:
        set_progress(self.progress, index + 1, total)
        self.pointLabel.setText(f"Measuring {label(options)} (the charts show it live)")

    def show_partial(self, result: dict[str, Any]) -> None:
        self.plot.show_result(result)

    def show_result(self, result: dict[str, Any]) -> None:
        self.plot.show_result(result)
        n = len([e for e in result["sweep"] if e.get("samples_per_s")])
        rec = (result.get("summary") or {}).get("recommendation")
        head = "Cancelled: " if result.get("cancelled") else ""
        self.pointLabel.setText(
            f"{head}{n} point{'s' if n != 1 else ''} measured, "
            f"{result['seconds']:g} s of steady state each. Σ PSS includes this window, "
            "which is the main process here; the headless --sweep runs each point in a fresh "
            f"process. Memory budget: {_budget(result.get('budget'))}."
        )
        skipped = (result.get("summary") or {}).get("skipped") or []
        extra = "".join(f" Skipped {label(settings_of(s))}: {s['reason']}." for s in skipped)
        if rec is None:
            self.recommendation.setText("No point could be measured." + extra)
        else:
            err = (result.get("summary") or {}).get("prediction_error") or {}
            model = ""
            if err.get("max") is not None:
                model = (
                    f" The budget model's predicted peaks were off by {err['median']:.0%} "
                    f"(median), {err['max']:.0%} at most."
                )
            self.recommendation.setText(f"Recommended: {rec['reason']}.{model}{extra}")


def _budget(budget: int | None) -> str:
    if not budget:
        return "what is available"
    return f"{format_bytes(budget)} (the dashed line, when near the peaks)"
