"""The worker timeline's data: one bar per batch, in plain numbers (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ...core.run.events import BatchDone

MAIN_LANE = -1  # batches the main process loads itself (num_workers=0)


@dataclass(frozen=True)
class TimelineBar:
    index: int
    epoch: int
    lane: int  # the worker that produced it, or MAIN_LANE
    fetch_start: float  # run seconds
    fetch_end: float
    wait_start: float  # when the main loop began waiting for it
    wait_end: float  # when it arrived
    samples: int
    decode_s: float

    def describe(self) -> str:
        who = "the main process" if self.lane == MAIN_LANE else f"worker {self.lane}"
        fetch_ms = (self.fetch_end - self.fetch_start) * 1000
        wait_ms = (self.wait_end - self.wait_start) * 1000
        return (
            f"batch {self.index} (epoch {self.epoch + 1}, {self.samples} samples) by {who}: "
            f"loaded {self.fetch_start:.2f}–{self.fetch_end:.2f} s ({fetch_ms:.0f} ms, decode "
            f"{self.decode_s * 1000:.0f} ms); the main loop waited {wait_ms:.0f} ms for it"
        )


#: One bar as a numpy record: the timeline keeps its bars in one structured array.
ROW = np.dtype(
    [(f.name, "f8" if f.type in ("float", float) else "i8") for f in fields(TimelineBar)]
)


def bar_row(event: BatchDone) -> tuple:
    """``event``'s bar as a plain tuple in ROW's field order (cheap: made for every batch)."""
    wait_start = event.t - event.wait_s
    fetch_start = event.fetch_start if event.fetch_start is not None else wait_start
    fetch_end = event.fetch_end if event.fetch_end is not None else event.t
    lane = MAIN_LANE if event.worker is None else event.worker
    return (
        event.index,
        event.epoch,
        lane,
        fetch_start,
        max(fetch_end, fetch_start),
        wait_start,
        event.t,
        event.samples,
        event.decode_s,
    )


def bar_of(row: np.void) -> TimelineBar:
    return TimelineBar(*row.tolist())
