"""The "Memory lab" group: the DataLoader and dataset options that change what memory a run
costs (start method, persistent workers, prefetch, pinned memory, how metadata is held)."""

from __future__ import annotations

import multiprocessing
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QSpinBox, QWidget

from ...core.run.config import MAX_META_BYTES, MAX_PREFETCH
from ..settings import AppSettings

START_TIPS = {
    "": "The platform's default start method.",
    "fork": "Workers are copies of this process: they start at once and share its pages "
    "until something writes to them (reference counting does, on every read).",
    "spawn": "Workers are fresh Python processes: slow to start (they import torch) and each "
    "gets its own pickled copy of the dataset.",
    "forkserver": "Workers are forked from a clean server process: fresh-ish like spawn, "
    "faster to start after the first.",
}


class MemoryOptions(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Memory lab", parent)
        self.setObjectName("memoryOptions")
        self.startMethodCombo = QComboBox(objectName="startMethodCombo")
        self.startMethodCombo.addItem(f"default ({multiprocessing.get_start_method()})", "")
        for method in multiprocessing.get_all_start_methods():
            self.startMethodCombo.addItem(method, method)
        for i in range(self.startMethodCombo.count()):
            tip = START_TIPS.get(self.startMethodCombo.itemData(i), "")
            self.startMethodCombo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.startMethodCombo.setToolTip(
            "How worker processes start: fork shares memory, spawn copies it."
        )
        self.persistentCheck = QCheckBox("Persistent workers", objectName="persistentWorkersCheck")
        self.persistentCheck.setToolTip(
            "Keep workers between epochs: no start-up per epoch, but their memory stays held."
        )
        self.prefetchSpin = QSpinBox(objectName="prefetchSpin")
        self.prefetchSpin.setRange(0, MAX_PREFETCH)
        self.prefetchSpin.setSpecialValueText("default (2)")
        self.prefetchSpin.setToolTip(
            "Batches each worker prepares ahead: more smooth speed, more batches held in /dev/shm."
        )
        self.pinMemoryCheck = QCheckBox("Pin memory", objectName="pinMemoryCheck")
        self.pinMemoryCheck.setToolTip(
            "Copy each batch into page-locked memory for fast GPU transfer: one more copy of "
            "every batch in flight (no effect without an accelerator)."
        )
        self.indexCombo = QComboBox(objectName="indexCombo")
        self.indexCombo.addItem("list of dicts", "list")
        self.indexCombo.addItem("numpy arrays", "numpy")
        self.indexCombo.setToolTip(
            "How per-sample metadata is held: reading a list of dicts in a forked worker copies "
            "its pages (copy-on-read); numpy arrays stay shared."
        )
        self.metaBytesSpin = QSpinBox(objectName="metaBytesSpin")
        self.metaBytesSpin.setRange(0, MAX_META_BYTES)
        self.metaBytesSpin.setSingleStep(64)
        self.metaBytesSpin.setSuffix(" B")
        self.metaBytesSpin.setToolTip(
            "Pad each record's path to this many bytes: bigger metadata makes copy-on-read show."
        )
        form = QFormLayout(self)
        form.addRow("Start method", self.startMethodCombo)
        form.addRow("Prefetch factor", self.prefetchSpin)
        form.addRow("Metadata", self.indexCombo)
        form.addRow("Path bytes", self.metaBytesSpin)
        form.addRow("", self.persistentCheck)
        form.addRow("", self.pinMemoryCheck)

    def values(self, workers: int) -> dict[str, Any]:
        """RunConfig fields; worker-only options are left out when there are no workers."""
        return {
            "start_method": self.startMethodCombo.currentData() or None,
            "persistent_workers": self.persistentCheck.isChecked() and workers > 0,
            "prefetch_factor": (self.prefetchSpin.value() or None) if workers > 0 else None,
            "pin_memory": self.pinMemoryCheck.isChecked(),
            "index": self.indexCombo.currentData(),
            "meta_bytes": self.metaBytesSpin.value(),
        }

    def set_values(self, values: dict[str, Any]) -> None:
        if "start_method" in values:
            i = self.startMethodCombo.findData(values["start_method"] or "")
            self.startMethodCombo.setCurrentIndex(max(0, i))
        if "persistent_workers" in values:
            self.persistentCheck.setChecked(bool(values["persistent_workers"]))
        if "prefetch_factor" in values:
            self.prefetchSpin.setValue(values["prefetch_factor"] or 0)
        if "pin_memory" in values:
            self.pinMemoryCheck.setChecked(bool(values["pin_memory"]))
        if "index" in values:
            self.indexCombo.setCurrentIndex(max(0, self.indexCombo.findData(values["index"])))
        if "meta_bytes" in values:
            self.metaBytesSpin.setValue(int(values["meta_bytes"]))

    def load(self, settings: AppSettings) -> None:
        self.set_values(
            {
                k: settings.get(k)
                for k in (
                    "start_method",
                    "persistent_workers",
                    "prefetch_factor",
                    "pin_memory",
                    "index",
                    "meta_bytes",
                )
            }
        )

    def save(self, settings: AppSettings) -> None:
        v = self.values(workers=1)
        settings.set("start_method", v["start_method"] or "")
        settings.set("persistent_workers", v["persistent_workers"])
        settings.set("prefetch_factor", v["prefetch_factor"] or 0)
        settings.set("pin_memory", v["pin_memory"])
        settings.set("index", v["index"])
        settings.set("meta_bytes", v["meta_bytes"])
