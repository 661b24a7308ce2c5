"""Measurements of this window that the benchmark (``python -m explorer.bench``) takes in a
fresh process: ``DLE_PROBE=KIND python main.py`` prints one JSON line and exits.

- ``startup``: seconds from the process's start to the first painted window;
- ``idle:S`` / ``idle-after-run:S``: resident memory after S idle seconds (before any run, or
  after one);
- ``session:SOURCE``: how late a 5 ms heartbeat in the window's own event loop gets, from the
  first paint through Run, Stop, a second Run, Stop and quit, as a user would drive it
  (SOURCE: ``random`` or an image folder);
- ``moments:FOLDER``: the same heartbeat through an eager and a memmap run over FOLDER,
  saving, opening and replaying a recording, and every lesson.

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


def _until_idle(app: QApplication, window: MainWindow, timeout: float) -> None:
    """Pump until what was started (a run, a lesson, possibly after its sample folder is
    made) has begun and then ended."""
    _pump(app, 60.0, window.is_busy)
    _pump(app, timeout, lambda: not window.is_busy())


def moments(app: QApplication, window: MainWindow, folder: str) -> dict:
    """The window's other heavy moments, with the heartbeat: an eager run (every image
    decoded before the first batch) and a memmap run (every image decoded into the cache)
    over ``folder``, saving and opening the last run's recording and playing it, then each
    lesson in turn. The phases name them."""
    import tempfile

    from .presets import PRESETS

    beat = Heartbeat()
    ended: list[list[str]] = []  # [phase, status, reason] of each run: what was measured

    def reported(report: dict) -> None:
        summary = report["summary"] or {}
        ended.append([beat.phase, summary.get("status", "?"), summary.get("reason", "")])

    window.runReported.connect(reported)
    _pump(app, 1.0)
    for mode in ("eager", "memmap"):
        beat.phase = f"{mode} run"
        options = {"folder": folder, "mode": mode, "workers": 2, "batch_size": 32}
        window.controls.apply_options({**options, "epochs": 1, "step_ms": 0})
        window.start_run()
        _until_idle(app, window, 120.0)
        beat.phase = f"idle after the {mode} run"
        _pump(app, 1.0)
    with tempfile.TemporaryDirectory(prefix="dle-probe-") as tmp:
        path = os.path.join(tmp, "last.dlxrec")
        beat.phase = "save and open a recording"
        window.recordings.save_last_run(path)
        window.open_recording(path)
        _pump(app, 30.0, window.recordings.is_open)
        if window.recordings.player is None:
            ended.append([beat.phase, "failed", window.status.message.text()])
        else:
            beat.phase = "replay a recording"
            window.recordings.player.play()
            _pump(app, 3.0)
            window.recordings.close()
    for preset in PRESETS:
        beat.phase = f"lesson: {preset.name}"
        window.play_preset(preset)
        _until_idle(app, window, 300.0)
        _pump(app, 1.0)
    beat.phase = "quit"
    window.close()
    _pump(app, 0.5)
    return {**beat.stop(), "runs": ended}


def run_probe(app: QApplication, window: MainWindow, probe: str) -> None:
    """Measure ``probe`` on the shown ``window``, print the JSON line, and exit at once."""
    result = {"first_paint_s": first_paint(app, window)}
    kind, _, seconds = probe.partition(":")
    if kind == "session":
        result.update(session(app, window, seconds))
    if kind == "moments":
        result.update(moments(app, window, seconds))
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
