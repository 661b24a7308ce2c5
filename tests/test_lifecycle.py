"""Lifecycle and reliability (issue 8): run and stop at any moment, quit every way, a worker
that dies, exceptions nobody caught, broken settings. Each test fails when the behaviour
breaks: real processes are killed and counted with psutil."""

import os
import random
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest
from conftest import ROOT, children_alive, make_jpegs, wait_no_children

from explorer.core.run.worker_death import explain

SPEC = "400000:3x32x32"  # tiny samples: endless batches at full speed


def _open_files() -> int:
    return psutil.Process().num_fds()


def _python_threads() -> list[str]:
    return sorted(
        t.name for t in threading.enumerate() if not isinstance(t, threading._DummyThread)
    )


def _configure(window, *, workers, method, eager_folder=None):
    source = (
        {"folder": str(eager_folder), "mode": "eager"}
        if eager_folder
        else {"random": SPEC, "mode": "lazy"}
    )
    window.controls.apply_options(
        {**source, "workers": workers, "epochs": 2, "start_method": method}
    )


def _run_then_stop(qtbot, window, moment):
    assert window.start_run()
    relay = window._worker
    if moment == "loading":
        qtbot.waitUntil(lambda: window.status.prepareBar.isVisible(), timeout=20000)
    elif moment == "first batch":
        qtbot.waitUntil(lambda: bool(window.chart._markers), timeout=20000)  # an epoch began
    else:  # mid-epoch
        qtbot.waitUntil(lambda: relay.counts["batches"] >= 5, timeout=30000)
    t0 = time.monotonic()
    window.stop_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=2000)
    return time.monotonic() - t0


def test_twenty_run_stop_cycles_leave_nothing_behind(qtbot, window, tmp_path):
    folder = make_jpegs(tmp_path / "big", 400, (320, 240))
    window.show()
    plan = [
        (w, m, t)
        for w in (0, 2, 4)
        for m in ("fork", "spawn")
        for t in ("first batch", "mid-epoch")
    ]
    plan += [(2, "fork", "loading"), (4, "spawn", "loading")]
    rng = random.Random(8)
    cycles = plan + rng.sample(plan, 20 - len(plan))
    # One cycle of each kind first: torch's thread pool, Qt's and the resource tracker start
    # once per process; what a cycle must not do is add to them.
    for workers, method in ((0, "fork"), (2, "fork"), (2, "spawn")):
        _configure(window, workers=workers, method=method)
        _run_then_stop(qtbot, window, "mid-epoch")
    wait_no_children()
    # the run's end gives memory back on a short-lived thread of its own
    qtbot.waitUntil(lambda: "trim-memory" not in _python_threads(), timeout=5000)
    threads, files = _python_threads(), _open_files()
    slowest = 0.0
    for n, (workers, method, moment) in enumerate(cycles):
        folder_arg = folder if moment == "loading" else None
        _configure(window, workers=workers, method=method, eager_folder=folder_arg)
        took = _run_then_stop(qtbot, window, moment)
        slowest = max(slowest, took)
        what = f"cycle {n} ({workers} workers, {method}, stopped {moment})"
        assert took <= 2.0, f"{what}: the stop took {took:.2f} s"
        assert window.last_finished.status in ("stopped", "completed"), what
        assert not wait_no_children(2.0), f"{what}: a child process is still alive"
        try:
            qtbot.waitUntil(lambda: _python_threads() == threads, timeout=2000)
        except Exception:
            raise AssertionError(f"{what}: threads {_python_threads()} != {threads}") from None
        assert _open_files() <= files, f"{what}: {_open_files() - files} more open files"
    print(f"slowest stop: {slowest:.2f} s")


def test_closing_the_window_mid_run_ends_every_worker(qtbot, window):
    _configure(window, workers=2, method="spawn")
    window.show()
    assert window.start_run()
    qtbot.waitUntil(lambda: window._worker.counts["batches"] >= 3, timeout=30000)
    assert len(children_alive()) == 2
    t0 = time.monotonic()
    window.close()
    assert time.monotonic() - t0 <= 3.0
    assert not window.runs.is_running()
    assert not wait_no_children(1.0)


def _start(args, env=None):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


def _workers_of(proc, count, timeout=30.0):
    deadline = time.monotonic() + timeout
    me = psutil.Process(proc.pid)
    while time.monotonic() < deadline:
        kids = [p for p in me.children(recursive=True) if helper_role_is_none(p, proc.pid)]
        if len(kids) >= count:
            return kids
        time.sleep(0.05)
    raise AssertionError(f"{count} workers never started: {proc.stderr.read()[-2000:]}")


def helper_role_is_none(p, parent):
    from explorer.core.memory.sampler import helper_role

    return helper_role(p, parent) is None


@pytest.mark.parametrize(
    "how", ["window SIGINT", "window SIGTERM", "headless SIGINT", "headless SIGTERM"]
)
def test_ctrl_c_and_sigterm_end_the_program_and_its_workers(tmp_path, how):
    mode, name = how.split()
    args = ["--random", SPEC, "--workers", "2", "--epochs", "50"]
    if mode == "headless":
        args += ["--headless", "--no-progress", "--report", str(tmp_path / "r.json")]
    else:
        args += ["--run"]
    proc = _start(args, {"XDG_CONFIG_HOME": str(tmp_path / "config")})
    workers = _workers_of(proc, 2)
    time.sleep(0.5)  # mid-run
    t0 = time.monotonic()
    if name == "SIGINT":  # Ctrl+C: the terminal signals the whole group, workers included
        os.killpg(proc.pid, signal.SIGINT)
    else:  # kill PID, a service manager: the main process only
        proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=3.0)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"{how}: still running 3 s after the signal") from None
    assert time.monotonic() - t0 <= 3.0
    if mode == "headless":
        assert code == 130 and (tmp_path / "r.json").exists()  # the report is still written
    else:
        assert code == 0, proc.stderr.read()[-2000:]
    time.sleep(0.2)
    orphans = [w.pid for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    assert not orphans, f"{how}: orphaned workers {orphans}"


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_killed_worker_is_told_in_plain_words_and_the_next_run_works(qtbot, window, method):
    _configure(window, workers=2, method=method)
    window.controls.epochsSpin.setValue(50)
    assert window.start_run()
    qtbot.waitUntil(lambda: window._worker.counts["batches"] >= 3, timeout=30000)
    victim = sorted(children_alive(), key=lambda p: p.pid)[-1]  # worker 1, started second
    victim.send_signal(signal.SIGKILL)
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=5000)
    assert window.last_finished.status == "failed"
    message = window.status.message.text()
    assert f"DataLoader worker 1 (pid {victim.pid}) was killed by SIGKILL" in message
    assert "out-of-memory killer" in message and "Try fewer workers" in message
    assert not wait_no_children(2.0)
    # The window is usable: the next run works.
    window.controls.epochsSpin.setValue(1)
    window.controls.randomSpecEdit.setText("2000:3x8x8")
    assert window.start_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=30000)
    assert window.last_finished.status == "completed"


def test_every_way_a_worker_dies_has_words():
    assert "/dev/shm" in explain(0, 10, -signal.SIGBUS) and "--shm-size" in explain(0, 10, -7)
    assert "segmentation fault" in explain(1, 11, -signal.SIGSEGV)
    assert "from outside the program" in explain(2, 12, -signal.SIGTERM)
    assert "exited with status 3" in explain(3, 13, 3)
    assert "worker 4 (pid 14)" in explain(4, 14, -signal.SIGUSR2)


def test_uncaught_exceptions_are_logged_and_shown(qtbot, window, monkeypatch, caplog):
    from PySide6.QtCore import QTimer

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    window.errors.install()

    def slot_that_fails():
        raise ZeroDivisionError("a slot's bug")

    QTimer.singleShot(0, slot_that_fails)
    qtbot.waitUntil(lambda: "ZeroDivisionError" in window.status.message.text(), timeout=3000)
    assert "Internal error" in window.status.message.text()
    assert "a slot's bug" in caplog.text and "Traceback" in caplog.text

    def thread_that_fails():
        raise KeyError("a thread's bug")

    window.show()
    threading.Thread(target=thread_that_fails, name="loader-helper").start()
    qtbot.waitUntil(lambda: "loader-helper" in window.status.message.text(), timeout=3000)
    assert window.errors.count == 2
    assert window.isVisible()  # nothing closed the window
    assert not window.runs.is_running()
    assert window.start_run()  # and it still works
    window.stop_run()
    qtbot.waitUntil(lambda: not window.runs.is_running(), timeout=5000)


def test_qt_warnings_go_to_the_log(caplog):
    from PySide6.QtCore import qInstallMessageHandler, qWarning

    from explorer.gui.app import route_qt_messages

    route_qt_messages()
    try:
        qWarning("a warning from Qt")
    finally:
        qInstallMessageHandler(None)
    assert "a warning from Qt" in caplog.text


def test_broken_settings_mean_defaults_and_a_note(qtbot, tmp_path, caplog):
    from PySide6.QtCore import QSettings

    from explorer.gui import MainWindow
    from explorer.gui.settings import AppSettings

    garbage = tmp_path / "garbage.ini"
    garbage.write_bytes(bytes(random.Random(1).randrange(256) for _ in range(4096)))
    window = MainWindow(AppSettings(QSettings(str(garbage), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    window.close()

    outdated = tmp_path / "outdated.ini"
    outdated.write_text(
        "[General]\ntheme=neon\nmode=turbo\nsource=ftp\nworkers=lots\nbatch_size=-5\n"
        "font_scale=nan\nshuffle=maybe\nwindow_geometry=not-a-geometry\nepochs=99999999999\n"
        "recent_folders=7\n"
    )
    settings = AppSettings(QSettings(str(outdated), QSettings.Format.IniFormat))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.settings.get("theme") == "dark" and window.controls.source() == "random"
    assert window.controls.modeCombo.currentData() == "lazy"
    assert window.controls.batchSizeSpin.value() >= 1
    assert window.presentation.scale == 1.0
    for key in ("theme", "mode", "source", "workers", "font_scale", "shuffle"):
        assert f"setting '{key}' has a bad value" in caplog.text
    window.close()


def test_workers_die_with_a_main_process_that_is_killed(tmp_path):
    """A main process killed outright cannot end its workers: the kernel does (PDEATHSIG)."""
    proc = _start(["--headless", "--random", SPEC, "--workers", "2", "--epochs", "50"])
    workers = _workers_of(proc, 2)
    time.sleep(0.5)  # mid-run (a kill during start-up is covered too: see die_with_parent)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 3.0
    alive = workers
    while alive and time.monotonic() < deadline:
        alive = [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.05)
    assert not alive, f"orphaned workers: {[w.pid for w in alive]}"
