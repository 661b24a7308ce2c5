"""``--headless``: the run engine on this thread, a progress bar on stderr, a JSON report
(and optionally a CSV of memory rows and a recording). Also ``--scan-only``, ``--compare``
(each option set in a fresh interpreter) and ``--open FILE`` (the report of a recording)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ..core.units import format_bytes
from .parser import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, config_from_args


def run_headless(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..core.errors import ConfigError

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
    if args.sweep:
        return _run_sweep(args, parser)
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
            from ..core.record.report import write_memory_csv

            write_memory_csv(args.csv, [r["memory"] for r in reports])
    except OSError as exc:
        print(f"dataloader-explorer: error: cannot write the report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    failed = [r["summary"]["reason"] for r in reports if r["summary"]["status"] == "failed"]
    if failed:
        print(f"dataloader-explorer: run failed: {failed[0]}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def write_report(path: str | None, report: dict[str, Any]) -> int:
    """Write ``report`` as JSON to ``path`` (if given): EXIT_OK, or EXIT_FAILED and one line."""
    try:
        if path:
            Path(path).write_text(json.dumps(report, indent=1))
    except OSError as exc:
        print(f"dataloader-explorer: error: cannot write the report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _run_sweep(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .sweep import format_sweep, run_sweep

    if args.compare or args.record:
        parser.error("--sweep: runs its own points; it cannot be used with --compare or --record")
    if not 0 < args.sweep_seconds <= 3600:
        parser.error("--sweep-seconds: must be more than 0 and at most 3600")
    report = run_sweep(args, parser)
    print(format_sweep(report), file=sys.stderr)
    return write_report(args.report, report)


def run_scan(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import time

    from ..core.health.scan import scan_folder

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
    return write_report(args.report, report)


def _run_one(config: Any, args: argparse.Namespace, stop: threading.Event) -> dict[str, Any]:
    from ..core.record.report import RunRecorder
    from ..core.run import engine
    from ..core.run.events import MemoryBudget
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
    from ..core.record.recording import RecordingWriter

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
    from ..core.record.recording import RecordingError, load_recording
    from ..core.record.report import RunRecorder

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
    return write_report(args.report, report)


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
    from ..core.run.config import RunConfig

    config = RunConfig(**json.loads(Path(args.config_json).read_text())).validate()
    report = _run_one(config, args, threading.Event())
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1))
    return EXIT_OK if report["summary"]["status"] != "failed" else EXIT_FAILED
