"""The batch preview: thumbnails of the current batch as the model receives it (after resize),
captioned with index, label or file name, and worker. Clicking one opens its detail view.

The engine sends a preview a few times a second at most; each replaces the last.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from ...core.run.events import BatchDone, PreviewSample
from ..images import pixmap_from_rgb
from .sample_detail import SampleDetailDialog

TILE = 96
TILE_WIDTH = TILE + 30  # with margins and caption
CARD_STYLE = "font-size: 7pt; font-family: monospace; border: 1px solid gray; padding: 2px;"
#: Tiles made per turn of the event loop by ``prepare`` (about 0.6 ms each here).
PREPARE_CHUNK = 4


class ThumbnailTile(QWidget):
    clicked = Signal(object)  # PreviewSample

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sample: PreviewSample | None = None
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedSize(QSize(TILE, TILE))
        self.picture.setWordWrap(True)
        self.caption = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(False)
        self.caption.setMaximumWidth(TILE + 24)
        self.caption.setStyleSheet("font-size: 9pt;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.caption)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def show_sample(self, sample: PreviewSample) -> None:
        self.sample = sample
        if sample.card:  # nothing image-like: its structure, in small type
            self.picture.setPixmap(QPixmap())
            self.picture.setText(sample.card)
            self.picture.setStyleSheet(CARD_STYLE)
        else:
            self.picture.setStyleSheet("")
            self.picture.setPixmap(
                pixmap_from_rgb(sample.thumbnail).scaled(
                    TILE,
                    TILE,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation,
                )
            )
        self.caption.setText(caption(sample))
        self.setToolTip(f"{sample.path or f'sample {sample.index}'}\nclick for details")
        self.setVisible(True)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.sample is not None:
            self.clicked.emit(self.sample)


def caption(s: PreviewSample) -> str:
    if s.error:
        what = "failed"
    elif s.caption:
        what = s.caption
    elif s.class_name:
        what = s.class_name
    elif s.path:
        what = os.path.basename(s.path)
    elif s.label >= 0:
        what = f"label {s.label}"
    else:
        what = ""
    who = "main" if s.worker < 0 else f"w{s.worker}"
    name = what if len(what) <= 14 else what[:13] + "…"
    return f"#{s.index} · {who}" + (f"\n{name}" if name else "")


class BatchPreview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("batchPreview")
        self.title = QLabel("Batch preview", objectName="previewTitle")
        self.title.setToolTip("Two batches a second are shown, exactly as the model gets them.")
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setSpacing(4)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._tiles: list[ThumbnailTile] = []
        self.empty = QLabel(
            "Press Run to see batches here.", alignment=Qt.AlignmentFlag.AlignCenter
        )
        self.empty.setObjectName("previewEmpty")
        self._columns = 3
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._grid_host)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setMinimumWidth(2 * TILE_WIDTH + 24)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.empty)
        layout.addWidget(scroll, 1)
        self._dialog: SampleDetailDialog | None = None

    def thumbnail_count(self) -> int:
        """How many thumbnails are showing."""
        return sum(1 for t in self._tiles if t.sample is not None and not t.isHidden())

    def samples(self) -> list[PreviewSample]:
        return [t.sample for t in self._tiles if t.sample is not None and not t.isHidden()]

    def prepare(self, count: int) -> None:
        """Make up to ``count`` tiles ahead, hidden, a few per turn of the event loop; none
        once there are as many, so calling it again costs nothing. The first batch's preview
        otherwise makes them all at once, in the first run's busiest moment (16 tiles: 15 ms
        of the GUI thread for the first preview, 7 ms once made ahead)."""
        for _ in range(min(PREPARE_CHUNK, count - len(self._tiles))):
            self._add_tile().setVisible(False)
        if len(self._tiles) < count:
            QTimer.singleShot(0, self, lambda: self.prepare(count))

    def _add_tile(self) -> ThumbnailTile:
        tile = ThumbnailTile()
        tile.clicked.connect(self.open_detail)
        n = len(self._tiles)
        self._grid.addWidget(tile, n // self._columns, n % self._columns)
        self._tiles.append(tile)
        return tile

    def show_batch(self, batch: BatchDone) -> None:
        samples = batch.preview or ()
        while len(self._tiles) < len(samples):
            self._add_tile()
        for tile, sample in zip(self._tiles, samples, strict=False):
            tile.show_sample(sample)
        for tile in self._tiles[len(samples) :]:
            tile.sample = None
            tile.setVisible(False)
        worker = "main process" if batch.worker is None else f"worker {batch.worker}"
        self.title.setText(
            f"Batch {batch.index} · epoch {batch.epoch + 1} · {batch.samples} samples · {worker}"
        )
        self.empty.setVisible(False)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        columns = max(1, (event.size().width() - 16) // TILE_WIDTH)
        if columns != self._columns:
            self._columns = columns
            for n, tile in enumerate(self._tiles):
                self._grid.addWidget(tile, n // columns, n % columns)

    def clear(self) -> None:
        for tile in self._tiles:
            tile.sample = None
            tile.setVisible(False)
        self.title.setText("Batch preview")
        self.empty.setVisible(True)

    def open_detail(self, sample: PreviewSample) -> SampleDetailDialog:
        if self._dialog is not None:
            self._dialog.close()
        self._dialog = SampleDetailDialog(sample, self)
        self._dialog.show()
        return self._dialog
