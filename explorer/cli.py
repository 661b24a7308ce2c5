"""The command line: ``python main.py [--headless] ...``.

The parser imports neither Qt nor torch, so ``--help`` and argument errors are instant. With
``--headless`` the run engine runs on this thread, a progress bar goes to stderr, and a JSON
report (and optionally a CSV of memory rows) is written. Exit status: 0 success, 1 a failed
run, 2 bad arguments, 130 interrupted (the report is still written).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line naming the option, exit status 2 (argparse's default prints the usage)."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _random_spec(text: str) -> str:
    from .core.errors import ConfigError
    from .core.randomspec import parse_random_spec

    try:
        parse_random_spec(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return text


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid whole number: {text!r}") from None
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="dataloader-explorer",
        description="See, live, how a PyTorch DataLoader uses memory and time.",
    )
    p.add_argument("path", nargs="?", help="an image folder to open in the window")
    p.add_argument(
        "--headless", action="store_true", help="run without a window and write a report"
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--folder", metavar="DIR", help="an image folder (subfolders are classes)")
    src.add_argument(
        "--random",
        metavar="N:SHAPE[:DTYPE]",
        type=_random_spec,
        help="random tensors, e.g. 2000:3x64x64 or 500:3x224x224:uint8",
    )
    p.add_argument(
        "--mode",
        choices=("eager", "lazy", "memmap"),
        default="lazy",
        help="when images are decoded: all in __init__, per __getitem__, or once into a "
        "memory-mapped cache",
    )
    p.add_argument(
        "--storage",
        choices=("pil-list", "array-list"),
        default="pil-list",
        help="how an eager dataset holds its pixels: PIL images (4 bytes a pixel) or "
        "numpy arrays (3)",
    )
    p.add_argument("--batch-size", type=_positive_int, default=64, metavar="B")
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=0,
        metavar="W",
        help="DataLoader num_workers (0 loads in the main process)",
    )
    p.add_argument("--epochs", type=_positive_int, default=1, metavar="E")
    p.add_argument(
        "--max-batches",
        type=_positive_int,
        default=None,
        metavar="K",
        help="stop after K batches in all",
    )
    p.add_argument(
        "--resize",
        type=_positive_int,
        default=224,
        metavar="S",
        help="images leave __getitem__ as S×S (default 224)",
    )
    p.add_argument("--shuffle", action="store_true")
    p.add_argument(
        "--start-method",
        choices=("fork", "spawn", "forkserver"),
        default=None,
        help="how worker processes start (default: the platform's)",
    )
    p.add_argument("--cache-dir", metavar="DIR", help="where memmap caches live")
    p.add_argument(
        "--allow-over-budget",
        action="store_true",
        help="run an eager load even when it is predicted not to fit in memory",
    )
    p.add_argument("--report", metavar="FILE.json", help="write the JSON report here")
    p.add_argument("--csv", metavar="FILE.csv", help="write the memory rows as CSV here")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return p


def config_from_args(args: argparse.Namespace) -> Any:
    from .core.config import RunConfig

    return RunConfig(
        folder=args.folder,
        random=args.random,
        mode=args.mode,
        batch_size=args.batch_size,
        workers=args.workers,
        epochs=args.epochs,
        max_batches=args.max_batches,
        resize=args.resize,
        shuffle=args.shuffle,
        start_method=args.start_method,
        cache_dir=args.cache_dir,
        allow_over_budget=args.allow_over_budget,
        preview_interval=0.0,
    )


def run_headless(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .core import engine
    from .core.errors import ConfigError
    from .core.report import RunRecorder
    from .terminal import ProgressPrinter

    if args.folder is None and args.random is None:
        args.folder = args.path
    if args.folder is None and args.random is None:
        parser.error("--folder/--random: give a folder or a random spec to run headless")
    config = config_from_args(args)
    try:
        config.validate()
    except ConfigError as exc:
        parser.error(str(exc))

    recorder = RunRecorder()
    printer = ProgressPrinter(sys.stderr, enabled=not args.no_progress)
    stop = threading.Event()

    def emit(event: object) -> None:
        recorder(event)
        printer(event)

    interrupted = []

    def on_signal(signum: int, _frame: object) -> None:
        interrupted.append(signum)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        finished = engine.run(config, emit, stop)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    printer.close()
    try:
        if args.report:
            recorder.write_json(args.report)
        if args.csv:
            recorder.write_csv(args.csv)
    except OSError as exc:
        print(f"dataloader-explorer: error: cannot write the report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not finished.ok:
        print(f"dataloader-explorer: run failed: {finished.reason}", file=sys.stderr)
        return EXIT_FAILED
    if interrupted:
        return EXIT_INTERRUPTED
    print(printer.summary(recorder.report()["summary"]), file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.headless:
        return run_headless(args, parser)
    from .gui.app import run_gui

    return run_gui(args)
