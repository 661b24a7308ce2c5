"""Captioned vertical lines at a run's events (workers started, an epoch), made once and
reused: a new run hides the last run's lines and moves them to its own events.

A line with a caption is a dozen graphics objects. Made at the run's start, where the
workers just forked still share every page the window writes to, one marker took 11 ms of
the GUI thread and an epoch line 20 ms (a 2.7 GB eager run, 2 cores); taking a line out of
the plot, 0.37 ms more each at the next run's start (131 ``removeItem`` calls, 49 ms, in a
profiled launch of the moments probe). At most ``MAX_KEPT`` hidden lines are kept.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QPen

MAX_KEPT = 16  # hidden lines kept past a run with many events (one per epoch, say)


class MarkerLines:
    """The lines shown (``shown``, in the order added) and hidden ones kept for reuse."""

    def __init__(self, plot: pg.PlotWidget, label_opts: dict[str, Any], spare: int) -> None:
        self._plot = plot
        self._label_opts = label_opts
        self.shown: list[pg.InfiniteLine] = []
        self._spare: list[pg.InfiniteLine] = []
        self.prepare(spare)

    def prepare(self, spare: int) -> None:
        """Have at least ``spare`` hidden lines ready (made now, not at a run's start)."""
        while len(self._spare) < spare:
            line = self._new(0.0, "", QPen(), QColor())
            line.setVisible(False)
            self._spare.append(line)

    def add(
        self, t: float, text: str, pen: QPen, color: QColor | str, font: QFont | None = None
    ) -> pg.InfiniteLine:
        """A line at ``t`` captioned ``text``: a hidden one moved here, or a new one."""
        if self._spare:
            line = self._spare.pop()
            line.setVisible(True)
            line.label.setVisible(True)  # first: a hidden caption does not take a new text
            line.setValue(t)
            line.setPen(pen)
            line.label.setFormat(text)
            line.label.setColor(color)
            line.label.setPosition(self._label_opts["position"])
        else:
            line = self._new(t, text, pen, color)
        if font is not None:
            line.label.setFont(font)
        self.shown.append(line)
        return line

    def clear(self) -> None:
        """Hide every shown line, for the next run's events."""
        for line in self.shown:
            line.setVisible(False)
        self._spare += self.shown
        self.shown = []
        while len(self._spare) > MAX_KEPT:
            self._plot.removeItem(self._spare.pop())

    def _new(self, t: float, text: str, pen: QPen, color: QColor | str) -> pg.InfiniteLine:
        line = pg.InfiniteLine(
            pos=t,
            angle=90,
            movable=False,
            pen=pen,
            label=text,
            labelOpts={**self._label_opts, "color": color},
        )
        self._plot.addItem(line, ignoreBounds=True)
        return line
