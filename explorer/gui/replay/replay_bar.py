"""The bar that controls a replay: play/pause, speed (1×, 2×, 4×), a scrubber and the time.
Shown only while a recording is open."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from .replay_player import SPEEDS, ReplayPlayer

STEPS = 1000  # slider resolution


class ReplayBar(QFrame):
    closeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replayBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.player: ReplayPlayer | None = None
        self.titleLabel = QLabel(objectName="replayTitle")
        self.playButton = QPushButton("Play", objectName="replayPlay")
        self.playButton.setToolTip("Play or pause the recording (Space)")
        self.speedCombo = QComboBox(objectName="replaySpeed")
        for speed in SPEEDS:
            self.speedCombo.addItem(f"{speed:g}×", speed)
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="replaySlider")
        self.slider.setRange(0, STEPS)
        self.slider.setToolTip("Drag to any moment of the recorded run")
        self.timeLabel = QLabel(objectName="replayTime")
        self.closeButton = QPushButton("Close recording", objectName="replayClose")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.titleLabel)
        layout.addWidget(self.playButton)
        layout.addWidget(self.speedCombo)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.timeLabel)
        layout.addWidget(self.closeButton)
        self.playButton.clicked.connect(lambda: self.player and self.player.toggle())
        self.speedCombo.currentIndexChanged.connect(self._speed_changed)
        self.slider.sliderMoved.connect(self._scrubbed)
        self.slider.actionTriggered.connect(self._slider_action)
        self.closeButton.clicked.connect(self.closeRequested)
        self.hide()

    def attach(self, player: ReplayPlayer) -> None:
        self.player = player
        player.positionChanged.connect(self._show_position)
        player.playingChanged.connect(self._show_playing)
        player.set_speed(self.speedCombo.currentData())
        self.titleLabel.setText(f"Replaying {Path(player.recording.path).name}")
        self._show_position(0.0)
        self._show_playing(False)
        self.show()

    def detach(self) -> None:
        self.player = None
        self.hide()

    def _speed_changed(self) -> None:
        if self.player is not None:
            self.player.set_speed(self.speedCombo.currentData())

    def _scrubbed(self, value: int) -> None:
        if self.player is not None:
            self.player.seek(value / STEPS * self.player.duration)

    def _slider_action(self, _action: int) -> None:
        if not self.slider.isSliderDown():  # a click on the groove or a key: jump there
            self._scrubbed(self.slider.sliderPosition())

    def _show_position(self, t: float) -> None:
        if self.player is None:
            return
        duration = self.player.duration
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setValue(round(t / duration * STEPS) if duration > 0 else 0)
            self.slider.blockSignals(False)
        self.timeLabel.setText(f"{t:5.1f} / {duration:.1f} s")

    def _show_playing(self, playing: bool) -> None:
        self.playButton.setText("Pause" if playing else "Play")
