"""Runs a settings sweep in the window, one point after another, each a real run with its live
charts; turns each finished run into a measured point (``core.run.sweep``) and, at the end
or on Cancel, into the result the panel plots. The controls are given back as they were."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from ...core.run.config import MAX_EPOCHS
from ...core.run.sweep import point_entry, settings_of, sweep_result


@dataclass(frozen=True)
class SweepPlan:
    """What the user chose: the points (RunConfig options), the seconds of steady state each
    point runs, and the memory budget (None: what the machine has available)."""

    points: tuple[dict[str, Any], ...]
    seconds: float = 5.0
    budget: int | None = None


class Runner(Protocol):
    """What the controller needs of the window."""

    def apply_options(self, options: dict[str, Any]) -> None: ...
    def current_options(self, names: list[str]) -> dict[str, Any]: ...
    def start_point(self, overrides: dict[str, Any]) -> bool: ...
    def stop_run(self) -> None: ...
    def is_running(self) -> bool: ...


class SweepController(QObject):
    #: (index from 0, total, the point's options) as each point starts
    pointStarted = Signal(int, int, dict)
    #: a measured point (``core.run.sweep.point_entry``)
    pointMeasured = Signal(dict)
    #: the result (``sweep_result``, plus ``cancelled`` and ``seconds``) once it ends
    finished = Signal(dict)

    def __init__(self, runner: Runner, plan: SweepPlan, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.plan = plan
        self.entries: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        self.result: dict[str, Any] | None = None
        self._next = 0
        self._current: dict[str, Any] | None = None
        self._cancelled = False
        self._stepping = False
        names = sorted({k for p in plan.points for k in p})
        self._before = runner.current_options(names)

    def start(self) -> None:
        if self.result is None and self._next == 0:  # not cancelled before it began
            self._start_next()

    def is_active(self) -> bool:
        return self.result is None

    def cancel(self) -> None:
        """Stop the point running now and end with the points measured so far."""
        if self.result is not None:
            return
        self._cancelled = True
        if self.runner.is_running():
            self.runner.stop_run()  # its run's end comes back through run_finished
        else:
            self._finish()

    def run_finished(self, report: dict[str, Any]) -> None:
        """The window's run ended (``report``: its config, summary and budget)."""
        if self._current is None or self.result is not None:
            return
        options, self._current = self._current, None
        self._stepping = (report.get("config") or {}).get("step_ms", 0) > 0
        status = (report.get("summary") or {}).get("status")
        if status == "failed":
            reason = (report.get("summary") or {}).get("reason", "the run failed")
            self.skipped.append({**options, "reason": reason})
        elif status == "completed" or (status == "stopped" and not self._cancelled):
            entry = point_entry(options, report, self.plan.budget)
            self.entries.append(entry)
            self.pointMeasured.emit(entry)

    def run_ended(self) -> None:
        """The run's thread is gone: start the next point, or finish."""
        if self.result is not None or self._current is not None:
            return
        if self._cancelled or self._next >= len(self.plan.points):
            self._finish()
        else:
            self._start_next()

    def _start_next(self) -> None:
        while self._next < len(self.plan.points):
            options = self.plan.points[self._next]
            self._next += 1
            self.pointStarted.emit(self._next - 1, len(self.plan.points), options)
            self.runner.apply_options(options)
            overrides = {
                "epochs": MAX_EPOCHS,
                "max_batches": None,
                "steady_s": self.plan.seconds,
                "memory_budget": self.plan.budget,
            }
            self._current = options
            if self.runner.start_point(overrides):
                return
            self._current = None
            self.skipped.append({**options, "reason": "the window refused these settings"})
        self._finish()

    def _finish(self) -> None:
        self.runner.apply_options(self._before)
        result = sweep_result(self.entries, self._stepping)
        result["summary"]["skipped"] = self.skipped
        result["cancelled"] = self._cancelled
        result["seconds"] = self.plan.seconds
        result["budget"] = self.plan.budget or next(
            (e["budget"] for e in self.entries if e.get("budget")), None
        )
        self.result = result
        self.finished.emit(result)


def recommended_options(result: dict[str, Any]) -> dict[str, Any]:
    """The recommended point's settings (empty when nothing was recommended)."""
    rec = (result.get("summary") or {}).get("recommendation") or {}
    return settings_of(rec)
