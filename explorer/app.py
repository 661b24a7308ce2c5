"""Entry point for ``python main.py``, ``python -m explorer`` and the installed launchers: it
reads the command line and chooses the front end, the window or the headless command line.

Each front end is imported only when chosen, so ``--headless`` never loads Qt and ``--help``
loads neither Qt nor torch.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

EXIT_NO_DISPLAY = 2

#: Qt platforms that need a display server (the default on Linux is xcb).
_ON_A_DISPLAY = {"", "xcb", "wayland", "wayland-egl"}


def display_problem(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> str:
    """Why the window cannot open here, in one line; empty when it can. Said before Qt is
    loaded: Qt's own words for it ("could not connect to display", then a misleading
    "xcb-cursor0 is needed") come from an abort, and name no way out."""
    if not platform.startswith("linux"):
        return ""
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0]
    if qpa not in _ON_A_DISPLAY or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return ""
    return (
        "dataloader-explorer: no display to open the window on (DISPLAY and WAYLAND_DISPLAY "
        "are not set): run it from a desktop session or over `ssh -X`, add --headless for a "
        "report without a window, or serve the window over VNC with "
        "`QT_QPA_PLATFORM=vnc python3 main.py` and connect a VNC viewer to port 5900"
    )


def main(argv: Sequence[str] | None = None) -> int:
    from .cli import build_parser, parse

    parser = build_parser()
    args = parse(parser, list(sys.argv[1:] if argv is None else argv))
    if args.headless and args.trace:
        from .cli import run_trace_headless

        return run_trace_headless(args)
    if args.headless:
        from .cli import run_headless

        return run_headless(args, parser)
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY
    from .gui.app import run_gui

    given = frozenset(
        k for k, v in vars(args).items() if k != "command" and v != parser.get_default(k)
    )
    return run_gui(args, given)
