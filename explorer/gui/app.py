"""Starting the window: the QApplication, logging of Qt's messages and of uncaught exceptions,
Ctrl+C in the terminal, and the first folder from the command line."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from .main_window import MainWindow
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


def install_error_hooks() -> None:
    """Nothing dies silently: uncaught exceptions in slots and threads are logged."""

    def excepthook(exc_type, exc, tb):  # type: ignore[no-untyped-def]
        log.error("uncaught exception", exc_info=(exc_type, exc, tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        log.error(
            "uncaught exception in thread %s",
            getattr(args.thread, "name", "?"),
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    qInstallMessageHandler(_qt_message)


def run_gui(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    QApplication.setOrganizationName(ORGANIZATION)
    QApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setWindowIcon(app_icon())
    install_error_hooks()
    window = MainWindow(record_to=getattr(args, "record", None))
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
    window.show()
    # Ctrl+C in the terminal closes the window cleanly; the timer lets Python see the signal.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    signal.signal(signal.SIGTERM, lambda *_: window.close())
    ticker = QTimer(interval=200)
    ticker.timeout.connect(lambda: None)
    ticker.start()
    return app.exec()
