"""Alternated pairs and what their ratios are worth: plain Python, no torch, so that the
benchmark's verdicts can be worked out anywhere."""

from __future__ import annotations

import math
import statistics
from typing import Any


def pairs(a: Any, b: Any, repeats: int) -> tuple[float, list[float], list[float]]:
    """``a()`` and ``b()`` in alternation, ``repeats`` pairs, the order swapped every other
    pair (here the second of two identical runs came out ~2% slower): the median of the
    pairs' ratios a/b (robust to a machine whose speed drifts), and each side's figures."""
    xs, ys = [], []
    for i in range(repeats):
        if i % 2:
            ys.append(b())
            xs.append(a())
        else:
            xs.append(a())
            ys.append(b())
    return statistics.median(x / y for x, y in zip(xs, ys, strict=True)), xs, ys


def ratios(xs: list[float], ys: list[float]) -> list[float]:
    """Each pair's ratio, for the figure's detail: how far apart the pairs were."""
    return [round(x / y, 4) for x, y in zip(xs, ys, strict=True)]


def median_noise(pair_ratios: list[float]) -> float:
    """Two standard errors of the median of ``pair_ratios``: how far the median of as many
    pairs may fall from the truth by chance, about one time in twenty.

    The pairs' spread is the larger of two estimates: their median absolute deviation, which
    one pair that a neighbour on this machine spoilt cannot inflate; and their standard
    deviation without the pair farthest from the median, which three pairs that happen to
    agree cannot hide (five pairs from 0.895 to 1.066 had a MAD-based margin of ±0.003)."""
    if len(pair_ratios) < 3:
        return 0.0
    mid = statistics.median(pair_ratios)
    mad_sigma = 1.4826 * statistics.median(abs(r - mid) for r in pair_ratios)
    rest = sorted(pair_ratios, key=lambda r: abs(r - mid))[:-1]
    sigma = max(mad_sigma, statistics.stdev(rest))
    return 2 * 1.2533 * sigma / math.sqrt(len(pair_ratios))
