"""The Qt binding carries Python objects through signals without corrupting reference counts.

PySide6 6.12.0 does not: every ``Signal(object)`` emit drops a reference to a shared object
(None, True...) until Python aborts with "deallocating None". The window sends every event that
way, so this is checked in a subprocess (the crash would take pytest down with it).
"""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os, sys, threading
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

    class Receiver(QObject):
        n = 0
        @Slot(object)
        def on(self, event):
            self.n += 1

    class Sender(QObject):
        sig = Signal(object)

    app = QCoreApplication([])
    sender, receiver = Sender(), Receiver()
    sender.sig.connect(receiver.on)
    before = sys.getrefcount(None)
    thread = threading.Thread(target=lambda: [sender.sig.emit((i, None)) for i in range(30000)])
    thread.start()
    thread.join()
    QTimer.singleShot(0, app.quit)
    app.exec()
    print(receiver.n, sys.getrefcount(None) - before)
    """
)


def test_signals_carrying_objects_keep_reference_counts():
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    received, none_delta = map(int, proc.stdout.split())
    assert received == 30000
    assert abs(none_delta) < 1000, f"None lost {-none_delta} references"
