"""Throughput figures the window shows, aggregated off the GUI thread."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RunStats:
    """A snapshot of a run's progress, sent to the window at most ~10 times a second."""

    t: float
    batches: int
    samples: int
    epoch: int
    epochs: int
    batch_in_epoch: int
    epoch_batches: int | None
    samples_per_s: float
    batches_per_s: float
    failed_samples: int


class RateWindow:
    """Samples and batches per second over the last ``span`` seconds."""

    def __init__(self, span: float = 1.5) -> None:
        self.span = span
        self.points: deque[tuple[float, int, int]] = deque()

    def add(self, t: float, batches: int, samples: int) -> tuple[float, float]:
        self.points.append((t, batches, samples))
        while len(self.points) > 2 and t - self.points[0][0] > self.span:
            self.points.popleft()
        t0, b0, s0 = self.points[0]
        dt = t - t0
        if dt <= 0:
            return 0.0, 0.0
        return (samples - s0) / dt, (batches - b0) / dt
