"""The runs of this session side by side: settings, peak Σ PSS, peak worker USS growth,
throughput, predicted peak."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ...core.units import format_bytes

COLUMNS = (
    "#",
    "settings",
    "peak Σ PSS",
    "worker USS growth",
    "samples/s",
    "predicted peak",
    "status",
)


def describe_config(config: dict[str, Any]) -> str:
    if config.get("source") == "trace":
        return f"traced: {config.get('command', '?')}"
    source = config.get("folder") or config.get("random") or "?"
    if config.get("folder"):
        source = "…/" + "/".join(str(source).rstrip("/").split("/")[-1:])
    parts = [
        source,
        config.get("mode", ""),
        f"w{config.get('workers', 0)}",
        f"b{config.get('batch_size', '')}",
        config.get("start_method") or "",
    ]
    if config.get("mode") == "eager":
        parts.append(config.get("storage", ""))
    parts.append(f"index {config.get('index', '')}")
    if config.get("persistent_workers"):
        parts.append("persistent")
    return " ".join(p for p in parts if p)


class RunsTable(QTableWidget):
    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setObjectName("runsTable")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setToolTip(
            "Every run of this session; earlier runs can be overlaid on the chart. Runs share "
            "this process, so main may keep memory an earlier run freed (allocators seldom "
            "return it); the headless --compare runs each in a fresh process."
        )

    def add_run(self, config: dict[str, Any], summary: dict[str, Any]) -> int:
        row = self.rowCount()
        self.insertRow(row)
        budget = summary.get("budget") or {}
        values = (
            str(row + 1),
            describe_config(config),
            format_bytes(summary.get("peak_pss_total")),
            format_bytes(summary.get("peak_worker_uss_growth")),
            f"{summary.get('samples_per_s', 0):,.0f}",
            format_bytes(budget.get("predicted_peak")),
            summary.get("status", ""),
        )
        for col, value in enumerate(values):
            self.setItem(row, col, QTableWidgetItem(value))
        self.scrollToBottom()
        return row

    def cell_text(self, row: int, column: str) -> str:
        item = self.item(row, COLUMNS.index(column))
        return item.text() if item is not None else ""
