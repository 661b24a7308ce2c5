"""A progress bar for the headless run, on stderr: redrawn in place on a terminal, a line every
few seconds otherwise (logs, CI)."""

from __future__ import annotations

import time
from typing import Any, TextIO

from ..core.run.events import BatchDone, DatasetProgress, DatasetReady, EpochStarted, RunFinished
from ..core.units import format_bytes

BAR_WIDTH = 28


class ProgressPrinter:
    def __init__(self, stream: TextIO, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty()
        self.min_interval = 0.1 if self.tty else 2.0
        self.last = 0.0
        self.epoch = 0
        self.epoch_batches: int | None = None
        self.done_in_epoch = 0
        self.samples = 0
        self.t_first: float | None = None
        self.t_last = 0.0
        self.dirty = False

    def __call__(self, event: object) -> None:
        if not self.enabled:
            return
        if isinstance(event, DatasetProgress):
            self._show(
                f"preparing dataset {event.done}/{event.total} ({event.rate:.0f}/s)",
                final=event.done == event.total,
            )
        elif isinstance(event, DatasetReady):
            info = event.info
            self._line(
                f"dataset ready: {'a stream of' if info.items is None else info.items} items, "
                f"{len(info.skipped)} skipped, "
                f"{info.init_s:.2f} s"
            )
        elif isinstance(event, EpochStarted):
            self.epoch, self.epoch_batches, self.done_in_epoch = event.epoch, event.batches, 0
        elif isinstance(event, BatchDone):
            self.done_in_epoch += 1
            self.samples += event.samples
            self.t_first = event.t if self.t_first is None else self.t_first
            self.t_last = event.t
            total = self.epoch_batches or 0
            frac = self.done_in_epoch / total if total else 0.0
            bar = "#" * int(frac * BAR_WIDTH)
            rate = self.samples / (self.t_last - self.t_first) if self.t_last > self.t_first else 0
            self._show(
                f"epoch {self.epoch + 1} [{bar:<{BAR_WIDTH}}] "
                f"{self.done_in_epoch}/{total} batches  {rate:,.0f} samples/s",
                final=self.done_in_epoch == total,
            )
        elif isinstance(event, RunFinished):
            self.close()

    def _show(self, text: str, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < self.min_interval:
            return
        self.last = now
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
            self.dirty = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _line(self, text: str) -> None:
        self.close()
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.dirty:
            self.stream.write("\n")
            self.stream.flush()
            self.dirty = False

    @staticmethod
    def summary(s: dict[str, Any]) -> str:
        text = (
            f"{s['status']}: {s['batches']} batches, {s['samples']} samples in {s['wall_s']:.2f} s "
            f"({s['samples_per_s']:,.0f} samples/s); peak RSS total "
            f"{format_bytes(s['peak_rss_total'])}, "
            f"peak PSS total {format_bytes(s['peak_pss_total'])}"
            + (
                f"; peak worker USS growth {format_bytes(s['peak_worker_uss_growth'])}"
                if s.get("peak_worker_uss_growth") is not None
                else ""
            )
        )
        return f"{text}\n{s['verdict']}" if s.get("verdict") else text
