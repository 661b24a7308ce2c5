"""Colours and theme-dependent styles shared by the window's panels, read from
``resources/themes.json``."""

from __future__ import annotations

from dataclasses import dataclass

from ..resources import read_json


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    foreground: str
    panel: str
    muted: str
    main_curve: str
    helper_curve: str
    accent: str
    error: str
    marker: str
    total_pss: str  # the Σ PSS curve: a colour no process curve has


_DATA = read_json("themes.json")
WORKER_COLORS: tuple[str, ...] = tuple(_DATA["worker_colors"])
THEMES: dict[str, Theme] = {
    name: Theme(name=name, **colors) for name, colors in _DATA["themes"].items()
}
DARK, LIGHT, HIGH_CONTRAST = THEMES["dark"], THEMES["light"], THEMES["high-contrast"]


def role_color(role: str, theme: Theme) -> str:
    if role == "main":
        return theme.main_curve
    if role.startswith("worker-"):
        try:
            return WORKER_COLORS[int(role.split("-", 1)[1]) % len(WORKER_COLORS)]
        except ValueError:
            pass
    return theme.helper_curve
