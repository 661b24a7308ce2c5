"""Replaying a recording: its events go through a fresh EventRelay on the GUI thread at the
pace they were recorded (or 2× or 4× faster), so every panel shows what it showed live.
Seeking replays everything up to the new moment at once (only the last preview is drawn)."""

from __future__ import annotations

import dataclasses
import time

from PySide6.QtCore import QObject, QTimer, Signal

from ...core.record.recording import Recording
from ...core.run.config import RunConfig
from ...core.run.events import has_preview
from ..run.event_relay import EventRelay

TICK_MS = 33
SPEEDS = (1.0, 2.0, 4.0)


class ReplayPlayer(QObject):
    #: A fresh relay (playback (re)started from the beginning): clear the panels, connect it.
    relayCreated = Signal(object)
    #: The replay clock, in run seconds.
    positionChanged = Signal(float)
    playingChanged = Signal(bool)

    def __init__(self, recording: Recording, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.recording = recording
        self.events = recording.events
        self.duration = recording.duration
        self.speed = 1.0
        self.relay: EventRelay | None = None
        self._next = 0  # index of the next event to feed
        self._clock = 0.0
        self._wall: float | None = None
        self._timer = QTimer(self, interval=TICK_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def position(self) -> float:
        return self._clock

    def is_playing(self) -> bool:
        return self._timer.isActive()

    def at_end(self) -> bool:
        return self._next >= len(self.events)

    def play(self) -> None:
        if self.relay is None or self.at_end():  # never played, or played to its end
            self._restart()
        self._wall = time.monotonic()
        self._timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.playingChanged.emit(False)

    def toggle(self) -> None:
        self.pause() if self.is_playing() else self.play()

    def set_speed(self, speed: float) -> None:
        self.speed = float(speed)

    def seek(self, t: float) -> None:
        """Show the run as it was at ``t`` seconds."""
        t = min(max(0.0, t), self.duration)
        if self.relay is None or t < self._clock:
            self._restart()
        end = self._next
        while end < len(self.events) and self.events[end].t <= t:
            end += 1
        last_preview = max(
            (i for i in range(self._next, end) if has_preview(self.events[i])), default=None
        )
        for i in range(self._next, end):
            event = self.events[i]
            if i != last_preview and has_preview(event):
                event = dataclasses.replace(event, preview=None)
            self._feed(event)
        self._next = end
        self._clock = t
        self._wall = time.monotonic()
        assert self.relay is not None
        self.relay.flush(t)
        self.positionChanged.emit(t)
        if self.at_end():
            self.pause()

    def stop(self) -> None:
        self.pause()
        self.relay = None

    # ----------------------------------------------------------------- playback
    def _restart(self) -> None:
        self._next = 0
        self._clock = 0.0
        self.relay = EventRelay(_config_of(self.recording), self)
        self.relayCreated.emit(self.relay)

    def _tick(self) -> None:
        now = time.monotonic()
        self._clock += (now - (self._wall or now)) * self.speed
        self._wall = now
        while self._next < len(self.events) and self.events[self._next].t <= self._clock:
            self._feed(self.events[self._next])
            self._next += 1
        self.positionChanged.emit(min(self._clock, self.duration))
        if self.at_end():
            self.pause()

    def _feed(self, event: object) -> None:
        assert self.relay is not None
        self.relay.feed(event)


def _config_of(recording: Recording) -> RunConfig:
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    options = {k: v for k, v in recording.config.items() if k in fields}
    try:
        return RunConfig(**options)
    except TypeError:
        return RunConfig()
