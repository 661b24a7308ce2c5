"""Entry point for ``python main.py``, ``python -m explorer`` and the installed launchers: it
reads the command line and chooses the front end, the window or the headless command line.

Each front end is imported only when chosen, so ``--headless`` never loads Qt and ``--help``
loads neither Qt nor torch.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from .cli import build_parser

    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.headless:
        from .cli import run_headless

        return run_headless(args, parser)
    from .gui.app import run_gui

    given = frozenset(k for k, v in vars(args).items() if v != parser.get_default(k))
    return run_gui(args, given)
