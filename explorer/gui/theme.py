"""Applying the dark or light theme to the whole application, and the app's icon."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from ..resources import resource_file
from .palette import THEMES, Theme

ICONS = "icons/hicolor"  # under resources/, laid out as a desktop's icon theme
ICON_SIZES = (16, 32, 48, 64, 128, 256)


def app_icon() -> QIcon:
    icon = QIcon()
    for n in ICON_SIZES:  # crisp at the sizes a desktop asks for
        icon.addFile(
            str(resource_file(f"{ICONS}/{n}x{n}/apps/dataloader-explorer.png")), QSize(n, n)
        )
    icon.addFile(str(resource_file(f"{ICONS}/scalable/apps/dataloader-explorer.svg")))
    return icon


def apply_theme(app: QApplication, name: str) -> Theme:
    theme = THEMES.get(name, THEMES["dark"])
    app.setStyle("Fusion")
    p = QPalette()
    bg, fg, panel = QColor(theme.background), QColor(theme.foreground), QColor(theme.panel)
    for role, color in (
        (QPalette.ColorRole.Window, panel),
        (QPalette.ColorRole.WindowText, fg),
        (QPalette.ColorRole.Base, bg),
        (QPalette.ColorRole.AlternateBase, panel),
        (QPalette.ColorRole.Text, fg),
        (QPalette.ColorRole.Button, panel),
        (QPalette.ColorRole.ButtonText, fg),
        (QPalette.ColorRole.ToolTipBase, panel),
        (QPalette.ColorRole.ToolTipText, fg),
        (QPalette.ColorRole.Highlight, QColor(theme.accent)),
        (QPalette.ColorRole.HighlightedText, QColor("#ffffff")),
        (QPalette.ColorRole.PlaceholderText, QColor(theme.muted)),
    ):
        p.setColor(role, color)
    muted = QColor(theme.muted)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, muted)
    app.setPalette(p)
    return theme
