"""Render the app's SVG icon into the PNG sizes a desktop asks for, beside it in
resources/icons/hicolor/ (NxN/apps/dataloader-explorer.png). Run again after editing the SVG:

    QT_QPA_PLATFORM=offscreen python3 scripts/make_icons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons" / "hicolor"
SIZES = (16, 32, 48, 64, 128, 256)


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "scalable" / "apps" / "dataloader-explorer.svg"))
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = ICONS / f"{size}x{size}" / "apps" / "dataloader-explorer.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(out))
    print(f"wrote {len(SIZES)} PNGs to {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
