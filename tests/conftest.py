"""Test setup: Qt offscreen, the shared image corpus, folders of generated JPEGs, and a guard
that fails any test leaving a child process or a QThread behind."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
# Caches (memmap files, the sample folder) go to a temporary place, never the user's, and
# are gone when the session ends.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="dle-cache-")

import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from PIL import Image

from explorer.core.memory.sampler import helper_role

atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "pillow-images"


def children_alive() -> list[psutil.Process]:
    """Live descendants of this process, less multiprocessing's own per-interpreter helpers
    (the resource tracker and the forkserver live until the interpreter exits)."""
    alive = []
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE and helper_role(p) is None:
                alive.append(p)
        except psutil.Error:
            pass
    return alive


def wait_no_children(timeout: float = 2.0) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while True:
        alive = children_alive()
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def _no_dangling_processes():
    yield
    left = wait_no_children(5.0)
    for p in left:
        p.kill()
    assert not left, f"the test left child processes behind: {[p.pid for p in left]}"


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus/pillow-images is not beside this checkout")
    return CORPUS


def make_jpegs(folder: Path, count: int, size: tuple[int, int], classes: int = 0) -> Path:
    """``count`` JPEGs of ``size`` with smooth content (so they decode like photos)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(count):
        base = np.stack([(xx * (i + 1)) % 256, (yy * 2) % 256, ((xx + yy) // 2) % 256], -1)
        noise = rng.integers(0, 24, (h, w, 3))
        arr = np.clip(base + noise, 0, 255).astype(np.uint8)
        sub = folder / f"class_{i % classes}" if classes else folder
        sub.mkdir(exist_ok=True)
        Image.fromarray(arr).save(sub / f"img_{i:04d}.jpg", quality=85)
    return folder


@pytest.fixture
def jpeg_folder(tmp_path: Path) -> Path:
    return make_jpegs(tmp_path / "jpegs", 24, (160, 120), classes=3)


def run_cli(*args: str, timeout: float = 120) -> tuple[int, str, str]:
    import subprocess

    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="session", autouse=True)
def _qt_settings_in_a_temporary_place(tmp_path_factory):
    """QSettings never touch the real user's settings during tests."""
    from PySide6.QtCore import QSettings

    folder = tmp_path_factory.mktemp("qsettings")
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    return folder


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    from explorer.gui.settings import AppSettings

    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(qtbot, settings):
    from explorer.gui import MainWindow

    w = MainWindow(settings)
    qtbot.addWidget(w)
    yield w
    w.close()  # stops any run and waits for its thread
    assert not w.runs.is_running(), "a run's QThread outlived the window"


def run_engine(config, stop=None, **options):
    """Run the engine off the main thread, as the window does; return (finished, events).

    On the main thread, the DataLoader installs a process-wide SIGCHLD handler that raises in
    whatever Python code the main thread runs next; in one process with Qt (the test session),
    that can land inside pyqtgraph. The headless CLI runs in its own process, where it belongs.
    """
    import threading

    from explorer.core.run import engine

    events, lock, out = [], threading.Lock(), {}

    def emit(e):
        with lock:
            events.append(e)

    thread = threading.Thread(
        target=lambda: out.setdefault("f", engine.run(config, emit, stop, **options))
    )
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the run did not end"
    return out["f"], events
