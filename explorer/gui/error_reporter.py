"""Nothing dies silently: an exception nobody caught (in a slot, a thread, the engine) is
logged with its traceback and shown in the window, which carries on.

``install()`` sets ``sys.excepthook`` and ``threading.excepthook`` (process-wide: the
application does it once at start-up); the hooks may run on any thread, so what they show
reaches the window through a queued signal.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("explorer")


class ErrorReporter(QObject):
    #: One line for the status bar: what failed, and that the details are in the log.
    reported = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.count = 0

    def install(self) -> None:
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_hook

    def report(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
        where: str = "",
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            return
        self.count += 1
        log.error(
            "uncaught exception%s", f" in {where}" if where else "", exc_info=(exc_type, exc, tb)
        )
        last = traceback.extract_tb(tb)[-1] if tb is not None else None
        at = f" at {last.filename.rsplit('/', 1)[-1]}:{last.lineno}" if last else ""
        self.reported.emit(
            f"Internal error{f' in {where}' if where else ''}: {exc_type.__name__}: {exc}{at}. "
            "The window carries on; the traceback is in the log."
        )

    def _excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        self.report(exc_type, exc, tb)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        name = getattr(args.thread, "name", "a thread")
        self.report(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback, name)
