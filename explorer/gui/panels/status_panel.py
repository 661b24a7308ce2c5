"""The status strip: throughput, epoch progress, elapsed time, total memory, the dataset's own
preparation progress (eager decode, memmap cache) with a Cancel button, and messages."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ...core.run.events import DatasetProgress, MemorySweep
from ...core.units import format_bytes
from ..palette import DARK, Theme
from ..run.run_stats import RunStats
from .progress_bar import set_progress


class StatusPanel(QWidget):
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = DARK
        self.statusThroughput = QLabel("0 samples/s · 0 batches/s", objectName="statusThroughput")
        self.statusThroughput.setToolTip("Samples and batches the main loop receives per second.")
        self.epochBar = QProgressBar(objectName="epochProgress")
        self.epochBar.setFormat("epoch —")
        self.epochBar.setTextVisible(True)
        self.epochBar.setMinimumWidth(220)
        self.elapsed = QLabel("0.0 s", objectName="statusElapsed")
        self.memory = QLabel("Σ RSS —", objectName="statusMemory")
        self.memory.setToolTip(
            "The run's processes together, what the machine has available, /dev/shm (where "
            "workers hand batches over) and the container's memory limit if there is one."
        )
        self.prepareBar = QProgressBar(objectName="prepareProgress")
        self.prepareBar.setMinimumWidth(220)
        self.cancelButton = QPushButton("Cancel", objectName="cancelPrepareButton")
        self.cancelButton.setToolTip("Stop preparing the dataset (eager decode or memmap cache).")
        self.cancelButton.clicked.connect(self.cancelRequested)
        self.actionButton = QPushButton(objectName="statusActionButton")
        self.actionButton.setVisible(False)
        self.actionButton.clicked.connect(self._run_action)
        self._action = None
        self.message = QLabel(objectName="statusMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        figures = QHBoxLayout()
        for w in (self.statusThroughput, self.epochBar, self.elapsed, self.memory):
            figures.addWidget(w)
        figures.addStretch(1)
        figures.addWidget(self.prepareBar)
        figures.addWidget(self.cancelButton)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(figures)
        message_row = QHBoxLayout()
        message_row.addWidget(self.message, 1)
        message_row.addWidget(self.actionButton)
        layout.addLayout(message_row)
        # The strip keeps its height whatever it shows: a message, a longer one, none, an
        # action button, the preparation bar. A change of height resized every chart above it
        # and laid each out again (15 ms a change here; a run's start made three).
        for widget in (self.prepareBar, self.cancelButton, self.actionButton):
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
        self._reserve_message_lines()
        self.show_preparing(False)

    def _reserve_message_lines(self) -> None:
        """Room for two lines of message (a third, rarely, still grows the strip)."""
        two_lines = 2 * self.message.fontMetrics().lineSpacing()
        self.message.setMinimumHeight(max(two_lines, self.actionButton.sizeHint().height()))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:  # presentation mode's bigger text
            self._reserve_message_lines()
        super().changeEvent(event)

    def reset(self) -> None:
        self.statusThroughput.setText("0 samples/s · 0 batches/s")
        set_progress(self.epochBar, 0, 1, "epoch —")
        self.elapsed.setText("0.0 s")
        self.memory.setText("Σ RSS —")
        self.show_message("")
        self.show_preparing(False)

    def show_stats(self, s: RunStats) -> None:
        failed = f" · {s.failed_samples} failed to decode" if s.failed_samples else ""
        self.statusThroughput.setText(
            f"{s.samples_per_s:,.0f} samples/s · {s.batches_per_s:,.1f} batches/s{failed}"
        )
        total = s.epoch_batches
        of = f"/{s.epochs}" if s.epochs else ""  # a traced job's epochs are its own
        if total is None:  # a stream without a length: count, no percentage
            text = f"epoch {s.epoch + 1}{of}: {s.samples:,} samples seen"
            set_progress(self.epochBar, 0, 0, text)  # a range of 0 to 0: busy
        else:
            text = f"epoch {s.epoch + 1}{of}: {s.batch_in_epoch}/{total}"
            set_progress(self.epochBar, min(s.batch_in_epoch, max(1, total)), max(1, total), text)
        self.elapsed.setText(f"{s.t:.1f} s")

    def show_memory(self, sweep: MemorySweep) -> None:
        if not sweep.rows:  # nothing alive to measure (a traced job that has ended)
            return
        text = f"Σ RSS {format_bytes(sum(r.rss for r in sweep.rows))}"
        system = sweep.system
        if system is not None:
            text += f" · available {format_bytes(system.available)}"
            if system.shm_total:
                text += (
                    f" · /dev/shm {format_bytes(system.shm_used)} of "
                    f"{format_bytes(system.shm_total)}"
                )
            if system.cgroup_limit:
                text += f" · cgroup limit {format_bytes(system.cgroup_limit)}"
        self.memory.setText(text)
        self.elapsed.setText(f"{sweep.t:.1f} s")

    def show_progress(self, p: DatasetProgress) -> None:
        self.show_preparing(p.done < p.total)
        text = f"preparing {p.done}/{p.total} · {p.rate:,.0f}/s"
        set_progress(self.prepareBar, p.done, max(1, p.total), text)

    def show_preparing(self, visible: bool) -> None:
        self.prepareBar.setVisible(visible)
        self.cancelButton.setVisible(visible)

    def offer_action(self, text: str, action) -> None:  # type: ignore[no-untyped-def]
        """A one-click way out of the message shown (e.g. "Switch to lazy")."""
        self._action = action
        self.actionButton.setText(text)
        self.actionButton.setVisible(True)

    def _run_action(self) -> None:
        action, self._action = self._action, None
        self.actionButton.setVisible(False)
        if action is not None:
            action()

    def show_message(self, text: str, error: bool = False) -> None:
        self.actionButton.setVisible(False)
        self._action = None
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {self.theme.error};" if error else "")
