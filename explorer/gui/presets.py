"""One-click lessons for talks: each preset is a few runs back to back, and a caption that says
what to watch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Preset:
    name: str
    caption: str
    base: dict[str, Any]
    runs: tuple[dict[str, Any], ...] = field(default_factory=tuple)


SAMPLE = "sample"  # the generated sample image folder

PRESETS: tuple[Preset, ...] = (
    Preset(
        "Eager vs lazy",
        "Watch main: lazy stays flat and decodes in the workers; eager decodes every image "
        "before the first batch and holds it. Compare peak Σ PSS in the runs table.",
        {"folder": SAMPLE, "workers": 2, "epochs": 2, "batch_size": 64},
        # lazy first: runs share the window's process, and what eager frees is not all given
        # back to the OS, so a lazy run after it would look heavier than it is
        ({"mode": "lazy"}, {"mode": "eager"}),
    ),
    Preset(
        "Copy-on-read: list vs numpy",
        "Watch the workers' USS: with a list of dicts it climbs while RSS barely moves, as "
        "reference counting copies every page it touches; with numpy arrays it stays flat.",
        {
            "random": "400000:3x8x8",
            "meta_bytes": 512,
            "workers": 2,
            "epochs": 2,
            "batch_size": 256,
            "start_method": "fork",
        },
        ({"index": "list"}, {"index": "numpy"}),
    ),
    Preset(
        "Workers multiply memory?",
        "Σ RSS grows with every worker, Σ PSS far less: most of a forked worker's pages are "
        "shared with main. The runs table shows both for 0, 2 and 4 workers.",
        {"random": "20000:3x64x64", "mode": "eager", "epochs": 1, "batch_size": 64},
        ({"workers": 0}, {"workers": 2}, {"workers": 4}),
    ),
    Preset(
        "fork vs spawn",
        "fork workers share the eager dataset and start at once; spawn workers start a fresh "
        "Python, import torch and receive a copy of the dataset: slower start, more USS each.",
        {"random": "20000:3x64x64", "mode": "eager", "workers": 2, "epochs": 1, "batch_size": 128},
        ({"start_method": "fork"}, {"start_method": "spawn"}),
    ),
)
