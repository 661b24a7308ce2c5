"""Setting a QProgressBar without drawing the window there and then."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar


def set_progress(bar: QProgressBar, value: int, maximum: int, text: str | None = None) -> None:
    """``bar``'s range (from 0), value and text, drawn with the rest of the window.

    ``QProgressBar.setValue`` draws the bar at once (``repaint()``), and a repaint draws every
    widget of the window that is waiting to be drawn: a run's charts, in the middle of the
    handler that received the run's figures. With the bar's updates off, its change is only
    scheduled (``setUpdatesEnabled(True)`` asks for one update), as any other widget's is.
    """
    bar.setUpdatesEnabled(False)
    try:
        bar.setRange(0, maximum)
        bar.setValue(value)
        if text is not None:
            bar.setFormat(text)
    finally:
        bar.setUpdatesEnabled(True)
