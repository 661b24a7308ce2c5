"""Measured advice: the points of a settings sweep, each point's entry from its run's report,
the recommendation, how far the memory budget's predictions were from the measured peaks, and
the predicted points beyond those measured. The headless ``--sweep`` and the window's "Find
settings" both use it; neither runs anything here."""

from __future__ import annotations

import itertools
import math
import os
import statistics
from typing import Any

#: What may be swept: option name (as on the command line) -> RunConfig field.
SWEEPABLE = {
    "workers": "workers",
    "batch-size": "batch_size",
    "prefetch-factor": "prefetch_factor",
    "persistent-workers": "persistent_workers",
    "start-method": "start_method",
    "pin-memory": "pin_memory",
}
WITHIN_BEST = 0.05  # "as fast": within 5% of the best throughput
_BOOL = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def parse_values(name: str, text: str) -> list[Any]:
    """``V1,V2,...`` for option ``name`` (a key of SWEEPABLE) as values; ValueError with one
    clear sentence when they are not."""
    items = [v.strip() for v in text.split(",") if v.strip()]
    if not items:
        raise ValueError(f"{name}: give at least one value, e.g. {name}=0,2")
    return [parse_value(name, v) for v in items]


def parse_value(name: str, text: str) -> Any:
    if name in ("persistent-workers", "pin-memory"):
        if text.lower() not in _BOOL:
            raise ValueError(f"{name}: {text!r} is not true or false")
        return _BOOL[text.lower()]
    if name == "start-method":
        if text not in ("fork", "spawn", "forkserver"):
            raise ValueError(f"{name}: {text!r} is not fork, spawn or forkserver")
        return text
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a whole number") from None
    low = 0 if name == "workers" else 1
    if value < low:
        raise ValueError(f"{name}: {value} must be {low} or more")
    return value


def points(specs: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """The product of the swept lists (RunConfig field, values), as option sets (a later spec
    of a name wins)."""
    merged: dict[str, list[Any]] = {}
    for name, values in specs:
        merged[name] = values
    names = list(merged)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*merged.values())]


def label(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items())


def point_entry(
    options: dict[str, Any], report: dict[str, Any], budget: int | None
) -> dict[str, Any]:
    """One measured point: its settings, throughput after start-up, wait fraction, start-up,
    peaks beside the predicted peak, and whether it fits ``budget`` (else what was
    available, /dev/shm included)."""
    s = report.get("summary", {})
    b = report.get("budget") or {}
    limit = budget or b.get("available")
    peak = s.get("peak_pss_total") or s.get("peak_rss_total")
    shm_ok = not (b.get("shm_total") and b.get("shm_needed")) or b["shm_needed"] <= b["shm_total"]
    return {
        **options,
        "samples_per_s": s.get("steady_samples_per_s") or 0.0,
        "data_wait_fraction": s.get("data_wait_fraction"),
        "startup_s": s.get("first_batch_s"),
        "peak_pss_total": s.get("peak_pss_total"),
        "peak_rss_total": s.get("peak_rss_total"),
        "predicted_peak_pss_total": b.get("predicted_peak"),
        "within_budget": bool(peak is not None and limit and peak <= limit and shm_ok),
        "budget": limit,
        "status": s.get("status"),
    }


def sweep_result(entries: list[dict[str, Any]], stepping: bool) -> dict[str, Any]:
    """The report's ``sweep`` (measured), ``sweep_predicted`` and ``summary`` (the
    recommendation and the budget model's error) from the measured ``entries``."""
    measured = [e for e in entries if e["samples_per_s"]]
    return {
        "sweep": entries,
        "sweep_predicted": extrapolate(measured),
        "summary": {
            "recommendation": recommend(measured, stepping) if measured else None,
            "prediction_error": prediction_error(measured),
        },
    }


def settings_of(entry: dict[str, Any]) -> dict[str, Any]:
    """The swept settings of an entry, under RunConfig's field names."""
    return {k: entry[k] for k in SWEEPABLE.values() if k in entry}


def memory_of(entry: dict[str, Any]) -> float:
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
            chosen = min(bound, key=memory_of)
            why = (
                f"the cheapest in memory ({format_mib(memory_of(chosen))}) that keeps the "
                f"training step busy (the loop waits for data "
                f"{chosen['data_wait_fraction']:.0%} of the time)"
            )
    if chosen is None:
        fast = [e for e in fitting if e["samples_per_s"] >= (1 - WITHIN_BEST) * best]
        chosen = min(fast, key=memory_of)
        why = (
            f"the cheapest in memory ({format_mib(memory_of(chosen))}) within 5% of the "
            f"fastest fitting point ({chosen['samples_per_s']:,.0f} against {best:,.0f} samples/s)"
        )
    return {
        **settings_of(chosen),
        "samples_per_s": chosen["samples_per_s"],
        "peak_pss_total": chosen["peak_pss_total"],
        "reason": f"{label(settings_of(chosen))}: {why}",
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
            key = tuple((k, v) for k, v in settings_of(e).items() if k != "workers")
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


def format_mib(value: float) -> str:
    return "?" if not math.isfinite(value) else f"{value / 2**20:,.0f} MiB"
