"""Find settings in the window: the Run menu's action and the tab's button open the dialog; a
SweepController then runs each point through the window's own Run (so every chart shows it
live), the tab plots the points as they come, and Apply sets the controls to the
recommendation. Save writes the sweep as the headless ``--sweep`` report does, and a CSV."""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog

from ...core.errors import ConfigError
from ...core.run.sweep import SWEEPABLE, points, settings_of, sweep_result
from .sweep_controller import SweepController, SweepPlan, recommended_options
from .sweep_dialog import SweepDialog
from .sweep_panel import SweepPanel

if TYPE_CHECKING:
    from ..main_window import MainWindow

CSV_COLUMNS = (
    *SWEEPABLE.values(),
    "predicted",
    "samples_per_s",
    "data_wait_fraction",
    "startup_s",
    "peak_pss_total",
    "peak_rss_total",
    "predicted_peak_pss_total",
    "within_budget",
)


class _WindowRunner:
    """What the controller drives: the window's controls and its Run."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def apply_options(self, options: dict[str, Any]) -> None:
        self.window.controls.apply_options(options)

    def current_options(self, names: list[str]) -> dict[str, Any]:
        try:
            config = self.window.controls.build_config()
        except ConfigError:
            return {}
        return {n: getattr(config, n) for n in names if hasattr(config, n)}

    def start_point(self, overrides: dict[str, Any]) -> bool:
        return self.window.start_run(overrides=overrides)

    def stop_run(self) -> None:
        self.window.stop_run()

    def is_running(self) -> bool:
        return self.window.runs.is_running()


class FindSettings(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.panel = SweepPanel()
        self.controller: SweepController | None = None
        self.result: dict[str, Any] | None = None
        #: each measured point's recording, kept as its run ends (the next run replaces the
        #: window's scratch recording): Save writes them beside the sweep
        self._recordings: list[tuple[dict[str, Any], Path]] = []
        self._scratch: Path | None = None
        self.action = QAction("&Find settings…", window, shortcut=QKeySequence("Ctrl+Shift+F"))
        self.action.setObjectName("findSettingsAction")
        self.action.triggered.connect(self.open_dialog)
        self.panel.findRequested.connect(self.open_dialog)
        self.panel.cancelRequested.connect(self.cancel)
        self.panel.applyRequested.connect(self.apply)
        self.panel.saveRequested.connect(self._save_dialog)
        window.runReported.connect(self._on_run_reported)
        window.runs.runEnded.connect(self._on_run_ended)

    def is_active(self) -> bool:
        return self.controller is not None and self.controller.is_active()

    def open_dialog(self) -> None:
        if self.window.runs.is_running():
            self.window.status.show_message("Stop the run before finding settings.", error=True)
            return
        current = _WindowRunner(self.window).current_options(["batch_size"])
        dialog = SweepDialog(current, self.window)
        dialog.accepted.connect(lambda: self.start(dialog.plan()))
        dialog.open()
        self._dialog = dialog  # kept for tests and until it closes

    @staticmethod
    def plan_of(spec: dict[str, Any]) -> SweepPlan:
        """A lesson's sweep (``{"points": {field: [values]}, "seconds": S}``) as a plan."""
        return SweepPlan(tuple(points(list(spec["points"].items()))), float(spec["seconds"]))

    def start(self, plan: SweepPlan) -> bool:
        """Run ``plan``'s points one after another; False when a run is going on."""
        if self.window.runs.is_running() or self.is_active():
            return False
        try:
            self.window.controls.build_config()
        except ConfigError as exc:
            self.window.status.show_message(f"Cannot find settings: {exc.message}", error=True)
            return False
        controller = SweepController(_WindowRunner(self.window), plan, self)
        controller.pointStarted.connect(self.panel.point_started)
        # Each in its own turn of the event loop, after the run's end has been handled: the
        # window paints and its timers fire in between (one turn took 60-90 ms at each point).
        controller.pointMeasured.connect(lambda _: QTimer.singleShot(0, self._show_partial))
        controller.finished.connect(self._on_finished)
        self.controller, self.result = controller, None
        self._recordings = []
        self.panel.set_running(True, has_result=False)
        self.window.rightTabs.setCurrentWidget(self.panel)
        if plan.points:
            self.panel.point_started(0, len(plan.points), plan.points[0])
        # The first point starts in the next turn of the event loop: the tab is shown first
        # (laying it out and starting the run in one turn kept the window from its timers
        # for 57 ms, with torch still loading beside it).
        QTimer.singleShot(0, controller.start)
        return True

    def cancel(self) -> None:
        if self.controller is not None:
            self.controller.cancel()

    def apply(self) -> None:
        """Set the controls to the recommended point."""
        options = recommended_options(self.result or {})
        if options:
            self.window.controls.apply_options(options)
            self.window.status.show_message(
                "Applied: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in options.items())
            )

    def save(self, path: str) -> None:
        """The sweep as JSON (``sweep``, ``sweep_predicted``, ``summary``) at ``path``, its
        points as CSV beside it (same name, ``.csv``), and each point's recording in a folder
        beside it (same name, ``-points/``), to open and replay like any run's."""
        result = self.result or {}
        Path(path).write_text(json.dumps(result, indent=1))
        if self._recordings:
            folder = Path(path).with_name(Path(path).stem + "-points")
            folder.mkdir(exist_ok=True)
            for n, (options, recording) in enumerate(self._recordings, 1):
                name = "-".join(f"{k}={v}" for k, v in options.items())
                shutil.copyfile(recording, folder / f"{n:02d}-{name}{recording.suffix}")
        rows = [dict(e, predicted=False) for e in result.get("sweep", [])]
        rows += [dict(e, predicted=True) for e in result.get("sweep_predicted", [])]
        with open(Path(path).with_suffix(".csv"), "w", newline="") as f:
            writer = csv.DictWriter(f, CSV_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save the sweep", "sweep.json", "Sweep report (*.json)"
        )
        if path:
            try:
                self.save(path)
            except OSError as exc:
                self.window.status.show_message(f"Could not save the sweep: {exc}", error=True)
                return
            self.window.status.show_message(f"Saved the sweep to {path} and its CSV beside it.")

    def _on_run_reported(self, report: dict[str, Any]) -> None:
        if self.controller is not None:
            self.controller.run_finished(report)

    def _on_run_ended(self) -> None:
        if self.controller is None or not self.controller.is_active():
            return
        last = self.window.recordings.last_run
        measured = len(self.controller.entries)
        if last is not None and last.exists() and measured > len(self._recordings):
            if self._scratch is None:
                self._scratch = scratch = Path(tempfile.mkdtemp(prefix="dle-sweep-"))
                self.destroyed.connect(lambda: shutil.rmtree(scratch, ignore_errors=True))
            kept = self._scratch / f"point-{measured}{last.suffix}"
            try:
                shutil.copyfile(last, kept)
                self._recordings.append((settings_of(self.controller.entries[-1]), kept))
            except OSError:  # the sweep goes on; that point is saved without its recording
                pass
        QTimer.singleShot(0, self.controller.run_ended)  # the next point, in a turn of its own

    def _show_partial(self) -> None:
        if self.controller is not None and self.controller.is_active():
            self.panel.show_partial(sweep_result(self.controller.entries, stepping=False))

    def _on_finished(self, result: dict[str, Any]) -> None:
        self.result = result
        self.panel.set_running(False, has_result=bool(result["sweep"]))
        self.panel.show_result(result)
        rec = (result.get("summary") or {}).get("recommendation")
        if rec:
            self.window.status.show_message(f"Find settings: recommended {rec['reason']}.")
