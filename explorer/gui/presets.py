"""One-click lessons for talks, read from ``resources/lessons.json``: each is a few runs back
to back, and a caption that says what to watch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..resources import read_json


@dataclass(frozen=True)
class Preset:
    name: str
    caption: str
    base: dict[str, Any]
    runs: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    #: Find settings instead of runs: ``{"points": {field: [values]}, "seconds": S}``
    sweep: dict[str, Any] | None = None


SAMPLE = "sample"  # the generated sample image folder


def load_presets() -> tuple[Preset, ...]:
    return tuple(
        Preset(
            str(d["name"]),
            str(d["caption"]),
            dict(d["base"]),
            tuple(d.get("runs", ())),
            d.get("sweep"),
        )
        for d in read_json("lessons.json")["lessons"]
    )


PRESETS: tuple[Preset, ...] = load_presets()
