"""Take the README's screenshot of a traced training script: a real window on a real X server.

    xvfb-run -s "-screen 0 1920x1080x24" python3 scripts/trace_screenshot.py docs/

The window traces tests/training_scripts/train_two_loaders.py (two DataLoaders, 2 workers, a
transform chain, 6 epochs) and, when the job ends, saves trace.png (the Timeline tab: a lane
group per loader) and trace-console.png (the Console tab: the job's output and its loaders).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from explorer.gui import MainWindow
from explorer.gui.settings import AppSettings

ROOT = Path(__file__).resolve().parent.parent


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    os.environ["EPOCHS"] = "6"
    app = QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="dle-shots-"))
    window = MainWindow(AppSettings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)))
    window.resize(1800, 1000)
    window.show()
    picker = window.controls.tracePicker
    picker.commandEdit.setText("python tests/training_scripts/train_two_loaders.py")
    picker.cwdEdit.setText(str(ROOT))
    window.controls.set_source("trace")

    def shots() -> None:
        window.bottomTabs.setCurrentWidget(window.timeline)
        QTimer.singleShot(600, timeline_shot)

    def timeline_shot() -> None:
        window.grab().save(str(out / "trace.png"))
        window.bottomTabs.setCurrentWidget(window.console)
        QTimer.singleShot(600, console_shot)

    def console_shot() -> None:
        window.grab().save(str(out / "trace-console.png"))
        print("saved trace.png and trace-console.png:", window.status.message.text())
        window.close()
        app.quit()

    window.runs.runEnded.connect(lambda: QTimer.singleShot(500, shots))
    QTimer.singleShot(1500, window.start_run)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
