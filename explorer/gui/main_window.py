"""The main window: composes the panels, wires the run's signals to them, and owns the menus
and shortcuts. It holds no run logic of its own (RunController does) and draws nothing itself
(each panel does)."""

from __future__ import annotations

import dataclasses
import logging
import shlex
from collections.abc import Callable
from pathlib import Path

import psutil
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QPixmapCache,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.datasets.sample_images import ensure_sample_folder
from ..core.errors import ConfigError
from ..core.health.scan import scan_folder
from ..core.memory.memory_trim import trim_memory_in_background
from ..core.record.recording import SUFFIX
from ..core.run.config import RunConfig
from ..core.run.events import (
    BatchDone,
    DatasetProgress,
    DatasetReady,
    EpochStarted,
    LoaderCreated,
    MemoryBudget,
    MemorySweep,
    ProcessesChanged,
    RunFinished,
)
from ..core.trace.session import TraceConfig
from ..core.units import format_bytes
from .charts.exports import export_chart
from .charts.memory_chart import MemoryChart
from .charts.throughput_chart import ThroughputChart
from .charts.worker_timeline import WorkerTimeline
from .error_reporter import ErrorReporter
from .gc_on_gui_thread import install_gui_thread_gc
from .palette import THEMES
from .panels.batch_preview import BatchPreview
from .panels.controls_panel import ControlsPanel
from .panels.dataset_panel import DatasetPanel
from .panels.job_console import JobConsole
from .panels.runs_table import RunsTable
from .panels.status_panel import StatusPanel
from .presentation import Presentation
from .presets import SAMPLE, Preset
from .replay.recordings import Recordings
from .run.background import run_in_background
from .run.engine_worker import EngineWorker
from .run.event_relay import EventRelay
from .run.run_controller import RunController
from .run.run_stats import RunStats
from .settings import AppSettings
from .sweep.find_settings import FindSettings
from .sweep.sweep_controller import SweepPlan
from .theme import app_icon, apply_theme

log = logging.getLogger(__name__)

#: An epoch's lines on the charts are drawn this long after the epoch began, the chart's first,
#: the throughput's a little later. Without persistent workers a new epoch forks its workers
#: then: the window's process has its page tables copied and copies each page it next writes,
#: its busiest moment, and the window does the least it can in it (the lines stand at the
#: epoch's own time all the same). Six alternated JPEG-folder sessions (2 workers, 2 cores),
#: with MemoryChart laying its captions out only on change: the worst lateness of a launch,
#: median 47.5 ms before and 36.5 ms after, lower in five pairs of six (the session probe).
EPOCH_LINES_DELAY_MS = 200
EPOCH_LINES_SPREAD_MS = 30


class MainWindow(QMainWindow):
    #: A run ended: its ``config``, ``summary`` and ``budget`` (what Find settings measures).
    runReported = Signal(dict)

    def __init__(self, settings: AppSettings | None = None, record_to: str | None = None) -> None:
        super().__init__()
        # Qt objects must never be freed on the engine's thread
        self._collector = install_gui_thread_gc()
        self.setObjectName("mainWindow")
        self.setWindowTitle("DataLoader Explorer")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.settings = settings or AppSettings()
        self.last_finished: RunFinished | None = None

        self.controls = ControlsPanel()
        self.chart = MemoryChart()
        self.batchPreview = BatchPreview()
        self.status = StatusPanel()
        self.runs = RunController(self)
        self.recordings = Recordings(self, save_to=record_to)
        self.errors = ErrorReporter(self)

        center = QSplitter(Qt.Orientation.Horizontal, objectName="mainSplitter")
        self.runsTable = RunsTable()
        self._worker: EventRelay | None = None  # the live run's or the replay's
        self._queue: list[dict] = []  # a preset's runs still to go
        controls_scroll = QScrollArea(objectName="controlsScroll")
        controls_scroll.setWidget(self.controls)
        controls_scroll.setWidgetResizable(True)
        controls_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        controls_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        controls_scroll.setMinimumWidth(self.controls.sizeHint().width() + 16)
        self.controlsScroll = controls_scroll
        middle = QSplitter(Qt.Orientation.Vertical, objectName="chartSplitter")
        self.throughput = ThroughputChart()
        self.bottomTabs = QTabWidget(objectName="bottomTabs")
        self.bottomTabs.addTab(self.runsTable, "Runs")
        self.timeline = WorkerTimeline()
        self.bottomTabs.addTab(self.timeline, "Timeline")
        self.bottomTabs.addTab(self.throughput, "Throughput")
        self.console = JobConsole()
        self.bottomTabs.addTab(self.console, "Console")
        middle.addWidget(self.chart)
        middle.addWidget(self.bottomTabs)
        middle.setStretchFactor(0, 4)
        middle.setStretchFactor(1, 1)
        middle.setSizes([640, 140])
        center.addWidget(controls_scroll)
        center.addWidget(middle)
        self.datasetPanel = DatasetPanel()
        self.rightTabs = QTabWidget(objectName="rightTabs")
        self.rightTabs.addTab(self.batchPreview, "Batch preview")
        self.rightTabs.addTab(self.datasetPanel, "Dataset")
        self.findSettings = FindSettings(self)
        self.rightTabs.addTab(self.findSettings.panel, "Find settings")
        center.addWidget(self.rightTabs)
        center.setStretchFactor(0, 0)
        center.setStretchFactor(1, 3)
        center.setStretchFactor(2, 2)
        center.setChildrenCollapsible(False)
        self.splitter = center
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(center, 1)
        layout.addWidget(self.recordings.bar)
        layout.addWidget(self.status)
        self.setCentralWidget(body)
        self.resize(1500, 860)
        self._sized = False

        self.controls.runRequested.connect(self.start_run)
        self.controls.stopRequested.connect(self.stop_run)
        self.controls.sampleFolderRequested.connect(self.use_sample_folder)
        self.controls.presetRequested.connect(self.play_preset)
        self.datasetPanel.scanRequested.connect(self.scan_folder)
        self.status.cancelRequested.connect(self.stop_run)
        self.runs.workerCreated.connect(self._connect_worker)
        self.runs.runEnded.connect(self._on_run_ended)
        self.recordings.relayCreated.connect(self._on_replay_relay)
        self.recordings.message.connect(self.status.show_message)
        self.errors.reported.connect(lambda text: self.status.show_message(text, error=True))
        self._build_menus()
        self._restore()

    # ----------------------------------------------------------------- actions
    def start_run(self, *_: object, overrides: dict | None = None) -> bool:
        """Run what the controls say (``overrides`` replaces some of it: Find settings)."""
        if self.runs.is_running():
            return False
        try:
            config = self.controls.build_config()
            if overrides and not isinstance(config, TraceConfig):
                config = dataclasses.replace(config, **overrides).validate()
        except ConfigError as exc:
            self.status.show_message(f"Cannot run: {exc.message}", error=True)
            return False
        self.controls.save(self.settings)
        self.recordings.close()
        self._clear_views()
        if isinstance(config, TraceConfig):
            self.status.show_message(f"Tracing: {shlex.join(config.command)}")
            self.bottomTabs.setCurrentWidget(self.console)
        else:
            self.chart.expect_workers(config.workers, psutil.Process().memory_info().rss)
            if config.folder:
                self.controls.set_recent(self.settings.add_recent_folder(config.folder))
            self.status.show_message(
                f"Running: {config.source_label}, {config.mode}, "
                f"{config.workers} workers, batch {config.batch_size}"
            )
        self.controls.set_running(True)
        self.last_finished = None
        return self.runs.start(config, self.recordings.writer_for_next_run())

    def trace_script(self) -> None:
        """File > Trace a script…: the Training script source, and a script to choose."""
        self.controls.set_source("trace")
        self.controls.tracePicker.browse_script()

    def _clear_views(self) -> None:
        self.console.clear()
        self.chart.clear()
        self.throughput.clear()
        self.timeline.clear()
        self.batchPreview.clear()
        self.status.reset()

    # ----------------------------------------------------------------- recordings
    def open_recording(self, path: str) -> bool:
        """Open a recording (loaded off the GUI thread) and show it from its start."""
        if self.runs.is_running():
            self.status.show_message("Stop the run before opening a recording.", error=True)
            return False
        self.status.show_message(f"Opening {path}…")
        self.recordings.open(path, on_open=lambda: self.bottomTabs.setCurrentWidget(self.timeline))
        return True

    def _on_replay_relay(self, relay: EventRelay) -> None:
        self._clear_views()
        self.last_finished = None
        self._connect_worker(relay)

    def is_busy(self) -> bool:
        """Whether a run, a lesson's next run or Find settings is still to end."""
        return self.runs.is_running() or bool(self._queue) or self.findSettings.is_active()

    def stop_run(self) -> None:
        if self.runs.is_running():
            self.status.show_message("Stopping…")
            self.runs.stop()

    def open_folder(self, folder: str | None = None) -> None:
        if folder is None:
            self.controls.browse()
        else:
            self.controls.set_folder(folder)

    def use_sample_folder(self) -> None:
        """Generate the sample folder off the GUI thread (once), then choose it."""
        self.controls.sampleButton.setEnabled(False)
        self.status.show_message("Preparing the sample images…")
        run_in_background(
            ensure_sample_folder, self._sample_folder_ready, self._sample_folder_failed, self
        )

    def _sample_folder_ready(self, folder: Path) -> None:
        self.controls.sampleButton.setEnabled(True)
        self.open_folder(str(folder))
        self.status.show_message(f"Sample images ready in {folder}: press Run.")

    def _sample_folder_failed(self, exc: Exception) -> None:
        self.controls.sampleButton.setEnabled(True)
        self.status.show_message(f"Could not make the sample images: {exc}", error=True)

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        theme = apply_theme(app, name) if isinstance(app, QApplication) else THEMES[name]
        for panel in (self.controls, self.chart, self.status, self.console):
            panel.theme = theme
        self.chart.set_theme(theme)
        self.throughput.set_theme(theme)
        self.findSettings.panel.plot.set_theme(theme)
        self.timeline.set_theme(theme)
        self.settings.set("theme", theme.name)
        for action in self._theme_actions:
            action.setChecked(action.data() == theme.name)

    # ----------------------------------------------------------------- run signals
    def _connect_worker(self, worker: EventRelay) -> None:
        self._worker = worker
        worker.timeline.connect(self.timeline.add_bars)
        worker.budget.connect(self._on_budget)
        worker.datasetProgress.connect(self._on_progress)
        worker.datasetReady.connect(self._on_dataset_ready)
        worker.epochStarted.connect(self._on_epoch)
        worker.stats.connect(self._on_stats)
        worker.preview.connect(self._on_preview)
        worker.memorySweep.connect(self._on_sweep)
        worker.processesChanged.connect(self._on_processes)
        worker.finished.connect(self._on_finished)
        worker.output.connect(self.console.add_output)
        worker.loaderCreated.connect(self._on_loader)
        if isinstance(worker, EngineWorker):
            worker.forking.connect(self.chart.hold)
            if self._collector is not None:
                worker.forking.connect(self._collector.hold)
                self._collector.set_building(True)  # until the dataset is ready

    def _on_loader(self, event: LoaderCreated) -> None:
        self.console.add_loader(event)
        rank = f"rank {event.rank} " if event.rank is not None else ""
        self.chart.add_marker(event.t, f"{rank}DataLoader {event.id}", minor=True)

    def _on_progress(self, event: DatasetProgress) -> None:
        self.status.show_progress(event)

    def _on_dataset_ready(self, event: DatasetReady) -> None:
        info = event.info
        if self._collector is not None:
            self._collector.set_building(False)
        self.status.show_preparing(False)
        self.chart.add_marker(event.t, "dataset ready")
        skipped = [{"path": f.path, "reason": f.reason} for f in info.skipped]
        if info.scan is not None or skipped:
            self.datasetPanel.show_scan(info.scan, skipped)
        n = len(info.skipped)
        skipped = f", {n} file{'s' if n != 1 else ''} skipped" if n else ""
        cache = " (memmap cache reused)" if info.cache_reused else ""
        items = "a stream (no length)" if info.items is None else f"{info.items:,} items"
        self.status.show_message(
            f"Dataset ready: {items}{skipped}, prepared in {info.init_s:.2f} s{cache}"
        )

    def scan_folder(self) -> None:
        """Read the chosen folder's headers off the GUI thread and show what it holds."""
        folder = self.controls.folderEdit.text().strip()
        if not folder or not Path(folder).expanduser().is_dir():
            self.status.show_message("Choose an image folder to scan first.", error=True)
            return
        self.datasetPanel.scanButton.setEnabled(False)
        self.status.show_message(f"Scanning {folder}…")

        def scan() -> dict:
            return scan_folder(str(Path(folder).expanduser())).to_dict()

        run_in_background(scan, self._on_scanned, self._on_scan_failed, self)

    def _on_scanned(self, scan: dict) -> None:
        self.datasetPanel.scanButton.setEnabled(True)
        self.datasetPanel.show_scan(scan, scan["skipped"])
        self.rightTabs.setCurrentWidget(self.datasetPanel)
        self.status.show_message(
            f"Scanned {scan['files']:,} files: {scan['items']:,} images, "
            f"{len(scan['skipped']):,} skipped (listed in the Dataset tab)."
        )

    def _on_scan_failed(self, exc: Exception) -> None:
        self.datasetPanel.scanButton.setEnabled(True)
        self.status.show_message(f"The scan failed: {exc}", error=True)

    def _on_epoch(self, event: EpochStarted) -> None:
        self._later_in_this_run(
            EPOCH_LINES_DELAY_MS, self.chart.add_marker, event.t, f"epoch {event.epoch + 1}"
        )
        self._later_in_this_run(
            EPOCH_LINES_DELAY_MS + EPOCH_LINES_SPREAD_MS,
            self.throughput.add_epoch,
            event.t,
            event.epoch,
        )

    def _later_in_this_run(self, delay_ms: int, draw: Callable[..., None], *args: object) -> None:
        """``draw(*args)`` after ``delay_ms``, unless a new run has cleared the charts since."""
        run = self._worker
        QTimer.singleShot(delay_ms, self, lambda: draw(*args) if self._worker is run else None)

    def _on_stats(self, stats: RunStats) -> None:
        self.status.show_stats(stats)
        self.throughput.add_stats(stats)

    def _on_preview(self, event: BatchDone) -> None:
        self.batchPreview.show_batch(event)

    def _on_sweep(self, sweep: MemorySweep) -> None:
        self.chart.add_sweep(sweep)
        self.status.show_memory(sweep)

    def _on_processes(self, event: ProcessesChanged) -> None:
        self.chart.processes_changed(event)

    def _on_budget(self, budget: MemoryBudget) -> None:
        parts = ", ".join(
            f"{k.replace('_', ' ')} {format_bytes(v)}" for k, v in budget.parts.items() if v
        )
        text = (
            f"Predicted peak {format_bytes(budget.predicted_peak)} ({parts}) of "
            f"{format_bytes(budget.available)} available."
        )
        if budget.warnings:
            text += " Warning: " + " ".join(budget.warnings)
        self.status.show_message(text, error=bool(budget.warnings))

    def _on_finished(self, event: RunFinished) -> None:
        self.last_finished = event
        summary = None
        if self._worker is not None:
            summary = self._worker.summary
            recorder = self._worker.recorder
            self.runsTable.add_run(recorder.config, summary)
            self.runReported.emit(
                {"config": recorder.config, "summary": summary, "budget": recorder.budget}
            )
        if self._worker is not None and self._worker.recorder.failed_samples:
            failed = self._worker.recorder.failed_samples
            self.datasetPanel.add_problems([{"path": p, "reason": r} for p, r in failed.items()])
        if event.status == "failed":
            self.status.show_message(f"Run failed: {event.reason}", error=True)
            if "use lazy or memmap" in event.reason:
                self.status.offer_action("Switch to lazy", self._switch_to_lazy)
            if event.details:
                log.error("run failed:\n%s", event.details)
                details = event.details
                self.status.offer_action("Show traceback", lambda: self._show_traceback(details))
        elif event.status == "stopped":
            self.status.show_message(
                f"Stopped after {event.batches:,} batches "
                f"({event.samples:,} samples) in {event.t:.1f} s."
            )
        else:
            rate = event.samples / event.t if event.t > 0 else 0
            budget = (summary or {}).get("budget") if self._worker is not None else None
            measured = ""
            if budget:
                measured = (
                    f" Peak: predicted {format_bytes(budget['predicted_peak'])}, "
                    f"measured {format_bytes(budget['measured_peak'])} (Σ PSS)."
                )
            verdict = (summary or {}).get("verdict") or ""
            self.status.show_message(
                f"Done: {event.batches:,} batches, {event.samples:,} "
                f"samples in {event.t:.1f} s ({rate:,.0f} samples/s overall).{measured}"
                + (f" {verdict[0].upper()}{verdict[1:]}." if verdict else "")
            )

    def _show_traceback(self, details: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "The run failed", self.status.message.text())
        box.setObjectName("tracebackBox")
        box.setDetailedText(details)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()
        self._traceback_box = box

    def _on_run_ended(self) -> None:
        if self._collector is not None:
            self._collector.set_building(False)
        # Qt's pixmap cache holds the charts' axes (DeviceCoordinateCache, ~100 KiB each) and
        # keeps those of ranges gone by until its 10 MiB are full: 7 MiB of the idle window's
        # resident memory after a run. Live axes are drawn again as they are needed.
        QPixmapCache.clear()
        # What the run freed goes back to the system, not kept by malloc; off this thread.
        trim_memory_in_background()
        self.recordings.run_ended()
        self.controls.set_running(False)
        self.status.show_preparing(False)
        stopped = self.last_finished is not None and self.last_finished.status != "completed"
        if self._queue and not stopped:
            QTimer.singleShot(0, self._next_queued)
        else:
            self._queue.clear()

    def _switch_to_lazy(self) -> None:
        self.controls.set_mode("lazy")
        self.status.show_message("Switched to lazy loading: press Run.")

    # ----------------------------------------------------------------- presets
    def play_preset(self, preset: Preset) -> None:
        """Run a preset's runs back to back; the runs table compares them."""
        if self.runs.is_running():
            return
        self.status.show_message(f"{preset.name}: {preset.caption}")
        runs = [{**preset.base, **run} for run in preset.runs] or [dict(preset.base)]
        if preset.sweep:  # one Find settings over the base's source
            self._queue = []
            plan = self.findSettings.plan_of(preset.sweep)
            if runs[0].get("folder") == SAMPLE:
                run_in_background(
                    ensure_sample_folder,
                    lambda folder: self._sweep_preset({**runs[0], "folder": str(folder)}, plan),
                    self._sample_folder_failed,
                    self,
                )
            else:
                self._sweep_preset(runs[0], plan)
            return
        if any(r.get("folder") == SAMPLE for r in runs):

            def with_folder(folder: Path) -> None:
                self._queue = [{**r, "folder": str(folder)} for r in runs]
                self._next_queued()

            run_in_background(ensure_sample_folder, with_folder, self._sample_folder_failed, self)
        else:
            self._queue = runs
            self._next_queued()

    def _sweep_preset(self, options: dict, plan: SweepPlan) -> None:
        self.controls.apply_options(options)
        self.findSettings.start(plan)

    def _next_queued(self) -> None:
        if not self._queue or self.runs.is_running():
            return
        options = self._queue.pop(0)
        self.controls.apply_options(options)
        self.start_run()

    # ----------------------------------------------------------------- window
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open folder…", self, shortcut=QKeySequence("Ctrl+O"))
        open_action.triggered.connect(lambda: self.open_folder())
        file_menu.addAction(open_action)
        trace_action = QAction("&Trace a script…", self, shortcut=QKeySequence("Ctrl+T"))
        trace_action.setObjectName("traceAction")
        trace_action.triggered.connect(self.trace_script)
        file_menu.addAction(trace_action)
        open_rec = QAction("Open &recording…", self, shortcut=QKeySequence("Ctrl+Shift+O"))
        open_rec.triggered.connect(self._open_recording_dialog)
        save_rec = QAction(
            "&Save recording of the last run…", self, shortcut=QKeySequence.StandardKey.Save
        )
        save_rec.triggered.connect(self._save_recording_dialog)
        file_menu.addActions([open_rec, save_rec])
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        run_menu = self.menuBar().addMenu("&Run")
        run_action = QAction("&Run", self, shortcut=QKeySequence("Ctrl+R"))
        run_action.triggered.connect(self.start_run)
        stop_action = QAction("&Stop", self, shortcut=QKeySequence(Qt.Key.Key_Escape))
        stop_action.triggered.connect(self.stop_run)
        run_menu.addActions([run_action, stop_action])
        run_menu.addSeparator()
        run_menu.addAction(self.findSettings.action)
        # On the window too, so the shortcuts work wherever focus is, menu bar or not.
        self.addActions([open_action, run_action, stop_action])

        view_menu = self.menuBar().addMenu("&View")
        self._theme_actions = []
        for name in THEMES:
            action = QAction(f"{name.title()} theme", self, checkable=True)
            action.setData(name)
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            view_menu.addAction(action)
            self._theme_actions.append(action)

        self.presentation = Presentation(self, self.settings, view_menu)
        export_png = QAction("Export chart as &PNG or SVG…", self)
        export_png.triggered.connect(self._export_chart_dialog)
        export_csv = QAction("Export memory data as &CSV…", self)
        export_csv.triggered.connect(self._export_csv_dialog)
        file_menu.insertActions(quit_action, [export_png, export_csv])

        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _open_recording_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a recording", "", f"Recordings (*{SUFFIX});;All files (*)"
        )
        if path:
            self.open_recording(path)

    def _save_recording_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the last run's recording", f"run{SUFFIX}", f"Recordings (*{SUFFIX})"
        )
        if path:
            self.recordings.save_last_run(path)

    def export_chart(self, path: str) -> None:
        export_chart(self.chart.plot, path)

    def export_csv(self, path: str) -> bool:
        if self._worker is None:
            return False
        self._worker.recorder.write_csv(path)
        return True

    def _export_chart_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the memory chart", "memory.png", "PNG (*.png);;SVG (*.svg)"
        )
        if path:
            self.export_chart(path)
            self.status.show_message(f"Chart saved to {path}")

    def _export_csv_dialog(self) -> None:
        if self._worker is None:
            self.status.show_message("Run something first: there is no memory data yet.")
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export memory rows", "memory.csv", "CSV (*.csv)"
        )
        if path and self.export_csv(path):
            self.status.show_message(f"Memory rows of the last run saved to {path}")

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "DataLoader Explorer",
            "See, live, how a PyTorch DataLoader uses memory and time.\n\n"
            "RSS counts every page a process has in RAM; USS only its own; PSS shares the "
            "shared pages fairly, so the sum of PSS is what the processes really cost.",
        )

    def _restore(self) -> None:
        self.controls.load(self.settings)
        self.set_theme(self.settings.get("theme"))
        geometry = self.settings.geometry("window_geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.geometry("splitter_state")
        if state is not None:
            self._sized = self.splitter.restoreState(state)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:  # proportions need the real width, known once shown
            self._sized = True
            width = self.splitter.width()
            self.splitter.setSizes([310, max(400, width - 310 - 450), 450])
        # the preview's tiles, made while the window waits for Run (a no-op once made)
        QTimer.singleShot(0, self, lambda: self.batchPreview.prepare(RunConfig.preview_count))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_folder(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        folder = _dropped_folder(event)
        if folder is not None:
            self.open_folder(folder)
            event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runs.shutdown()
        self.recordings.cleanup()
        self.controls.save(self.settings)
        self.settings.set("window_geometry", self.saveGeometry())
        self.settings.set("splitter_state", self.splitter.saveState())
        self.settings.sync()
        super().closeEvent(event)


def _dropped_folder(event: QDragEnterEvent | QDropEvent) -> str | None:
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    for url in urls:
        if url.isLocalFile() and Path(url.toLocalFile()).is_dir():
            return url.toLocalFile()
    return None
