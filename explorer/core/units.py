"""Formatting of sizes and rates for people."""

from __future__ import annotations


def format_bytes(n: float | None) -> str:
    """Human-readable binary size: ``1.5 GiB``."""
    if n is None:
        return "n/a"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover
