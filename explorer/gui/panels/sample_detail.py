"""The larger view of one previewed sample: the picture and everything known about it."""

from __future__ import annotations

import html
import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.health.decode import DecodeError, read_header
from ...core.run.events import PreviewSample
from ..images import pixmap_from_rgb

DISPLAY_SIZE = 384


def describe_sample(s: PreviewSample) -> list[tuple[str, str]]:
    rows = [("index", str(s.index))]
    if s.class_name is not None or s.label >= 0:
        rows.append(("label", f"{s.label}" + (f" ({s.class_name})" if s.class_name else "")))
    rows.append(("worker", "main process" if s.worker < 0 else f"worker-{s.worker}"))
    if s.path:
        rows.append(("file", s.path))
    if s.caption:
        rows.append(("with", s.caption))
    size, mode = s.original_size, s.original_mode
    if size is None and s.path and os.path.isfile(s.path):  # read now, when asked
        try:
            header = read_header(s.path)
            size, mode = header.size, header.mode
        except DecodeError:
            pass
    if size:
        w, h = size
        rows.append(("original", f"{w} × {h}, mode {mode}"))
    rows += [
        ("tensor", f"shape {tuple(s.shape)}, {s.dtype}"),
        ("values", f"min {s.min:.4g}, max {s.max:.4g}, mean {s.mean:.4g}"),
    ]
    if s.error:
        rows.append(("error", s.error))
    if s.card:
        rows.append(("sample", s.card))
    return rows


class SampleDetailDialog(QDialog):
    def __init__(self, sample: PreviewSample, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleDetail")
        self.setWindowTitle(f"Sample {sample.index}")
        picture = QLabel(objectName="sampleDetailImage")
        if sample.card:
            picture.setText("no image in this sample")
        else:
            pixmap = pixmap_from_rgb(sample.image)
            picture.setPixmap(
                pixmap.scaled(
                    DISPLAY_SIZE,
                    DISPLAY_SIZE,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation,  # pixels as pixels, not blurred
                )
            )
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        table = "".join(
            f"<tr><td style='padding-right:10px'><b>{k}</b></td>"
            f"<td>{html.escape(v).replace(chr(10), '<br>')}</td></tr>"
            for k, v in describe_sample(sample)
        )
        info = QLabel(f"<table>{table}</table>", objectName="sampleDetailText")
        info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        info.setWordWrap(True)
        info.setMinimumWidth(320)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(picture)
        row.addWidget(info, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(buttons)
