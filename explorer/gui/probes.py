"""Measurements of this window that the benchmark (``python -m explorer.bench``) takes in a
fresh process: ``DLE_PROBE=KIND python main.py`` prints one JSON line and exits.

- ``startup``: seconds from the process's start to the first painted window;
- ``idle:S`` / ``idle-after-run:S``: resident memory after S idle seconds (before any run, or
  after one);
- ``session:SOURCE``: how late a 5 ms heartbeat in the window's own event loop gets, from the
  first paint through Run, Stop, a second Run, Stop and quit, as a user would drive it
  (SOURCE: ``random`` or an image folder).

They live here, beside the window they measure, so that the product never imports the
benchmark; the benchmark imports them.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QWidget

from ..core.host_steal import HostSteal

if TYPE_CHECKING:
    from .main_window import MainWindow


def first_paint(app: QApplication, window: QWidget) -> float:
    """Seconds from this process's start to ``window`` painted on screen."""
    import psutil

    handle = window.windowHandle()
    while handle is None or not handle.isExposed():
        app.processEvents()
        handle = window.windowHandle()
    window.repaint()
    return time.time() - psutil.Process().create_time()


def idle_rss(app: QApplication, seconds: float) -> int:
    import psutil

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    return psutil.Process().memory_info().rss


#: The run before the ``idle-after-run`` reading; the benchmark's bare baseline runs the same.
#: Every option that shapes the run is set here: the window restores the last session's (the
#: benchmark's session probe saves 50 epochs), and that run once read 2.6 MiB more residue.
IDLE_AFTER_RUN = {
    "random": "2000:3x32x32",
    "mode": "lazy",
    "workers": 0,
    "batch_size": 64,
    "epochs": 1,
    "step_ms": 0,
    "shuffle": False,
}


def set_idle_after_run(window: MainWindow) -> dict:
    """Set the window's controls to ``IDLE_AFTER_RUN``; return what its run would still do
    otherwise ({option: value}, empty when it is the bare baseline's run)."""
    window.controls.apply_options(IDLE_AFTER_RUN)
    built = window.controls.build_config().to_dict()
    return {k: built[k] for k, v in IDLE_AFTER_RUN.items() if built[k] != v}


class Heartbeat:
    """A 5 ms QTimer on the GUI thread; each beat records how late it came, in which phase of
    the session (the phase names say what the window was doing), and how much CPU time the
    host took from this machine meanwhile (``HostSteal``: on a virtual machine, the time in
    which nothing here could run)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.phase = "idle after first paint"
        self.late: list[tuple[str, float, float]] = []  # phase, ms late, ms stolen
        self._steal = HostSteal()
        self._last = time.monotonic()
        self._last_steal = self._steal.ms()
        self._timer = QTimer(interval=5)
        self._timer.timeout.connect(self._beat)
        self._timer.start()

    def _beat(self) -> None:
        now, stolen = time.monotonic(), self._steal.ms()
        late = max(0.0, now - self._last - 0.005) * 1000
        self.late.append((self.phase, late, stolen - self._last_steal))
        self._last, self._last_steal = now, stolen

    def stop(self) -> dict:
        """The figures: p99 and max lateness (ms), the worst per phase, and, for the worst
        beat, how much of it the host took (``max_stolen_ms``). ``max_own_ms``: the worst
        lateness left once each beat's stolen time is taken out of it."""
        self._timer.stop()
        counted = self._steal.available
        self._steal.close()
        values = sorted(ms for _, ms, _ in self.late)
        worst: dict[str, float] = {}
        for phase, ms, _ in self.late:
            worst[phase] = max(ms, worst.get(phase, 0.0))
        _, _, stolen_in_worst = max(self.late, key=lambda beat: beat[1])
        return {
            "beats": len(values),
            "p99_ms": values[int(0.99 * (len(values) - 1))],
            "max_ms": values[-1],
            "max_by_phase_ms": worst,
            "max_stolen_ms": stolen_in_worst,
            "max_own_ms": max(max(0.0, ms - stolen) for _, ms, stolen in self.late),
            "host_steal_ms": self._last_steal,
            "steal_counted": counted,
        }


def _pump(app: QApplication, seconds: float, until: object = None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until and until()):  # type: ignore[operator]
        app.processEvents()
        time.sleep(0.001)


def session(app: QApplication, window: MainWindow, source: str) -> dict:
    """First paint, the settings, Run, Stop, Run, Stop, quit: the heartbeat's lateness
    throughout. The settings (all at once: a user would change them one at a time) get a
    second of their own before the first Run, as a user's would: a folder's headers are
    then read on a thread while the window waits for the click."""
    beat = Heartbeat()
    _pump(app, 1.0)
    options = {"workers": 2, "batch_size": 32, "epochs": 50, "step_ms": 0, "mode": "lazy"}
    if source == "random":
        options["random"] = "20000:3x64x64"
    else:
        options["folder"] = source
    beat.phase = "settings"
    window.controls.apply_options(options)
    _pump(app, 1.0)
    for n in (1, 2):
        beat.phase = f"run {n}"
        window.start_run()
        _pump(app, 4.0, lambda: not window.runs.is_running())
        beat.phase = f"stop {n}"
        window.runs.stop()
        _pump(app, 30.0, lambda: not window.runs.is_running())
        beat.phase = f"idle after run {n}"
        _pump(app, 1.0)
    beat.phase = "quit"
    window.close()
    _pump(app, 0.5)
    return beat.stop()


def run_probe(app: QApplication, window: MainWindow, probe: str) -> None:
    """Measure ``probe`` on the shown ``window``, print the JSON line, and exit at once."""
    result = {"first_paint_s": first_paint(app, window)}
    kind, _, seconds = probe.partition(":")
    if kind == "session":
        result.update(session(app, window, seconds))
    if kind == "idle-after-run":  # torch loaded, a run done: the window as used
        differ = set_idle_after_run(window)
        if differ:
            raise SystemExit(f"the idle probe's run is not the bare baseline's: {differ}")
        window.start_run()
        while window.runs.is_running():
            app.processEvents()
    if kind in ("idle", "idle-after-run"):
        result["rss"] = idle_rss(app, float(seconds))
    print(json.dumps(result), flush=True)
    os._exit(0)
