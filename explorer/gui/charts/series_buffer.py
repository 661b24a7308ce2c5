"""A growable, bounded column store for time series: appends are O(1) amortized, the newest
``capacity`` rows are kept, and ``view()`` hands out numpy views for ``setData`` (no copy)."""

from __future__ import annotations

import numpy as np


class SeriesBuffer:
    def __init__(self, columns: int, capacity: int = 36_000) -> None:
        self.capacity = capacity
        self._data = np.full((min(1024, capacity), columns), np.nan)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, row: tuple[float, ...]) -> None:
        if self._n == len(self._data):
            if self._n < self.capacity:
                grown = np.full((min(2 * self._n, self.capacity), self._data.shape[1]), np.nan)
                grown[: self._n] = self._data
                self._data = grown
            else:  # full: keep the newest half (one copy every capacity/2 appends)
                keep = self.capacity // 2
                self._data[:keep] = self._data[self._n - keep : self._n]
                self._data[keep:] = np.nan
                self._n = keep
        self._data[self._n] = row
        self._n += 1

    def view(self) -> np.ndarray:
        return self._data[: self._n]

    def last(self) -> np.ndarray | None:
        return self._data[self._n - 1] if self._n else None

    def clear(self) -> None:
        self._n = 0
