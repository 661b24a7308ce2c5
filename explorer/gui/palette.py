"""Colours and theme-dependent styles shared by the window's panels."""

from __future__ import annotations

from dataclasses import dataclass

WORKER_COLORS = (
    "#4e9af1",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#ff9da7",
    "#9c755f",
    "#86bcb6",
    "#d37295",
    "#a0cbe8",
)


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


DARK = Theme(
    "dark",
    "#1b1e23",
    "#e6e6e6",
    "#23272e",
    "#8b949e",
    "#f0f0f0",
    "#8b949e",
    "#4e9af1",
    "#ff6b6b",
    "#c9b458",
)
LIGHT = Theme(
    "light",
    "#ffffff",
    "#1f2328",
    "#f3f4f6",
    "#57606a",
    "#1f2328",
    "#8c959f",
    "#0969da",
    "#cf222e",
    "#9a6700",
)
HIGH_CONTRAST = Theme(
    "high-contrast",
    "#000000",
    "#ffffff",
    "#000000",
    "#d0d0d0",
    "#ffffff",
    "#c0c0c0",
    "#ffd400",
    "#ff5050",
    "#00e5ff",
)
THEMES = {"dark": DARK, "light": LIGHT, "high-contrast": HIGH_CONTRAST}


def role_color(role: str, theme: Theme) -> str:
    if role == "main":
        return theme.main_curve
    if role.startswith("worker-"):
        try:
            return WORKER_COLORS[int(role.split("-", 1)[1]) % len(WORKER_COLORS)]
        except ValueError:
            pass
    return theme.helper_curve
