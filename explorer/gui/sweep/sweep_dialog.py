"""Find settings: what to sweep. Each setting takes a comma-separated list (empty: keep the
window's current value); the points are every combination, each run for some seconds of
steady state, against the memory available or a budget."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from ...core.run.sweep import parse_values, points
from .sweep_controller import SweepPlan

MAX_POINTS = 48  # a sweep of more than this is a night's work, not a window's


class SweepDialog(QDialog):
    def __init__(self, current: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweepDialog")
        self.setWindowTitle("Find settings")
        cores = os.cpu_count() or 1
        workers = sorted({0, 1, 2, min(4, max(2, cores))})
        self.workersEdit = QLineEdit(",".join(map(str, workers)), objectName="sweepWorkersEdit")
        self.batchSizesEdit = QLineEdit(
            str(current.get("batch_size", 32)), objectName="sweepBatchSizesEdit"
        )
        self.prefetchEdit = QLineEdit(objectName="sweepPrefetchEdit")
        self.prefetchEdit.setPlaceholderText("as now")
        self.secondsSpin = QDoubleSpinBox(objectName="sweepSecondsSpin")
        self.secondsSpin.setRange(0.5, 600)
        self.secondsSpin.setValue(5.0)
        self.secondsSpin.setSuffix(" s")
        self.budgetSpin = QSpinBox(objectName="sweepBudgetSpin")
        self.budgetSpin.setRange(0, 1 << 30)
        self.budgetSpin.setSuffix(" MiB")
        self.budgetSpin.setSpecialValueText("what is available")
        self.summary = QLabel(objectName="sweepDialogSummary")
        self.summary.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(QLabel("Each setting: values separated by commas. Every combination runs."))
        form.addRow("Workers", self.workersEdit)
        form.addRow("Batch sizes", self.batchSizesEdit)
        form.addRow("Prefetch factors", self.prefetchEdit)
        form.addRow("Steady state per point", self.secondsSpin)
        form.addRow("Memory budget", self.budgetSpin)
        form.addRow(self.summary)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        for edit in (self.workersEdit, self.batchSizesEdit, self.prefetchEdit):
            edit.textChanged.connect(self._check)
        self.secondsSpin.valueChanged.connect(self._check)
        self._check()

    def plan(self) -> SweepPlan:
        """The chosen points; ValueError (one sentence) when a list will not do."""
        specs = []
        for name, edit in (
            ("workers", self.workersEdit),
            ("batch-size", self.batchSizesEdit),
            ("prefetch-factor", self.prefetchEdit),
        ):
            if edit.text().strip():
                specs.append((name.replace("-", "_"), parse_values(name, edit.text())))
        if not specs:
            raise ValueError("choose at least one setting to sweep")
        chosen = points(specs)
        if len(chosen) > MAX_POINTS:
            raise ValueError(f"{len(chosen)} points: at most {MAX_POINTS}, choose fewer values")
        budget = self.budgetSpin.value() << 20 or None
        return SweepPlan(tuple(chosen), self.secondsSpin.value(), budget)

    def _check(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            plan = self.plan()
        except ValueError as exc:
            self.summary.setText(f"<span style='color:#e06c75'>{exc}</span>")
            ok.setEnabled(False)
            return
        n = len(plan.points)
        per_point = plan.seconds + 2  # start-up and the workers' end, roughly
        self.summary.setText(
            f"{n} point{'s' if n != 1 else ''}, about {n * per_point:.0f} s. "
            "Cancel keeps the points measured so far."
        )
        ok.setEnabled(True)
