"""Take the README's screenshot of Find settings: a real window on a real X server.

    xvfb-run -s "-screen 0 1920x1080x24" python3 scripts/sweep_screenshot.py docs/

The window plays the "How many workers?" lesson (0, 1, 2 and 4 workers over the sample
images, batch 32 and 64, a 30 ms training step) and, when the sweep ends, saves sweep.png (the
whole window, the Find settings tab showing) and sweep-plot.png (the tab alone).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from explorer.core.datasets.sample_images import ensure_sample_folder
from explorer.gui import MainWindow
from explorer.gui.presets import PRESETS
from explorer.gui.settings import AppSettings


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="dle-shots-"))
    window = MainWindow(AppSettings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)))
    window.resize(1800, 1000)
    window.show()
    lesson = next(p for p in PRESETS if p.sweep)
    finder = window.findSettings
    points = {**lesson.sweep["points"], "batch_size": [32, 64]}
    window.controls.apply_options({**lesson.base, "folder": str(ensure_sample_folder())})
    finder.start(finder.plan_of({**lesson.sweep, "points": points}))

    def save() -> None:
        window.grab().save(str(out / "sweep.png"))
        finder.panel.grab().save(str(out / "sweep-plot.png"))
        print(finder.panel.recommendation.text())
        app.quit()

    def watch() -> None:
        if finder.result is not None:
            window.splitter.setSizes([330, 640, 830])
            QTimer.singleShot(800, save)
        else:
            QTimer.singleShot(200, watch)

    watch()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
