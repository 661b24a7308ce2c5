"""Take the README's presentation-mode screenshots: a real window on a real X server.

    xvfb-run -s "-screen 0 1920x1080x24" python3 scripts/screenshots.py docs/

1. presentation-live.png: the sample images, lazy, 2 workers, a 25 ms training step, 30
   epochs (stopped after 9 s); full screen, high-contrast theme, text at 140 %, the Timeline
   tab showing.
2. presentation-replay.png: the same run's recording replayed, scrubbed to its middle.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QSplitter

from explorer.core.datasets.sample_images import ensure_sample_folder
from explorer.gui import MainWindow
from explorer.gui.settings import AppSettings


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="dle-shots-"))
    window = MainWindow(AppSettings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)))
    window.set_theme("high-contrast")
    window.presentation.set_scale(1.4)
    window.showFullScreen()
    window.setGeometry(app.primaryScreen().geometry())  # Xvfb has no window manager to do it
    window.findChild(QSplitter, "chartSplitter").setSizes([560, 300])
    window.controls.set_folder(str(ensure_sample_folder()))
    window.controls.set_mode("lazy")
    window.controls.workersSpin.setValue(2)
    window.controls.epochsSpin.setValue(30)
    window.controls.stepSpin.setValue(25)
    window.bottomTabs.setCurrentWidget(window.timeline)
    window.start_run()
    recording = tmp / "talk.dlxrec"

    def live_shot() -> None:
        window.grab().save(str(out / "presentation-live.png"))
        print("saved presentation-live.png:", window.status.statusThroughput.text())
        if window.runs.is_running():
            window.runs.runEnded.connect(replay)
            window.stop_run()
        else:
            replay()

    def replay() -> None:
        window.recordings.save_last_run(str(recording))
        window.open_recording(str(recording))
        QTimer.singleShot(1500, replay_shot)

    def replay_shot() -> None:
        player = window.recordings.player
        if player is not None:
            player.seek(player.duration * 0.6)
        window.bottomTabs.setCurrentWidget(window.timeline)
        QTimer.singleShot(800, finish)

    def finish() -> None:
        window.grab().save(str(out / "presentation-replay.png"))
        print("saved presentation-replay.png")
        window.close()
        app.quit()

    QTimer.singleShot(9000, live_shot)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
