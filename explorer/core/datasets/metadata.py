"""Per-sample metadata, held the two ways real datasets hold annotations.

Every built-in dataset carries a small record per sample (id, label, path, a few numbers), and
its ``__getitem__`` reads the fields as a real dataset would. How the records are held decides
what DataLoader workers cost under ``fork``:

- ``list``: a Python list of dicts. Reading a field touches the dict, its strings and its
  numbers, and reference counting *writes* to each object it touches, so every page holding
  them is copied into the worker ("copy-on-read", pytorch/pytorch#13246).
- ``numpy``: the same records in a few numpy arrays (the paths as one byte buffer with offsets).
  Reading them writes nothing shared: a handful of objects, whatever N is.

``meta_bytes`` pads each path to that many bytes, so the effect shows without a huge dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .release import release_list

INDEX_KINDS = ("list", "numpy")


class MetadataIndex:
    kind = ""

    def __len__(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def read(self, i: int) -> tuple[int, str, float]:
        """(label, path, a number derived from the record's numbers), as __getitem__ uses them."""
        raise NotImplementedError  # pragma: no cover

    @property
    def nbytes(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError


class ListIndex(MetadataIndex):
    kind = "list"

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def release_in_pieces(self) -> None:
        """Free the records a slice at a time (see ``release``); empty after."""
        release_list(self.records)

    def read(self, i: int) -> tuple[int, str, float]:
        rec = self.records[i]
        x, y, w, h = rec["box"]
        return rec["label"], rec["path"], x + y + w + h + rec["score"]

    @property
    def nbytes(self) -> int:
        """Roughly what the Python objects take (dict, strings, floats, the list)."""
        if not self.records:
            return 0
        per = 232 + 49 + len(self.records[0]["path"]) + 4 * 24 + 88 + 2 * 28 + 24
        return len(self.records) * (per + 8)


class NumpyIndex(MetadataIndex):
    kind = "numpy"

    def __init__(
        self,
        ids: np.ndarray,
        labels: np.ndarray,
        boxes: np.ndarray,
        scores: np.ndarray,
        path_bytes: np.ndarray,
        offsets: np.ndarray,
    ) -> None:
        self.ids, self.labels, self.boxes, self.scores = ids, labels, boxes, scores
        self.path_bytes, self.offsets = path_bytes, offsets

    def __len__(self) -> int:
        return len(self.ids)

    def read(self, i: int) -> tuple[int, str, float]:
        a, b = self.offsets[i], self.offsets[i + 1]
        path = self.path_bytes[a:b].tobytes().decode("utf-8", "replace")
        return int(self.labels[i]), path, float(self.boxes[i].sum() + self.scores[i])

    @property
    def nbytes(self) -> int:
        arrays = (self.ids, self.labels, self.boxes, self.scores, self.path_bytes, self.offsets)
        return sum(a.nbytes for a in arrays)


def estimated_bytes(kind: str, n: int, meta_bytes: int, path_len: int = 64) -> int:
    """What an index of ``n`` records will take, before building it (for the budget)."""
    path = max(path_len, meta_bytes)
    if kind == "list":  # dict, str, a list of 4 floats, a float, ints, the list slot
        return n * (232 + 49 + path + 88 + 5 * 24 + 2 * 28 + 8)
    return n * (8 + 8 + 32 + 8 + 8 + path)


def build_index(
    kind: str, labels: Sequence[int], paths: Sequence[str], meta_bytes: int = 0
) -> MetadataIndex:
    """Records for ``len(labels)`` samples, held as ``kind`` ("list" or "numpy")."""
    n = len(labels)
    rng = np.random.default_rng(7)
    boxes = rng.random((n, 4)) * 100
    scores = rng.random(n)
    if kind == "list":
        return ListIndex(
            [
                {
                    "id": i,
                    "label": int(labels[i]),
                    "path": _pad(paths[i], meta_bytes),
                    "box": [float(v) for v in boxes[i]],
                    "score": float(scores[i]),
                }
                for i in range(n)
            ]
        )
    if kind != "numpy":
        raise ValueError(f"unknown index kind {kind!r}")
    fixed = getattr(paths, "fixed_width_bytes", None)
    if fixed is not None:  # all paths the same length: build them as one array, no loop
        table = fixed(meta_bytes)
        width = table.shape[1]
        offsets = np.arange(n + 1, dtype=np.int64) * width
        path_bytes = table.reshape(-1)
    else:  # one path at a time into one buffer: no list of N strings for the allocator to keep
        lengths = np.fromiter(
            (max(len(p.encode("utf-8")), meta_bytes) for p in paths), dtype=np.int64, count=n
        )
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        path_bytes = np.full(int(offsets[-1]), ord("_"), dtype=np.uint8)
        for i, p in enumerate(paths):
            raw = p.encode("utf-8")
            path_bytes[offsets[i] : offsets[i] + len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    ids = np.arange(n, dtype=np.int64)
    return NumpyIndex(ids, np.asarray(labels, dtype=np.int64), boxes, scores, path_bytes, offsets)


def _pad(path: str, size: int) -> str:
    """``path`` padded with "_" to ``size`` UTF-8 bytes (--meta-bytes counts bytes)."""
    missing = size - len(path.encode("utf-8"))
    return path + "_" * missing if missing > 0 else path
