"""``--sweep NAME=V1,V2,...``: measured advice. Every point of the product of the lists is a
real run of the real DataLoader, each in a fresh interpreter (as ``--compare``), for
``--sweep-seconds`` of steady state after its start-up (measured apart). The report's
``sweep`` has each point's throughput, wait fraction, start-up and peaks beside what the
budget predicted; ``summary.recommendation`` says which to use and why."""

from __future__ import annotations

import argparse
import itertools
import math
import os
import statistics
import sys
from typing import Any

#: What may be swept: option name -> (RunConfig field, value parser).
_BOOL = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
SWEEPABLE = {
    "workers": "workers",
    "batch-size": "batch_size",
    "prefetch-factor": "prefetch_factor",
    "persistent-workers": "persistent_workers",
    "start-method": "start_method",
    "pin-memory": "pin_memory",
}
WITHIN_BEST = 0.05  # "as fast": within 5% of the best throughput


def sweep_spec(text: str) -> tuple[str, list[Any]]:
    """``NAME=V1,V2,...`` as (RunConfig field, values); one clear line when it is not."""
    name, sep, values = text.partition("=")
    name = name.strip().removeprefix("--")
    if not sep or name not in SWEEPABLE:
        raise argparse.ArgumentTypeError(
            f"{text!r}: sweep one of {', '.join(SWEEPABLE)} as NAME=V1,V2 (e.g. workers=0,2,4)"
        )
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"{name}: give at least one value, e.g. {name}=0,2")
    return SWEEPABLE[name], [_value(name, v) for v in items]


def _value(name: str, text: str) -> Any:
    if name in ("persistent-workers", "pin-memory"):
        if text.lower() not in _BOOL:
            raise argparse.ArgumentTypeError(f"{name}: {text!r} is not true or false")
        return _BOOL[text.lower()]
    if name == "start-method":
        if text not in ("fork", "spawn", "forkserver"):
            raise argparse.ArgumentTypeError(f"{name}: {text!r} is not fork, spawn or forkserver")
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: {text!r} is not a whole number") from None
    low = 0 if name == "workers" else 1
    if value < low:
        raise argparse.ArgumentTypeError(f"{name}: {value} must be {low} or more")
    return value


def points(specs: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """The product of the swept lists, as option sets (a later spec of a name wins)."""
    merged: dict[str, list[Any]] = {}
    for name, values in specs:
        merged[name] = values
    names = list(merged)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*merged.values())]


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
        print(f"point {n + 1}/{len(sets)}: {_label(options)}", file=sys.stderr, flush=True)
        report = _run_in_subprocess(config, args)
        runs.append(report)
        entries.append(_entry(options, report, args.memory_budget))
    measured = [e for e in entries if e["samples_per_s"]]
    if not measured:
        parser.exit(1, "dataloader-explorer: no point of the sweep could be measured\n")
    summary = {
        "recommendation": recommend(measured, args.step_ms > 0),
        "prediction_error": prediction_error(measured),
        "skipped": skipped,
    }
    return {
        "config": {**runs[0].get("config", {}), "sweep": {k: v for k, v in args.sweep}},
        "sweep": entries,
        "sweep_predicted": extrapolate(measured),
        "runs": runs,
        "summary": summary,
    }


def _label(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items())


def _entry(options: dict[str, Any], report: dict[str, Any], budget: int | None) -> dict[str, Any]:
    s = report.get("summary", {})
    batches = report.get("batches", [])
    steady = batches[1:]  # after the first batch: start-up is measured apart
    sps = 0.0
    if len(steady) >= 2:
        span = steady[-1]["t"] - batches[0]["t"]
        sps = sum(b["samples"] for b in steady) / span if span > 0 else 0.0
    predicted = (report.get("budget") or {}).get("predicted_peak")
    limit = budget or (report.get("budget") or {}).get("available")
    peak = s.get("peak_pss_total") or s.get("peak_rss_total")
    shm_ok = True
    b = report.get("budget") or {}
    if b.get("shm_total") and b.get("shm_needed"):
        shm_ok = b["shm_needed"] <= b["shm_total"]
    return {
        **options,
        "samples_per_s": sps,
        "data_wait_fraction": s.get("data_wait_fraction"),
        "startup_s": s.get("first_batch_s"),
        "peak_pss_total": s.get("peak_pss_total"),
        "peak_rss_total": s.get("peak_rss_total"),
        "predicted_peak_pss_total": predicted,
        "within_budget": bool(peak is not None and limit and peak <= limit and shm_ok),
        "budget": limit,
        "status": s.get("status"),
    }


def _settings(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in SWEEPABLE.values() if k in entry}


def _memory(entry: dict[str, Any]) -> float:
    return float(entry.get("peak_pss_total") or entry.get("peak_rss_total") or math.inf)


def recommend(entries: list[dict[str, Any]], stepping: bool) -> dict[str, Any] | None:
    """Among points whose measured peak fits the budget: with a training step, the cheapest
    in memory that makes the loop compute-bound; else (or if none does) the cheapest whose
    throughput is within 5% of the best."""
    fitting = [e for e in entries if e["within_budget"]]
    if not fitting:
        return {
            "reason": "no measured point fits the memory budget: try fewer workers, a smaller "
            "batch size or a larger --memory-budget"
        }
    best = max(e["samples_per_s"] for e in fitting)
    chosen, why = None, ""
    if stepping:
        bound = [e for e in fitting if (e["data_wait_fraction"] or 1.0) <= 0.5]
        if bound:
            chosen = min(bound, key=_memory)
            why = (
                f"the cheapest in memory ({_mib(_memory(chosen))}) that keeps the training step "
                f"busy (the loop waits for data {chosen['data_wait_fraction']:.0%} of the time)"
            )
    if chosen is None:
        fast = [e for e in fitting if e["samples_per_s"] >= (1 - WITHIN_BEST) * best]
        chosen = min(fast, key=_memory)
        why = (
            f"the cheapest in memory ({_mib(_memory(chosen))}) within 5% of the fastest fitting "
            f"point ({chosen['samples_per_s']:,.0f} against {best:,.0f} samples/s)"
        )
    return {
        **_settings(chosen),
        "samples_per_s": chosen["samples_per_s"],
        "peak_pss_total": chosen["peak_pss_total"],
        "reason": f"{_label(_settings(chosen))}: {why}",
    }


def prediction_error(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """How far the budget's predictions were from the measured peaks (relative errors)."""
    errors = [
        abs(e["predicted_peak_pss_total"] - e["peak_pss_total"]) / e["peak_pss_total"]
        for e in entries
        if e.get("predicted_peak_pss_total") and e.get("peak_pss_total")
    ]
    return {
        "max": max(errors) if errors else None,
        "median": statistics.median(errors) if errors else None,
        "points": len(errors),
    }


def extrapolate(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Worker counts beyond those measured, up to the machine's cores (at least twice the
    largest measured), per batch size: the peak grows by what the last measured worker added,
    throughput by the measured rate per worker until the cores are all busy. Predicted, not
    measured."""
    cores = os.cpu_count() or 1
    out: list[dict[str, Any]] = []
    groups: dict[Any, list[dict[str, Any]]] = {}
    for e in entries:
        if "workers" in e:
            key = tuple((k, v) for k, v in _settings(e).items() if k != "workers")
            groups.setdefault(key, []).append(e)
    for key, group in groups.items():
        group = sorted(group, key=lambda e: e["workers"])
        if len(group) < 2 or not all(e.get("peak_pss_total") for e in group[-2:]):
            continue
        a, b = group[-2], group[-1]
        per_worker = (b["peak_pss_total"] - a["peak_pss_total"]) / max(
            1, b["workers"] - a["workers"]
        )
        per_worker = max(0.0, per_worker)
        top = max(cores, 2 * b["workers"])
        for w in range(b["workers"] + 1, top + 1):
            busy = min(w, cores) / max(1, min(b["workers"], cores))
            out.append(
                {
                    **dict(key),
                    "workers": w,
                    "predicted": True,
                    "samples_per_s": b["samples_per_s"] * busy,
                    "peak_pss_total": b["peak_pss_total"] + per_worker * (w - b["workers"]),
                }
            )
    return out


def _mib(value: float) -> str:
    return "?" if not math.isfinite(value) else f"{value / 2**20:,.0f} MiB"


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
                _mib(_memory(e)),
                _mib(float(e["predicted_peak_pss_total"] or math.inf)),
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
