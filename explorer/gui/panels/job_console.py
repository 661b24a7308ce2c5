"""A traced job's console: what it prints (stdout and stderr, stderr in the error colour),
and a line for each DataLoader it creates. Lines are appended in batches on a timer, so a job
that prints thousands of lines a second never stalls the window; the oldest go beyond
``MAX_LINES``."""

from __future__ import annotations

import html

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from ...core.run.events import JobOutput, LoaderCreated
from ..palette import DARK, Theme

MAX_LINES = 5000


class JobConsole(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobConsole")
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setPlaceholderText(
            "A traced training script's output shows here (source: Training script)."
        )
        self.theme: Theme = DARK
        self._pending: list[str] = []
        self._timer = QTimer(self, interval=100)
        self._timer.timeout.connect(self._flush)
        self._timer.start()

    def add_output(self, event: JobOutput) -> None:
        """A chunk of output: each line as the terminal would leave it (what follows its last
        carriage return: a progress bar's latest state)."""
        for line in event.text.rstrip("\n").split("\n"):
            text = html.escape(line.rsplit("\r", 1)[-1])
            if event.stream == "stderr":
                text = f"<span style='color:{self.theme.error}'>{text}</span>"
            self._pending.append(text)

    def add_loader(self, e: LoaderCreated) -> None:
        rank = f"rank {e.rank} " if e.rank is not None else ""
        workers = (
            f"{e.num_workers} workers ({e.multiprocessing_context})"
            if e.num_workers
            else "no workers"
        )
        size = "a stream" if e.len is None else f"{e.len:,} items"
        self._pending.append(
            f"<span style='color:{self.theme.accent}'>▶ {rank}DataLoader {e.id} at "
            f"{html.escape(e.created_at)}: {html.escape(e.dataset)}, {size}, batch "
            f"{e.batch_size}, {workers}"
            f"{', persistent' if e.persistent_workers else ''}</span>"
        )

    def clear(self) -> None:
        self._pending.clear()
        super().clear()

    def text(self) -> str:
        self._flush()
        return self.toPlainText()

    def _flush(self) -> None:
        if not self._pending:
            return
        lines, self._pending = self._pending, []
        self.appendHtml("<br>".join(lines))
