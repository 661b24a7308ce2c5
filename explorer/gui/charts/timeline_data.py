"""The worker timeline's data: one bar per batch, in plain numbers (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ...core.run.events import BatchDone

MAIN_LANE = -1  # batches the main process loads itself (num_workers=0)
#: A traced job's lanes: one group per (rank, loader), ``GROUP * group + worker``; a loader
#: without workers loads in its process, lane ``GROUP * group + IN_PROCESS``.
GROUP = 100
IN_PROCESS = 99
_RANKS = 16  # loaders per rank before the rank part of a group number


def lane_of(worker: int | None, loader: int | None = None, rank: int | None = None) -> int:
    if loader is None:  # the explorer's own run
        return MAIN_LANE if worker is None else worker
    group = loader + (0 if rank is None else (rank + 1) * _RANKS)
    return group * GROUP + (IN_PROCESS if worker is None else worker)


def lane_name(lane: int) -> str:
    if lane < GROUP:
        return "main process loads" if lane == MAIN_LANE else f"worker {lane}"
    group, who = divmod(lane, GROUP)
    rank, loader = divmod(group, _RANKS)
    where = (f"rank {rank - 1} · " if rank else "") + f"loader {loader}"
    return f"{where} · {'its process loads' if who == IN_PROCESS else f'worker {who}'}"


def lane_worker(lane: int) -> int | None:
    """The worker a lane shows (None: a process loading its own batches)."""
    who = lane % GROUP if lane >= GROUP else lane
    return None if who in (MAIN_LANE, IN_PROCESS) else who


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
        who = "the main process" if self.lane == MAIN_LANE else lane_name(self.lane)
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
    lane = lane_of(event.worker, event.loader, event.rank)
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
