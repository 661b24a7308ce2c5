"""Garbage collection on the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed: with the engine allocating on its own thread, that is usually the engine's. A
collection there that frees a Qt widget (any widget caught in a reference cycle) destroys it
off the GUI thread, which Qt forbids, and it deadlocks on the GIL (seen here:
``QObject::~QObject`` on the engine thread). So automatic collection is turned off and a
timer on the GUI thread collects instead, as qutebrowser does.
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

INTERVAL_MS = 250
#: Full collections take 100 ms or more on a heap with torch loaded, a stall the window
#: would show: the oldest generation is collected ten times less often than Python's own
#: threshold would (young garbage, where closed widgets land, goes with generations 0 and 1).
OLDEST_FACTOR = 10

#: More new containers than this since the last tick, while a run's dataset is being built,
#: is a burst: the engine building it (the Copy-on-read lesson's list index makes 800,000
#: dicts and lists in 2 s). What a burst makes lives as long as the run, and walking it
#: gains nothing: in a model of this collector beside that build, young collections of it
#: took 21-26 ms each and a middle-generation one 253-369 ms. So a burst is moved out of the
#: collector's sight (``gc.freeze``, constant time): a heartbeat thread then came 10-15 ms
#: late at most. Reference counting still frees it when the
#: run ends, cycles excepted: young garbage caught in a cycle during a build stays. At any
#: other time a burst is collected as usual.
BURST = 20_000


class GuiThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._timer = QTimer(self, interval=INTERVAL_MS)
        self._timer.timeout.connect(self._collect)
        self._held = False
        self._building = False
        gc.disable()
        self._timer.start()

    def hold(self, held: bool) -> None:
        """Collect nothing until ``hold(False)``: the window holds collections while the
        engine forks its workers. A young generation's collection that began as a fork began
        ended 31 ms later (8 ms of its own CPU), and it writes to every object it visits, on
        pages the new worker still shares (each written page then gets copied)."""
        self._held = held

    def set_building(self, building: bool) -> None:
        """While the engine builds a run's dataset, a burst is frozen (see ``BURST``); at
        any other time, a burst (a busy window's cyclic garbage, say) is collected."""
        self._building = building

    def _collect(self) -> None:
        """Collect a generation only when its count passes its threshold, as Python would;
        freeze a burst instead (see ``BURST``)."""
        if _paused.is_set() or self._held:
            return
        t0, t1, t2 = gc.get_threshold()
        if self._building and gc.get_count()[0] > BURST:
            gc.freeze()
        elif gc.get_count()[0] > t0:
            gc.collect(0)
            if gc.get_count()[1] > t1:
                gc.collect(1)
                if gc.get_count()[2] > t2 * OLDEST_FACTOR:
                    gc.collect(2)


_frozen = False
#: Set while torch loads on the warm-up thread: it allocates a million long-lived objects in a
#: second, and collecting young generations that size took 80-120 ms on the GUI thread, for
#: nothing (``freeze_long_lived_once`` then puts them out of the collector's sight).
_paused = threading.Event()


def pause_collections() -> None:
    _paused.set()


def resume_collections() -> None:
    _paused.clear()


def freeze_long_lived_once() -> None:
    """Move everything alive now out of the collector's sight (``gc.freeze``), once per
    process. Called when torch has just been imported: modules and torch's own objects,
    most of the heap and all long-lived. The full collections above then walk only what was
    made since (before this, one took 0.4 s in a 15 s benchmark run; after, the longest
    pause measured was 35 ms)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def install_gui_thread_gc() -> GuiThreadGarbageCollector | None:
    """Install once per application (idempotent); returns the collector."""
    app = QApplication.instance()
    if app is None:
        return None
    existing = app.findChild(GuiThreadGarbageCollector)
    return existing or GuiThreadGarbageCollector(app)
