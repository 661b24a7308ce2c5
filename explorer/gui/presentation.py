"""Presentation: full screen (F11), text scaled for the whole window (Ctrl+= / Ctrl+- /
Ctrl+0), so a talk can be read from the back of the room."""

from __future__ import annotations

from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu

from .settings import AppSettings

MIN_SCALE, MAX_SCALE, STEP = 0.6, 3.0, 1.15


class Presentation:
    def __init__(self, window: QMainWindow, settings: AppSettings, menu: QMenu) -> None:
        self.window = window
        self.settings = settings
        app = QApplication.instance()
        self.base_point_size = app.font().pointSizeF() if app is not None else 10.0
        self.scale = 1.0
        actions = [
            ("&Full screen", ("F11",), self.toggle_full_screen),
            ("&Bigger text", ("Ctrl+=", "Ctrl++"), lambda: self.set_scale(self.scale * STEP)),
            ("&Smaller text", ("Ctrl+-",), lambda: self.set_scale(self.scale / STEP)),
            ("&Normal text", ("Ctrl+0",), lambda: self.set_scale(1.0)),
        ]
        menu.addSeparator()
        for text, keys, slot in actions:
            action = QAction(text, window)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.triggered.connect(slot)
            menu.addAction(action)
            window.addAction(action)  # shortcuts work in full screen, with no menu bar
        self.set_scale(float(settings.get("font_scale")))

    def toggle_full_screen(self) -> None:
        if self.window.isFullScreen():
            self.window.showNormal()
        else:
            self.window.showFullScreen()

    def set_scale(self, scale: float) -> None:
        self.scale = min(MAX_SCALE, max(MIN_SCALE, scale))
        font = QFont(self.window.font())
        font.setPointSizeF(self.base_point_size * self.scale)
        self.window.setFont(font)  # every child inherits it
        scroll = getattr(self.window, "controlsScroll", None)
        if scroll is not None:  # the controls column grows with its text
            scroll.setMinimumWidth(scroll.widget().sizeHint().width() + 16)
        for name in ("chart", "timeline", "throughput"):
            chart = getattr(self.window, name, None)
            if chart is not None:  # the charts' axes and captions are drawn, not widgets
                chart.set_font_scale(self.scale)
        self.settings.set("font_scale", self.scale)
