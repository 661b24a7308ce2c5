"""``--sweep NAME=V1,V2,...``: measured advice. Every point of the product of the lists is a
real run of the real DataLoader, each in a fresh interpreter (as ``--compare``), for
``--sweep-seconds`` of steady state after its start-up (measured apart). The report's
``sweep`` has each point's throughput, wait fraction, start-up and peaks beside what the
budget predicted; ``summary.recommendation`` says which to use and why."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from ..core.run.sweep import (
    SWEEPABLE,
    format_mib,
    label,
    memory_of,
    parse_values,
    point_entry,
    points,
    sweep_result,
)


def sweep_spec(text: str) -> tuple[str, list[Any]]:
    """``NAME=V1,V2,...`` as (RunConfig field, values); one clear line when it is not."""
    name, sep, values = text.partition("=")
    name = name.strip().removeprefix("--")
    if not sep or name not in SWEEPABLE:
        raise argparse.ArgumentTypeError(
            f"{text!r}: sweep one of {', '.join(SWEEPABLE)} as NAME=V1,V2 (e.g. workers=0,2,4)"
        )
    try:
        return SWEEPABLE[name], parse_values(name, values)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_sweep(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    """Run every point; the sweep report (``config``, ``sweep``, ``sweep_predicted``,
    ``runs``, ``summary``)."""
    from ..core.errors import ConfigError
    from ..core.run.config import MAX_EPOCHS
    from .headless import _run_in_subprocess
    from .parser import config_from_args

    sets = points(args.sweep)
    entries: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for n, options in enumerate(sets):
        try:
            config = config_from_args(
                args, **options, epochs=MAX_EPOCHS, max_batches=None, steady_s=args.sweep_seconds
            ).validate()
        except ConfigError as exc:
            skipped.append({**options, "reason": str(exc)})
            print(f"point {n + 1}/{len(sets)} {options}: skipped, {exc}", file=sys.stderr)
            continue
        print(f"point {n + 1}/{len(sets)}: {label(options)}", file=sys.stderr, flush=True)
        report = _run_in_subprocess(config, args)
        runs.append(report)
        entries.append(point_entry(options, report, args.memory_budget))
    if not any(e["samples_per_s"] for e in entries):
        parser.exit(1, "dataloader-explorer: no point of the sweep could be measured\n")
    result = sweep_result(entries, args.step_ms > 0)
    result["summary"]["skipped"] = skipped
    return {
        "config": {**runs[0].get("config", {}), "sweep": {k: v for k, v in args.sweep}},
        **result,
        "runs": runs,
    }


def format_sweep(report: dict[str, Any]) -> str:
    """The sweep as a table, the recommendation under it."""
    names = [k for k in SWEEPABLE.values() if any(k in e for e in report["sweep"])]
    head = [*names, "samples/s", "wait", "start-up", "peak Σ PSS", "predicted", "fits"]
    rows = [head]
    for e in report["sweep"]:
        rows.append(
            [str(e.get(n)) for n in names]
            + [
                f"{e['samples_per_s']:,.0f}",
                "?" if e["data_wait_fraction"] is None else f"{e['data_wait_fraction']:.0%}",
                "?" if e["startup_s"] is None else f"{e['startup_s']:.2f} s",
                format_mib(memory_of(e)),
                format_mib(float(e["predicted_peak_pss_total"] or math.inf)),
                "yes" if e["within_budget"] else "NO",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    rec = report["summary"]["recommendation"] or {}
    err = report["summary"]["prediction_error"]
    lines.append(f"recommended: {rec.get('reason', 'nothing')}")
    if err["max"] is not None:
        lines.append(
            f"budget model: predicted peaks off by {err['median']:.0%} (median), "
            f"{err['max']:.0%} at most"
        )
    return "\n".join(lines)
