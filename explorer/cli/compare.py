"""Comparing runs: option sets from a JSON or TOML file, and the table of what each cost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..core.units import format_bytes

COLUMNS = (
    "run",
    "options",
    "peak Σ PSS",
    "peak Σ RSS",
    "worker USS growth",
    "samples/s",
    "predicted peak",
    "status",
)


def load_option_sets(path: str) -> list[dict[str, Any]]:
    """A list of option sets; keys are the long options without dashes (``meta-bytes`` or
    ``meta_bytes``). JSON: a list of objects. TOML: ``[[run]]`` tables."""
    text = Path(path).read_text()
    data: Any
    if path.endswith(".toml"):
        try:
            import tomllib
        except ImportError:  # Python 3.10
            raise ValueError("TOML option sets need Python 3.11; use JSON") from None
        data = tomllib.loads(text).get("run")
    else:
        data = json.loads(text)
    if not isinstance(data, list) or not data or not all(isinstance(d, dict) for d in data):
        raise ValueError(f"{path} must hold a non-empty list of option sets (objects)")
    return [{k.replace("-", "_"): v for k, v in d.items()} for d in data]


def comparison_rows(
    option_sets: list[dict[str, Any]], reports: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = []
    for n, (options, report) in enumerate(zip(option_sets, reports, strict=False), 1):
        s = report["summary"]
        rows.append(
            {
                "run": n,
                "options": options,
                "peak_pss_total": s["peak_pss_total"],
                "peak_rss_total": s["peak_rss_total"],
                "peak_worker_uss_growth": s.get("peak_worker_uss_growth"),
                "samples_per_s": s["samples_per_s"],
                "predicted_peak": (s.get("budget") or {}).get("predicted_peak"),
                "status": s["status"],
            }
        )
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    cells = [COLUMNS] + [
        (
            str(r["run"]),
            " ".join(f"{k}={v}" for k, v in r["options"].items()) or "(base)",
            format_bytes(r["peak_pss_total"]),
            format_bytes(r["peak_rss_total"]),
            format_bytes(r["peak_worker_uss_growth"]),
            f"{r['samples_per_s']:,.0f}",
            format_bytes(r["predicted_peak"]),
            r["status"],
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
