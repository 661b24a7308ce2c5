"""Turns a run's events into the window's signals, whoever produces them: the engine on its
thread (EngineWorker) or a recording being replayed on the GUI thread (ReplayPlayer).

Batches can arrive thousands of times a second; they are never forwarded one by one. The
relay folds them into a RunStats snapshot and a list of timeline bars, sent at most every
``STATS_INTERVAL_S`` seconds, and forwards only the (already throttled) previews. Memory
sweeps come ~10 times a second.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from ...core.record.report import RunRecorder
from ...core.run.config import RunConfig
from ...core.run.events import (
    BatchDone,
    DatasetProgress,
    DatasetReady,
    EpochStarted,
    JobOutput,
    LoaderCreated,
    MemoryBudget,
    MemorySweep,
    ProcessesChanged,
    RunFinished,
    RunStarted,
    has_preview,
)
from ...core.trace.session import TraceConfig
from ..charts.timeline_data import bar_row
from .run_stats import RateWindow, RunStats

STATS_INTERVAL_S = 0.1


class EventRelay(QObject):
    runStarted = Signal(object)  # RunStarted
    datasetProgress = Signal(object)  # DatasetProgress
    datasetReady = Signal(object)  # DatasetReady
    epochStarted = Signal(object)  # EpochStarted
    stats = Signal(object)  # RunStats
    timeline = Signal(object)  # list of timeline_data.ROW tuples: batches since the last
    preview = Signal(object)  # BatchPreview (or an older recording's BatchDone with one)
    memorySweep = Signal(object)  # MemorySweep
    processesChanged = Signal(object)  # ProcessesChanged
    finished = Signal(object)  # RunFinished
    budget = Signal(object)  # MemoryBudget
    output = Signal(object)  # JobOutput: a traced job's console
    loaderCreated = Signal(object)  # LoaderCreated: a traced job's DataLoader

    def __init__(self, config: RunConfig | TraceConfig, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self._rates = RateWindow()
        self._batches = 0
        self._samples = 0
        self._failed = 0
        self._epoch = 0
        self._in_epoch = 0
        #: the loader whose epochs the progress follows (a traced job's first; (None, None)
        #: for the explorer's own runs)
        self._followed: tuple[int | None, int | None] | None = None
        self._epoch_batches: int | None = None
        self._last_stats = 0.0
        self._last_t = 0.0
        self._bars: list[tuple] = []
        #: What went out, for the curious and for tests: batches, memory rows, thumbnails.
        self.counts = {"batches": 0, "memory_rows": 0, "thumbnails": 0}
        #: The run's figures for the runs table (counts, not one row per batch).
        self.recorder = RunRecorder(keep_batches=False)
        self.summary: dict | None = None  # the recorder's summary, once the run has finished

    def feed(self, event: object) -> None:
        """Take one event (called on the engine's and the sampler's threads, or the GUI's)."""
        self.recorder(event)
        if has_preview(event):  # a BatchPreview, or an older recording's BatchDone
            self.counts["thumbnails"] += len(event.preview)
            self.preview.emit(event)
        if isinstance(event, BatchDone):
            self._on_batch(event)
        elif isinstance(event, MemorySweep):
            self.counts["memory_rows"] += len(event.rows)
            self.memorySweep.emit(event)
        elif isinstance(event, ProcessesChanged):
            self.processesChanged.emit(event)
        elif isinstance(event, DatasetProgress):
            self.datasetProgress.emit(event)
        elif isinstance(event, EpochStarted):
            if self._followed is None:
                self._followed = (event.rank, event.loader)
            if (event.rank, event.loader) != self._followed:
                return  # a traced job's other loaders: their epochs are not the progress shown
            self._epoch, self._in_epoch, self._epoch_batches = event.epoch, 0, event.batches
            self.epochStarted.emit(event)
        elif isinstance(event, DatasetReady):
            self.datasetReady.emit(event)
        elif isinstance(event, RunStarted):
            self.runStarted.emit(event)
        elif isinstance(event, MemoryBudget):
            self.budget.emit(event)
        elif isinstance(event, JobOutput):
            self.output.emit(event)
        elif isinstance(event, LoaderCreated):
            self.loaderCreated.emit(event)
        elif isinstance(event, RunFinished):
            self.flush(event.t)
            # Computed here, off the GUI thread when live: it walks every memory row.
            self.summary = self.recorder.summary()
            self.finished.emit(event)

    def flush(self, t: float | None = None) -> None:
        """Send the stats and timeline bars now (a run's end, or a replay's jump)."""
        self._send_stats(self._last_t if t is None else t)

    def _on_batch(self, event: BatchDone) -> None:
        self._batches += 1
        if (event.rank, event.loader) == self._followed:
            self._in_epoch += 1
        self._samples += event.samples
        self._failed += len(event.failed)
        self._last_t = event.t
        self._bars.append(bar_row(event))
        self.counts["batches"] += 1
        now = time.monotonic()
        if now - self._last_stats >= STATS_INTERVAL_S:
            self._last_stats = now
            self._send_stats(event.t)

    def _send_stats(self, t: float) -> None:
        if self._bars:
            bars, self._bars = self._bars, []
            self.timeline.emit(bars)
        sps, bps = self._rates.add(self._last_t or t, self._batches, self._samples)
        self.stats.emit(
            RunStats(
                t=t,
                batches=self._batches,
                samples=self._samples,
                epoch=self._epoch,
                epochs=getattr(self.config, "epochs", 0),  # 0: a traced job's, unknown
                batch_in_epoch=self._in_epoch,
                epoch_batches=self._epoch_batches,
                samples_per_s=sps,
                batches_per_s=bps,
                failed_samples=self._failed,
            )
        )
