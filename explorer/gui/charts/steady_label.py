"""A word-wrapped caption beside a chart whose height does not follow its text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel


class SteadyLabel(QLabel):
    """Rich text, word-wrapped, that keeps the tallest height its text (or the ``reserve``d
    sample) has needed at this width: new text, or none when a run starts, never resizes the
    chart beside it. Each such resize re-renders every axis of the chart, about 10 ms apiece
    on the GUI thread, and a run's start, when the legend and totals change, is the window's
    busiest moment."""

    def __init__(self, object_name: str) -> None:
        super().__init__(objectName=object_name)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self._sample = ""
        self._measured = 0  # the longest text measured at this width: shorter text fits

    def reserve(self, sample: str) -> None:
        """Keep room for ``sample``, typical text, before any is shown."""
        self._sample = sample
        self._fit(self.width())

    def setText(self, text: str) -> None:
        super().setText(text)
        if len(text) > self._measured and self.width() > 0:  # measuring costs ~0.5 ms
            self._measured = len(text)
            self._grow(self._height_for(text, self.width()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self._fit(event.size().width())

    def _fit(self, width: int) -> None:
        """At a new width, the room the text and the sample need there (less, if wider)."""
        if width > 0:
            self._measured = max(len(self.text()), len(self._sample))
            need = max(self._height_for(self.text(), width), self._height_for(self._sample, width))
            self.setMinimumHeight(need)

    def _grow(self, height: int) -> None:
        if height > self.minimumHeight():
            self.setMinimumHeight(height)

    def _height_for(self, text: str, width: int) -> int:
        if not text or width <= 0:
            return 0
        shown = self.text()
        if text == shown:
            return self.heightForWidth(width)
        self.blockSignals(True)
        try:  # measured as QLabel lays it out; put back before anything is painted
            super().setText(text)
            return self.heightForWidth(width)
        finally:
            super().setText(shown)
            self.blockSignals(False)
