"""The command line: ``python main.py [--headless] ...``: its options, the headless run
(engine on this thread, progress on stderr, a JSON report), the scan, ``--compare``.

Exit status: 0 success, 1 a failed run, 2 bad arguments, 130 interrupted (the report is still
written). Which front end runs (this or the window) is chosen in ``explorer.app``.
"""

from .headless import run_headless
from .parser import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    build_parser,
    config_from_args,
    parse,
)
from .trace import run_trace_headless

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "config_from_args",
    "parse",
    "run_headless",
    "run_trace_headless",
]
