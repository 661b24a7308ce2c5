"""numpy → Qt images, on the GUI thread only (Qt does not support painting pixmaps elsewhere)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def pixmap_from_rgb(rgb: np.ndarray) -> QPixmap:
    """An HxWx3 uint8 array as a QPixmap (the pixels are copied, the array may go)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())
