"""Starting the window: the QApplication, logging of Qt's messages and of uncaught exceptions,
Ctrl+C in the terminal, and the first folder from the command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from ..core.memory.malloc_arenas import use_one_arena
from ..core.memory.memory_trim import trim_memory
from ..core.run.warm_up import warm_up_in_background
from .gc_on_gui_thread import freeze_long_lived_once, pause_collections, resume_collections
from .main_window import MainWindow
from .probes import run_probe
from .settings import APPLICATION, ORGANIZATION
from .theme import app_icon

log = logging.getLogger("explorer")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(mode: QtMsgType, _context: object, message: str) -> None:
    logging.getLogger("qt").log(_QT_LEVELS.get(mode, logging.WARNING), "%s", message)


def route_qt_messages() -> None:
    """Qt's own warnings go to the log, not silently to stderr."""
    qInstallMessageHandler(_qt_message)


#: Command-line options the window takes over when given (the rest come from its settings).
WINDOW_OPTIONS = (
    "mode",
    "storage",
    "index",
    "meta_bytes",
    "batch_size",
    "workers",
    "epochs",
    "resize",
    "shuffle",
    "start_method",
    "persistent_workers",
    "prefetch_factor",
    "pin_memory",
    "step_ms",
)


def _warm_up(window: MainWindow) -> None:
    """Load torch and the engine in the background; the GUI thread's collector rests
    meanwhile, and what they made is then frozen out of its sight."""
    pause_collections()
    warm_up_in_background(then=lambda: after_warm_up(window))


def after_warm_up(window: MainWindow) -> None:
    """On the warm-up thread, once torch has loaded: give back what the import freed,
    unless a run has started (Run pressed while torch still loaded).
    ``malloc_trim`` holds every thread's allocations while it works, 16-32 ms here, which
    then fell on the run's start, where forking the workers already holds the interpreter
    lock; the run's end trims anyway."""
    if not window.runs.is_running():
        trim_memory()
    freeze_long_lived_once()
    resume_collections()


#: How long a thread may keep the interpreter lock while another waits for it (Python's
#: default: 5 ms). PySide6 lets go of the lock around every call into Qt, so a frame of the
#: window takes it back dozens of times; while the engine's thread unpickles batches at full
#: speed, each take could wait the whole interval. Measured on 2 cores (session probe, random
#: tensors, 2 workers): the window's GUI thread spent 50-78 ms of every 100 ms waiting on
#: the lock at 5 ms; the worst heartbeat fell from 96-155 ms to 69-97 ms at 0.5 ms, with the
#: window's batches/s unchanged (230-244 at 5 ms, 247-256 at 0.5 ms).
GIL_SWITCH_INTERVAL_S = 0.0005


def run_gui(args: argparse.Namespace, given: frozenset[str] = frozenset()) -> int:
    """The window; ``given`` names the options typed on the command line, which override
    the window's remembered settings."""
    use_one_arena()  # before Qt, torch or the engine start a thread (see malloc_arenas)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    QApplication.setOrganizationName(ORGANIZATION)
    QApplication.setApplicationName(APPLICATION)
    QApplication.setDesktopFileName("dataloader-explorer")  # resources/*.desktop
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setWindowIcon(app_icon())
    route_qt_messages()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    window = MainWindow(record_to=getattr(args, "record", None))
    window.errors.install()
    folder = args.folder or args.path
    if getattr(args, "open_recording", None):
        window.open_recording(args.open_recording)
    elif folder:
        if Path(folder).expanduser().is_dir():
            window.open_folder(str(Path(folder).expanduser()))
        else:
            window.status.show_message(f"{folder} is not a folder", error=True)
    elif args.random:
        window.controls.randomSpecEdit.setText(args.random)
        window.controls.set_source("random")
    elif getattr(args, "trace", False):  # --trace -- COMMAND: traced at once
        window.controls.tracePicker.commandEdit.setText(shlex.join(args.command))
        window.controls.tracePicker.cwdEdit.setText(os.getcwd())
        window.controls.set_source("trace")
    elif args.dataset:
        file, _, name = args.dataset.rpartition(":")
        window.controls.userDataset.set_values(
            file,
            name,
            json.dumps(args.dataset_args) if args.dataset_args else "",
            args.collate or "",
        )
        window.controls.set_source("dataset")
    window.controls.apply_options({k: getattr(args, k) for k in WINDOW_OPTIONS if k in given})
    window.show()
    # torch and the engine load now, beside the idle window, not on the first Run's thread
    QTimer.singleShot(0, lambda: _warm_up(window))
    probe = os.environ.get("DLE_PROBE")
    if probe:  # the benchmark's start-up and idle-memory probes (explorer.bench)
        run_probe(app, window, probe)
    if args.run or getattr(args, "trace", False):
        QTimer.singleShot(0, window.start_run)
    # Ctrl+C in the terminal closes the window cleanly; the timer lets Python see the signal.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    signal.signal(signal.SIGTERM, lambda *_: window.close())
    ticker = QTimer(interval=200)
    ticker.timeout.connect(lambda: None)
    ticker.start()
    return app.exec()
