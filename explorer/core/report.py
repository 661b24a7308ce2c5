"""Collecting a run's events into the JSON report (and CSV of memory rows) that the headless
command line writes and scripts depend on."""

from __future__ import annotations

import csv
import json
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .events import (
    BatchDone,
    DatasetReady,
    EpochStarted,
    MemorySweep,
    ProcessesChanged,
    RunFinished,
    RunStarted,
)

MEMORY_FIELDS = ("t", "pid", "role", "rss", "uss", "pss")


class RunRecorder:
    """A thread-safe event sink that keeps what the report needs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.config: dict[str, Any] = {}
        self.dataset: dict[str, Any] = {}
        self.batches: list[dict[str, Any]] = []
        self.memory: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.failed_samples: dict[str, str] = {}
        self.finished: RunFinished | None = None
        self.loading_started: float | None = None

    def __call__(self, event: object) -> None:
        with self._lock:
            self._record(event)

    def _record(self, event: object) -> None:
        if isinstance(event, BatchDone):
            self.batches.append(
                {
                    "index": event.index,
                    "epoch": event.epoch,
                    "worker": event.worker,
                    "wait_s": event.wait_s,
                    "samples": event.samples,
                    "t": event.t,
                }
            )
            for f in event.failed:
                self.failed_samples.setdefault(f.path, f.reason)
        elif isinstance(event, MemorySweep):
            self.memory.extend(
                {
                    "t": event.t,
                    "pid": r.pid,
                    "role": r.role,
                    "rss": r.rss,
                    "uss": r.uss,
                    "pss": r.pss,
                }
                for r in event.rows
            )
        elif isinstance(event, RunStarted):
            self.config = dict(event.config)
        elif isinstance(event, DatasetReady):
            self.dataset = asdict(event.info)
            self.dataset["skipped"] = list(self.dataset["skipped"])
            self.events.append({"t": event.t, "event": "dataset ready"})
        elif isinstance(event, EpochStarted):
            if self.loading_started is None:
                self.loading_started = event.t
            self.events.append({"t": event.t, "event": f"epoch {event.epoch}"})
        elif isinstance(event, ProcessesChanged):
            for role, pid in event.started:
                self.events.append({"t": event.t, "event": "started", "role": role, "pid": pid})
            for role, pid in event.exited:
                self.events.append({"t": event.t, "event": "exited", "role": role, "pid": pid})
        elif isinstance(event, RunFinished):
            self.finished = event

    def report(self) -> dict[str, Any]:
        with self._lock:
            dataset = dict(self.dataset) or {"items": 0, "skipped": [], "init_s": None}
            known = {s["path"] for s in dataset.get("skipped", [])}
            dataset["skipped"] = list(dataset.get("skipped", [])) + [
                {"path": p, "reason": r} for p, r in self.failed_samples.items() if p not in known
            ]
            return {
                "config": self.config,
                "dataset": dataset,
                "batches": list(self.batches),
                "memory": list(self.memory),
                "events": list(self.events),
                "summary": self._summary(),
            }

    def _summary(self) -> dict[str, Any]:
        fin = self.finished
        wall = fin.t if fin else None
        samples = sum(b["samples"] for b in self.batches)
        load_s = (
            (wall - self.loading_started) if wall and self.loading_started is not None else None
        )
        return {
            "status": fin.status if fin else "unknown",
            "reason": fin.reason if fin else "",
            "wall_s": wall,
            "load_s": load_s,
            "batches": len(self.batches),
            "samples": samples,
            "samples_per_s": samples / load_s if load_s else 0.0,
            **memory_peaks(self.memory),
        }

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.report(), indent=1))

    def write_csv(self, path: str | Path) -> None:
        with self._lock:
            rows = list(self.memory)
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=MEMORY_FIELDS)
            writer.writeheader()
            writer.writerows(rows)


def memory_peaks(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Peak totals (the largest per-sweep sum over processes) and peaks per role."""
    sweeps: dict[float, list[dict[str, Any]]] = {}
    by_role: dict[str, dict[str, int | None]] = {}
    for r in rows:
        sweeps.setdefault(r["t"], []).append(r)
        peak = by_role.setdefault(r["role"], {"rss": None, "uss": None, "pss": None})
        for key in ("rss", "uss", "pss"):
            v = r[key]
            if v is not None and (peak[key] is None or v > peak[key]):
                peak[key] = v
    rss_total = max((sum(r["rss"] for r in s) for s in sweeps.values()), default=None)
    pss_sums = [
        sum(r["pss"] for r in s) for s in sweeps.values() if all(r["pss"] is not None for r in s)
    ]
    return {
        "peak_rss_total": rss_total,
        "peak_pss_total": max(pss_sums) if pss_sums else None,
        "peak_by_role": by_role,
    }
