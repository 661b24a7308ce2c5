"""The command line: ``python main.py [--headless] ...``.

The parser imports neither Qt nor torch, so ``--help`` and argument errors are instant. With
``--headless`` the run engine runs on this thread, a progress bar goes to stderr, and a JSON
report (and optionally a CSV of memory rows) is written. Exit status: 0 success, 1 a failed
run, 2 bad arguments, 130 interrupted (the report is still written).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from .core.units import format_bytes

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


def _target(option: str) -> Any:
    def parse(text: str) -> str:
        from .core.errors import ConfigError
        from .core.user_code import parse_target

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
    src = p.add_mutually_exclusive_group()
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
    p.add_argument(
        "--dataset-args",
        metavar="JSON",
        type=_json_object,
        default=None,
        help='keyword arguments for --dataset, as a JSON object, e.g. \'{"root": "data"}\'',
    )
    p.add_argument(
        "--collate",
        metavar="FILE.py:NAME",
        type=_target("--collate"),
        help="your collate function (default: PyTorch's default_collate)",
    )
    p.add_argument(
        "--mode",
        choices=("eager", "lazy", "memmap", "hdf5"),
        default="lazy",
        help="when images are decoded: all in __init__, per __getitem__, or once into a "
        "memory-mapped cache",
    )
    p.add_argument(
        "--storage",
        choices=("pil-list", "array-list", "contiguous", "shared-tensor"),
        default="pil-list",
        help="how an eager dataset holds its pixels: PIL images (4 bytes a pixel), numpy "
        "arrays (3), one array, or one tensor in shared memory",
    )
    p.add_argument(
        "--index",
        choices=("list", "numpy"),
        default="numpy",
        help="per-sample metadata as a Python list of dicts (copied into fork workers as they "
        "read it) or numpy arrays (shared)",
    )
    p.add_argument(
        "--meta-bytes",
        type=_whole_number,
        default=0,
        metavar="N",
        help="pad each record's path to N bytes, to make the metadata's cost visible",
    )
    p.add_argument("--batch-size", type=_whole_number, default=64, metavar="B")
    p.add_argument(
        "--workers",
        type=_whole_number,
        default=0,
        metavar="W",
        help="DataLoader num_workers (0 loads in the main process)",
    )
    p.add_argument("--epochs", type=_whole_number, default=1, metavar="E")
    p.add_argument(
        "--max-batches",
        type=_whole_number,
        default=None,
        metavar="K",
        help="stop after K batches in all",
    )
    p.add_argument(
        "--resize",
        type=_whole_number,
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
    p.add_argument(
        "--persistent-workers",
        action="store_true",
        help="keep workers alive between epochs (no start-up cost per epoch)",
    )
    p.add_argument(
        "--prefetch-factor",
        type=_whole_number,
        default=None,
        metavar="N",
        help="batches each worker prepares ahead (default 2): more speed, more memory",
    )
    p.add_argument(
        "--pin-memory",
        action="store_true",
        help="copy batches into page-locked memory for faster GPU transfer",
    )
    p.add_argument(
        "--memory-budget",
        type=_size,
        default=None,
        metavar="SIZE",
        help="budget against this much memory (e.g. 512M, 8G) instead of what is available now",
    )
    p.add_argument(
        "--compare",
        metavar="FILE",
        type=_option_sets,
        help="a JSON or TOML file with a list of option sets (e.g. "
        '[{"index": "list"}, {"index": "numpy"}]): run each on top of the other '
        "options and print a table",
    )
    p.add_argument("--cache-dir", metavar="DIR", help="where memmap caches live")
    p.add_argument(
        "--scan-only",
        action="store_true",
        help="read the folder's headers and report what is in it; decode nothing",
    )
    p.add_argument(
        "--hashes", action="store_true", help="with the scan, find duplicate files (same content)"
    )
    p.add_argument(
        "--step-ms",
        type=float,
        default=0.0,
        metavar="X",
        help="simulate a training step: the main loop spends X ms on each batch",
    )
    p.add_argument(
        "--decode-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="skip a file whose decoding takes longer (default 10 s; 0: no limit)",
    )
    p.add_argument(
        "--max-pixels",
        type=_whole_number,
        default=None,
        metavar="N",
        help="refuse images declaring more pixels than this, before decoding "
        "(default: Pillow's limit, 89,478,485)",
    )
    p.add_argument(
        "--allow-over-budget",
        action="store_true",
        help="run an eager load even when it is predicted not to fit in memory",
    )
    p.add_argument(
        "--record",
        metavar="FILE",
        help="record the run (every event: memory, batches with thumbnails, timings) to FILE; "
        "in the window, each run's recording is saved there",
    )
    p.add_argument(
        "--open",
        metavar="FILE",
        dest="open_recording",
        help="open a recording in the window to replay it (with --headless: report on it)",
    )
    p.add_argument("--report", metavar="FILE.json", help="write the JSON report here")
    p.add_argument("--csv", metavar="FILE.csv", help="write the memory rows as CSV here")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    # --compare runs each option set in a fresh interpreter through this (not for users):
    p.add_argument("--config-json", metavar="FILE", help=argparse.SUPPRESS)
    return p


def config_from_args(args: argparse.Namespace, **overrides: Any) -> Any:
    from .core.config import RunConfig

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
        from .core.errors import ConfigError

        raise ConfigError("--compare", f"unknown option(s) {', '.join(sorted(unknown))}")
    options.update(overrides)
    return RunConfig(**options)


def run_headless(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .core.errors import ConfigError

    if args.config_json:
        return _run_config_file(args)
    if args.open_recording:
        return _report_recording(args, parser)
    if args.folder is None and args.random is None and args.dataset is None:
        args.folder = args.path
    if args.folder is None and args.random is None and args.dataset is None:
        parser.error(
            "--folder/--random/--dataset: give a folder, a random spec or your dataset to run "
            "headless"
        )
    if args.scan_only:
        return run_scan(args, parser)
    if args.record and args.compare:
        parser.error("--record: records one run; it cannot be used with --compare")
    option_sets = args.compare or [{}]
    try:
        configs = [config_from_args(args, **o).validate() for o in option_sets]
    except (ConfigError, TypeError) as exc:
        parser.error(str(exc))

    stop = threading.Event()
    interrupted: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        interrupted.append(signum)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        reports = []
        for n, config in enumerate(configs):
            if stop.is_set():
                break
            if len(configs) > 1:
                print(f"run {n + 1}/{len(configs)}: {option_sets[n]}", file=sys.stderr)
            if len(configs) > 1:  # a fresh interpreter each: no run inherits another's memory
                reports.append(_run_in_subprocess(config, args))
            else:
                reports.append(_run_one(config, args, stop))
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)

    if args.compare:
        from .compare import comparison_rows, format_table

        rows = comparison_rows(option_sets, reports)
        print(format_table(rows))
        out: dict[str, Any] = {"runs": reports, "comparison": rows}
    else:
        out = reports[0]
    try:
        if args.report:
            Path(args.report).write_text(json.dumps(out, indent=1))
        if args.csv:
            from .core.report import write_memory_csv

            write_memory_csv(args.csv, [r["memory"] for r in reports])
    except OSError as exc:
        print(f"dataloader-explorer: error: cannot write the report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    failed = [r["summary"]["reason"] for r in reports if r["summary"]["status"] == "failed"]
    if failed:
        print(f"dataloader-explorer: run failed: {failed[0]}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def run_scan(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import time

    from .core.scan import scan_folder

    if not args.folder:
        parser.error("--scan-only: needs --folder DIR")
    if not Path(args.folder).expanduser().is_dir():
        parser.error(f"--folder: {args.folder} is not a folder")
    t0 = time.perf_counter()
    scan = scan_folder(
        str(Path(args.folder).expanduser()), hashes=args.hashes, max_pixels=args.max_pixels
    )
    wall = time.perf_counter() - t0
    bytes_per_pixel = 4 if args.storage == "pil-list" else 3
    dataset = scan.to_dict(bytes_per_pixel)
    report = {
        "config": {
            "folder": scan.root,
            "scan_only": True,
            "hashes": args.hashes,
            "max_pixels": args.max_pixels,
            "decode_timeout": args.decode_timeout,
            "step_ms": args.step_ms,
            "storage": args.storage,
        },
        "dataset": dataset,
        "summary": {"status": "scanned", "wall_s": wall},
    }
    print(
        f"scanned {dataset['files']} files in {wall:.2f} s: {dataset['items']} images "
        f"({', '.join(f'{k} {v}' for k, v in list(dataset['formats'].items())[:6])}), "
        f"{len(dataset['skipped'])} skipped; an eager load would take about "
        f"{format_bytes(dataset['estimated_eager_bytes'])}",
        file=sys.stderr,
    )
    for s in dataset["skipped"][:20]:
        print(f"  skipped {s['path']}: {s['reason']}", file=sys.stderr)
    if len(dataset["skipped"]) > 20:
        print(f"  ... and {len(dataset['skipped']) - 20} more (all in the report)", file=sys.stderr)
    try:
        if args.report:
            Path(args.report).write_text(json.dumps(report, indent=1))
    except OSError as exc:
        print(f"dataloader-explorer: error: cannot write the report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _run_one(config: Any, args: argparse.Namespace, stop: threading.Event) -> dict[str, Any]:
    from .core import engine
    from .core.events import MemoryBudget
    from .core.report import RunRecorder
    from .terminal import ProgressPrinter

    recorder = RunRecorder()
    printer = ProgressPrinter(sys.stderr, enabled=not args.no_progress)
    writer = _recording_writer(args.record) if getattr(args, "record", None) else None

    def emit(event: object) -> None:
        recorder(event)
        if writer is not None:
            writer(event)
        printer(event)
        if isinstance(event, MemoryBudget):
            for warning in event.warnings:
                print(f"warning: {warning}", file=sys.stderr)

    finished = engine.run(config, emit, stop)
    printer.close()
    if not finished.ok and config.dataset and finished.details:
        print(finished.details.rstrip(), file=sys.stderr)  # their traceback, their frames
    if writer is not None:
        writer.close()
        if writer.error:
            print(f"warning: the recording is incomplete: {writer.error}", file=sys.stderr)
        else:
            print(f"recorded {writer.events:,} events to {writer.path}", file=sys.stderr)
    report = recorder.report()
    if finished.ok:
        print(printer.summary(report["summary"]), file=sys.stderr)
    return report


def _recording_writer(path: str) -> Any:
    from .core.recording import RecordingWriter

    try:
        return RecordingWriter(path)
    except OSError as exc:
        print(
            f"dataloader-explorer: error: --record: cannot write {path}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_USAGE) from None


def _report_recording(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``--headless --open FILE``: the report of a recorded run, as if it had just run."""
    from .core.recording import RecordingError, load_recording
    from .core.report import RunRecorder

    try:
        recording = load_recording(args.open_recording)
    except RecordingError as exc:
        parser.error(f"--open: {exc}")
    recorder = RunRecorder()
    for event in recording.events:
        recorder(event)
    report = recorder.report()
    report["recording"] = {
        "path": recording.path,
        "events": len(recording.events),
        "created": recording.created,
        "thumbnails": recording.thumbnails,
    }
    print(
        f"{recording.path}: {len(recording.events):,} events over {recording.duration:.1f} s, "
        f"{report['summary'].get('batches', 0):,} batches, status "
        f"{report['summary'].get('status')}",
        file=sys.stderr,
    )
    if args.report:
        try:
            Path(args.report).write_text(json.dumps(report, indent=1))
        except OSError as exc:
            print(f"dataloader-explorer: error: cannot write the report: {exc}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


def _run_in_subprocess(config: Any, args: argparse.Namespace) -> dict[str, Any]:
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dle-compare-") as tmp:
        spec, out = Path(tmp) / "config.json", Path(tmp) / "report.json"
        spec.write_text(json.dumps(config.to_dict()))
        cmd = [
            sys.executable,
            "-m",
            "explorer",
            "--headless",
            "--config-json",
            str(spec),
            "--report",
            str(out),
        ] + (["--no-progress"] if args.no_progress else [])
        subprocess.run(cmd, check=False)
        if out.exists():
            return json.loads(out.read_text())
    return {
        "summary": {
            "status": "failed",
            "reason": "the run's process ended without a report",
            "samples_per_s": 0.0,
            "peak_pss_total": None,
            "peak_rss_total": None,
        }
    }


def _run_config_file(args: argparse.Namespace) -> int:
    from .core.config import RunConfig

    config = RunConfig(**json.loads(Path(args.config_json).read_text())).validate()
    report = _run_one(config, args, threading.Event())
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1))
    return EXIT_OK if report["summary"]["status"] != "failed" else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.headless:
        return run_headless(args, parser)
    from .gui.app import run_gui

    given = frozenset(k for k, v in vars(args).items() if v != parser.get_default(k))
    return run_gui(args, given)
