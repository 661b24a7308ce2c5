"""Probes that need a window of their own, each run in a fresh process by the benchmark:
``python -m explorer.bench.window_probes KIND [ARGS]`` prints one JSON line.

- ``bare-startup`` / ``bare-idle SECONDS``: a bare PySide6 + pyqtgraph window (torch imported
  too for the idle memory), the baseline for ``main.py``'s own start-up and idle probes
  (``DLE_PROBE=startup`` or ``idle:SECONDS``, see ``explorer.gui.app``).
- ``responsive SECONDS``: lateness of a 5 ms QTimer heartbeat while a run streams at full
  speed with the preview and charts on.
- ``longrun BATCHES``: main-process RSS over a long run of tiny tensors.
- ``soak SECONDS``: epochs back to back; RSS, open files and threads over time.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from ..gui.probes import first_paint, idle_rss


def _print(result: dict) -> None:
    print(json.dumps(result), flush=True)


def bare_window(with_torch: bool):  # type: ignore[no-untyped-def]
    if with_torch:
        import torch  # noqa: F401
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setCentralWidget(pg.PlotWidget())
    window.resize(1500, 860)
    window.show()
    return app, window


def _window():  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ..gui import MainWindow
    from ..gui.settings import AppSettings

    app = QApplication(sys.argv[:1])
    _scratch.append(tempfile.mkdtemp(prefix="dle-bench-"))
    ini = os.path.join(_scratch[-1], "settings.ini")
    window = MainWindow(AppSettings(QSettings(ini, QSettings.Format.IniFormat)))
    window.resize(1500, 860)
    window.show()
    return app, window


def _wait(app, condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the benchmark's window did not get there in time")
        app.processEvents()
        time.sleep(0.002)


def _set_random(window, spec: str, workers: int, epochs: int = 1) -> None:  # type: ignore[no-untyped-def]
    window.controls.apply_options(
        {"random": spec, "mode": "lazy", "workers": workers, "epochs": epochs, "batch_size": 64,
         "step_ms": 0}
    )  # fmt: skip


def responsive(seconds: float) -> dict:
    from PySide6.QtCore import QTimer

    app, window = _window()
    _set_random(window, "4000000:8", workers=2, epochs=50)
    window.start_run()
    _wait(app, lambda: window.batchPreview.thumbnail_count() > 0, 60)
    late: list[float] = []
    last = [time.monotonic()]

    def beat() -> None:
        now = time.monotonic()
        late.append(max(0.0, now - last[0] - 0.005))
        last[0] = now

    heartbeat = QTimer(interval=5)
    heartbeat.timeout.connect(beat)
    last[0] = time.monotonic()
    heartbeat.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.0005)
    heartbeat.stop()
    batches = window._worker.counts["batches"] if window._worker else 0
    window.close()
    late.sort()
    return {
        "beats": len(late),
        "p50_ms": statistics.median(late) * 1000,
        "p99_ms": late[int(0.99 * (len(late) - 1))] * 1000,
        "max_ms": late[-1] * 1000,
        "batches_per_s": batches / seconds,
    }


def longrun(batches: int) -> dict:
    import psutil

    app, window = _window()
    _set_random(window, f"{batches * 64}:8", workers=0)
    me = psutil.Process()
    window.start_run()
    t0 = time.monotonic()
    samples: list[tuple[float, int, int]] = []
    next_at = 0.0
    while window.runs.is_running():
        app.processEvents()
        time.sleep(0.002)
        now = time.monotonic() - t0
        if now >= next_at:
            done = window._worker.counts["batches"] if window._worker else 0
            samples.append((now, done, me.memory_info().rss))
            next_at = now + 1.0
    wall = time.monotonic() - t0
    after = me.memory_info().rss  # the run over, its dataset freed
    # The reference: RSS once the first minute (or, in a shorter run, its first third) is
    # over; against it, the last reading while the run was still going.
    # Only readings with batches still to come: the run's thread ends a moment after its
    # dataset is freed, and a last reading that fell between the two once read 339 MB where
    # the run had held 850 MB throughout (a growth of -487 MiB).
    running = [s for s in samples if s[1] < batches] or samples
    ref_t = min(60.0, wall / 3)
    ref = next(s for s in running if s[0] >= ref_t)
    window.close()
    return {
        "batches": batches,
        "wall_s": wall,
        "reference_t": ref[0],
        "rss_reference": ref[2],
        "rss_end": running[-1][2],
        "rss_after_run": after,
        "growth_bytes": running[-1][2] - ref[2],
        "status": window.last_finished.status if window.last_finished else "?",
    }


def soak(seconds: float) -> dict:
    import psutil

    app, window = _window()
    _set_random(window, "60000:3x32x32", workers=2)
    me = psutil.Process()
    t0 = time.monotonic()
    runs = 0
    samples = []
    next_at = 0.0
    while time.monotonic() - t0 < seconds:
        if not window.runs.is_running():
            window.start_run()
            runs += 1
        app.processEvents()
        time.sleep(0.005)
        now = time.monotonic() - t0
        if now >= next_at:
            samples.append((now, me.memory_info().rss, me.num_fds(), me.num_threads()))
            next_at = now + 1.0
    window.stop_run()
    _wait(app, lambda: not window.runs.is_running(), 10)
    for _ in range(50):
        app.processEvents()
    end = (time.monotonic() - t0, me.memory_info().rss, me.num_fds(), me.num_threads())
    window.close()
    ref_t = min(60.0, seconds / 3)
    ref = next(s for s in samples if s[0] >= ref_t)
    return {
        "seconds": seconds,
        "runs": runs,
        "reference_t": ref[0],
        "rss_reference": ref[1],
        "rss_end": end[1],
        "rss_growth_pct": (end[1] - ref[1]) / ref[1] * 100,
        "rss_max": max(s[1] for s in samples),
        "fds_reference": ref[2],
        "fds_end": end[2],
        "threads_reference": ref[3],
        "threads_end": end[3],
        "threads_max": max(s[3] for s in samples),
    }


_scratch: list[str] = []  # the probe window's settings folder


def _exit() -> None:
    """``os._exit`` (no slow teardown of Qt and torch), the probe's settings folder removed."""
    for folder in _scratch:
        shutil.rmtree(folder, ignore_errors=True)
    os._exit(0)


def main(argv: list[str]) -> None:
    kind = argv[0]
    if kind == "bare-startup":
        app, window = bare_window(with_torch=False)
        _print({"first_paint_s": first_paint(app, window)})
        _exit()
    if kind in ("bare-idle", "bare-idle-after-loader"):
        app, window = bare_window(with_torch=True)
        first_paint(app, window)
        if kind == "bare-idle-after-loader":  # the app's probe run, in a bare loop
            from torch.utils.data import DataLoader

            from ..core.datasets.dataset_factory import build_dataset
            from ..core.run.config import RunConfig
            from ..gui.probes import IDLE_AFTER_RUN

            config = RunConfig(**IDLE_AFTER_RUN).validate()
            built = build_dataset(config)
            loader = DataLoader(
                built.dataset,
                batch_size=config.batch_size,
                shuffle=config.shuffle,
                collate_fn=built.collate(),
            )
            for _ in range(config.epochs):  # not explorer.bench.loading: it imports the engine
                for _ in loader:
                    pass
            del loader
        _print({"rss": idle_rss(app, float(argv[1]))})
        _exit()
    if kind == "responsive":
        _print(responsive(float(argv[1])))
    elif kind == "longrun":
        _print(longrun(int(argv[1])))
    elif kind == "soak":
        _print(soak(float(argv[1])))
    else:
        raise SystemExit(f"unknown probe {kind}")
    _exit()


if __name__ == "__main__":
    main(sys.argv[1:])
