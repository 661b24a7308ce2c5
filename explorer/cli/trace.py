"""``--headless --trace -- COMMAND``: the user's job runs with its output passing through to
this terminal; the report (and optionally a recording and the memory CSV) is written when it
ends, and the explorer exits with the job's own exit status."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from .parser import EXIT_FAILED, EXIT_USAGE


def run_trace_headless(args: argparse.Namespace) -> int:
    from ..core.record.report import RunRecorder, write_memory_csv
    from ..core.trace.session import TraceConfig, trace
    from .headless import _recording_writer

    config = TraceConfig(tuple(args.command), passthrough=True, own_group=False)
    recorder = RunRecorder()
    writer = _recording_writer(args.record) if args.record else None

    def emit(event: object) -> None:
        recorder(event)
        if writer is not None:
            writer(event)

    stop = threading.Event()

    def on_term(_signum: int, _frame: object) -> None:
        stop.set()  # SIGINT, then SIGTERM, then SIGKILL to the job

    # Ctrl+C in a terminal reaches the whole group, the job included: it decides what to do
    # and we wait for it. SIGTERM, sent to us alone, is passed on.
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, on_term),
    }
    try:
        finished = trace(config, emit, stop)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if writer is not None:
        writer.close()
    report = recorder.report()
    try:
        if args.report:
            Path(args.report).write_text(json.dumps(report, indent=1))
        if args.csv:
            write_memory_csv(args.csv, [report["memory"]])
    except OSError as exc:
        print(f"dataloader-explorer: error: cannot write the report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if finished.exit_code is None:  # it could not be started
        print(f"dataloader-explorer: error: --trace: {finished.reason}", file=sys.stderr)
        return EXIT_USAGE
    print(_summary(report), file=sys.stderr)
    code = finished.exit_code
    return code if code >= 0 else 128 - code


def _summary(report: dict[str, Any]) -> str:
    s = report["summary"]
    loaders = report.get("loaders") or []
    if not loaders:
        head = "traced: the job created no DataLoader"
    else:
        workers = sum(int(row.get("num_workers") or 0) for row in loaders)
        head = (
            f"traced: {len(loaders)} DataLoader{'s' * (len(loaders) != 1)} "
            f"({workers} workers), {s['batches']:,} batches, {s['samples']:,} samples"
        )
    peak = s.get("peak_pss_total") or s.get("peak_rss_total")
    memory = (
        f"; peak memory {peak / 2**20:,.0f} MiB (Σ {'PSS' if s.get('peak_pss_total') else 'RSS'})"
        if peak
        else ""
    )
    verdict = f"; {s['verdict']}" if s.get("verdict") else ""
    dropped = f"; {s['events_dropped']:,} events dropped" if s.get("events_dropped") else ""
    return f"{head}{memory}{verdict}{dropped}; exit status {s.get('exit_code')}"
