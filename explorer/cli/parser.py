"""The command line's options, in groups (source, loading, memory lab, timing, output).

Nothing here imports Qt or torch, so ``--help`` and argument errors are instant; option values
are checked by the core's own parsers, imported when an option is given.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, NoReturn

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line naming the option, exit status 2 (argparse's default prints the usage)."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _random_spec(text: str) -> str:
    from ..core.datasets.randomspec import parse_random_spec
    from ..core.errors import ConfigError

    try:
        parse_random_spec(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return text


def _target(option: str) -> Any:
    def parse(text: str) -> str:
        from ..core.datasets.user_code import parse_target
        from ..core.errors import ConfigError

        try:
            parse_target(text, option)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(exc.message) from None
        return text

    parse.__name__ = option.lstrip("-")
    return parse


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(
            f"not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object, e.g. '{\"n\": 100}'")
    return value


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid whole number: {text!r}") from None
    return value


_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _size(text: str) -> int:
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = t[-1] if t and t[-1] in _UNITS else ""
    try:
        value = float(t[: len(t) - len(unit)])
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 512M or 8G)") from None
    if not 0 < value < 1 << 60:  # also NaN and inf
        raise argparse.ArgumentTypeError(f"must be a positive size, not {text!r}")
    return int(value * _UNITS[unit])


def _option_sets(path: str) -> list[dict[str, Any]]:
    from .compare import load_option_sets

    try:
        return load_option_sets(path)
    except (OSError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="dataloader-explorer",
        description="See, live, how a PyTorch DataLoader uses memory and time.",
    )
    p.add_argument("path", nargs="?", help="an image folder to open in the window")
    p.add_argument(
        "--headless", action="store_true", help="run without a window and write a report"
    )
    p.add_argument(
        "--run", action="store_true", help="in the window: start the run at once (for talks)"
    )
    _source_options(p.add_argument_group("source"))
    _loading_options(p.add_argument_group("loading"))
    _memory_lab_options(p.add_argument_group("memory lab"))
    _sweep_options(p.add_argument_group("measured advice"))
    _health_and_timing_options(p.add_argument_group("dataset health and timing"))
    _output_options(p.add_argument_group("output"))
    p.add_argument(
        "--trace",
        action="store_true",
        help="trace your own training job, unchanged: every DataLoader, worker, transform and "
        "rank, live (the command comes after --, e.g. --trace -- python train.py --lr 0.1)",
    )
    return p


def split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """The explorer's own options, and the traced command after the first ``--``."""
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1 :]
    return argv, []


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse the command line; ``args.command`` is the traced command (``--trace -- ...``)."""
    own, command = split_command(argv)
    args = parser.parse_args(own)
    if command and not args.trace:
        parser.error("--: a command after -- is traced with --trace (--trace -- python train.py)")
    if args.trace and not command:
        parser.error("--trace: give the command to trace after --, e.g. --trace -- python train.py")
    if args.trace and (args.folder or args.random or args.dataset or args.compare):
        parser.error("--trace: traces your command; --folder, --random, --dataset and --compare "
                     "are for the explorer's own runs")  # fmt: skip
    args.command = command
    return args


def _source_options(g: argparse._ArgumentGroup) -> None:
    src = g.add_mutually_exclusive_group()
    src.add_argument("--folder", metavar="DIR", help="an image folder (subfolders are classes)")
    src.add_argument(
        "--random",
        metavar="N:SHAPE[:DTYPE]",
        type=_random_spec,
        help="random tensors, e.g. 2000:3x64x64 or 500:3x224x224:uint8",
    )
    src.add_argument(
        "--dataset",
        metavar="FILE.py:NAME",
        type=_target("--dataset"),
        help="your own Dataset or IterableDataset class, or a function returning one "
        "(also package.module:NAME)",
    )
    g.add_argument(
        "--dataset-args",
        metavar="JSON",
        type=_json_object,
        default=None,
        help='keyword arguments for --dataset, as a JSON object, e.g. \'{"root": "data"}\'',
    )
    g.add_argument(
        "--collate",
        metavar="FILE.py:NAME",
        type=_target("--collate"),
        help="your collate function (default: PyTorch's default_collate)",
    )


def _loading_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--mode",
        choices=("eager", "lazy", "memmap", "hdf5"),
        default="lazy",
        help="when images are decoded: all in __init__, per __getitem__, or once into a "
        "memory-mapped cache",
    )
    g.add_argument("--batch-size", type=_whole_number, default=64, metavar="B")
    g.add_argument(
        "--workers",
        type=_whole_number,
        default=0,
        metavar="W",
        help="DataLoader num_workers (0 loads in the main process)",
    )
    g.add_argument("--epochs", type=_whole_number, default=1, metavar="E")
    g.add_argument(
        "--max-batches",
        type=_whole_number,
        default=None,
        metavar="K",
        help="stop after K batches in all",
    )
    g.add_argument(
        "--resize",
        type=_whole_number,
        default=224,
        metavar="S",
        help="images leave __getitem__ as S×S (default 224)",
    )
    g.add_argument("--shuffle", action="store_true")
    g.add_argument(
        "--start-method",
        choices=("fork", "spawn", "forkserver"),
        default=None,
        help="how worker processes start (default: the platform's)",
    )
    g.add_argument(
        "--persistent-workers",
        action="store_true",
        help="keep workers alive between epochs (no start-up cost per epoch)",
    )
    g.add_argument(
        "--prefetch-factor",
        type=_whole_number,
        default=None,
        metavar="N",
        help="batches each worker prepares ahead (default 2): more speed, more memory",
    )
    g.add_argument(
        "--pin-memory",
        action="store_true",
        help="copy batches into page-locked memory for faster GPU transfer",
    )
    g.add_argument("--cache-dir", metavar="DIR", help="where memmap caches live")


def _memory_lab_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--storage",
        choices=("pil-list", "array-list", "contiguous", "shared-tensor"),
        default="pil-list",
        help="how an eager dataset holds its pixels: PIL images (4 bytes a pixel), numpy "
        "arrays (3), one array, or one tensor in shared memory",
    )
    g.add_argument(
        "--index",
        choices=("list", "numpy"),
        default="numpy",
        help="per-sample metadata as a Python list of dicts (copied into fork workers as they "
        "read it) or numpy arrays (shared)",
    )
    g.add_argument(
        "--meta-bytes",
        type=_whole_number,
        default=0,
        metavar="N",
        help="pad each record's path to N bytes, to make the metadata's cost visible",
    )
    g.add_argument(
        "--memory-budget",
        type=_size,
        default=None,
        metavar="SIZE",
        help="budget against this much memory (e.g. 512M, 8G) instead of what is available now",
    )
    g.add_argument(
        "--allow-over-budget",
        action="store_true",
        help="run an eager load even when it is predicted not to fit in memory",
    )
    g.add_argument(
        "--compare",
        metavar="FILE",
        type=_option_sets,
        help="a JSON or TOML file with a list of option sets (e.g. "
        '[{"index": "list"}, {"index": "numpy"}]): run each on top of the other '
        "options and print a table",
    )


def _sweep(text: str) -> Any:
    from .sweep import sweep_spec

    return sweep_spec(text)


def _sweep_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--sweep",
        action="append",
        type=_sweep,
        metavar="NAME=V1,V2",
        help="measure every combination of these settings (repeatable; NAME is workers, "
        "batch-size, prefetch-factor, persistent-workers, start-method or pin-memory) and "
        "recommend one that keeps up within the memory budget",
    )
    g.add_argument(
        "--sweep-seconds",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds of steady state each sweep point runs, after its start-up (default 5)",
    )


def _health_and_timing_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--scan-only",
        action="store_true",
        help="read the folder's headers and report what is in it; decode nothing",
    )
    g.add_argument(
        "--hashes", action="store_true", help="with the scan, find duplicate files (same content)"
    )
    g.add_argument(
        "--decode-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="skip a file whose decoding takes longer (default 10 s; 0: no limit)",
    )
    g.add_argument(
        "--max-pixels",
        type=_whole_number,
        default=None,
        metavar="N",
        help="refuse images declaring more pixels than this, before decoding "
        "(default: Pillow's limit, 89,478,485)",
    )
    g.add_argument(
        "--step-ms",
        type=float,
        default=0.0,
        metavar="X",
        help="simulate a training step: the main loop spends X ms on each batch",
    )


def _output_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--record",
        metavar="FILE",
        help="record the run (every event: memory, batches with thumbnails, timings) to FILE; "
        "in the window, each run's recording is saved there",
    )
    g.add_argument(
        "--open",
        metavar="FILE",
        dest="open_recording",
        help="open a recording in the window to replay it (with --headless: report on it)",
    )
    g.add_argument("--report", metavar="FILE.json", help="write the JSON report here")
    g.add_argument("--csv", metavar="FILE.csv", help="write the memory rows as CSV here")
    g.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    # --compare runs each option set in a fresh interpreter through this (not for users):
    g.add_argument("--config-json", metavar="FILE", help=argparse.SUPPRESS)


def config_from_args(args: argparse.Namespace, **overrides: Any) -> Any:
    from ..core.run.config import RunConfig

    options = {
        "folder": args.folder,
        "random": args.random,
        "dataset": args.dataset,
        "dataset_args": args.dataset_args,
        "collate": args.collate,
        "mode": args.mode,
        "batch_size": args.batch_size,
        "workers": args.workers,
        "epochs": args.epochs,
        "max_batches": args.max_batches,
        "steady_s": None,
        "resize": args.resize,
        "shuffle": args.shuffle,
        "storage": args.storage,
        "index": args.index,
        "meta_bytes": args.meta_bytes,
        "start_method": args.start_method,
        "persistent_workers": args.persistent_workers,
        "prefetch_factor": args.prefetch_factor,
        "pin_memory": args.pin_memory,
        "memory_budget": args.memory_budget,
        "cache_dir": args.cache_dir,
        "allow_over_budget": args.allow_over_budget,
        "max_pixels": args.max_pixels,
        "decode_timeout": args.decode_timeout,
        "step_ms": args.step_ms,
        # Headless runs make thumbnails only for a recording: nobody else would see them.
        "preview_interval": 0.5 if getattr(args, "record", None) else 0.0,
    }
    unknown = set(overrides) - set(options)
    if unknown:
        from ..core.errors import ConfigError

        raise ConfigError("--compare", f"unknown option(s) {', '.join(sorted(unknown))}")
    options.update(overrides)
    return RunConfig(**options)
