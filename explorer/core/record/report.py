"""Collecting a run's events into the JSON report (and CSV of memory rows) that the headless
command line writes and scripts depend on."""

from __future__ import annotations

import csv
import json
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..run.events import (
    BatchDone,
    DatasetReady,
    EpochStarted,
    LoaderCreated,
    MemoryBudget,
    MemorySweep,
    ProcessesChanged,
    RunFinished,
    RunStarted,
    TransformStats,
    WorkerBaseline,
)

MEMORY_FIELDS = ("t", "pid", "role", "rss", "uss", "pss")
TRACED_FIELDS = ("rank", "loader", "worker")  # a traced job's rows also say whose they are


class RunRecorder:
    """A thread-safe event sink that keeps what the report needs.

    ``keep_batches=False`` keeps counts instead of one row per batch (the window records every
    run of a session and must not grow with the number of batches).
    """

    def __init__(self, keep_batches: bool = True) -> None:
        self.keep_batches = keep_batches
        self.n_batches = 0
        self.n_samples = 0
        self.baselines: dict[int, tuple[float, str, int]] = {}  # pid -> (t, role, uss)
        self.budget: dict[str, Any] | None = None
        self.first_batch_t: float | None = None
        self.last_batch_t: float | None = None
        self.first_batch_samples = 0
        self.fetch_s_total = 0.0  # sum over batches of their fetch spans (a worker's time)
        self.system: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.config: dict[str, Any] = {}
        self.dataset: dict[str, Any] = {}
        self.batches: list[dict[str, Any]] = []
        self.memory: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.failed_samples: dict[str, str] = {}
        self.finished: RunFinished | None = None
        self.loading_started: float | None = None
        self.loaders = LoaderTable()  # a traced job's DataLoaders

    def __call__(self, event: object) -> None:
        with self._lock:
            self._record(event)

    def _record(self, event: object) -> None:
        if isinstance(event, BatchDone):
            if self.first_batch_t is None:
                self.first_batch_t = event.t
                self.first_batch_samples = event.samples
            self.last_batch_t = event.t
            if event.fetch_start is not None and event.fetch_end is not None:
                self.fetch_s_total += event.fetch_end - event.fetch_start
            self.n_batches += 1
            self.n_samples += event.samples
            if self.keep_batches:
                self.batches.append(
                    {
                        "fetch_start": event.fetch_start,
                        "fetch_end": event.fetch_end,
                        "decode_s": event.decode_s,
                        "index": event.index,
                        "epoch": event.epoch,
                        "worker": event.worker,
                        "wait_s": event.wait_s,
                        "samples": event.samples,
                        "t": event.t,
                    }
                )
                if self.traced:
                    row = self.batches[-1]
                    row.update(loader=event.loader, rank=event.rank, step_s=event.step_s)
            if event.loader is not None:
                self.loaders.batch(event)
            for f in event.failed:
                self.failed_samples.setdefault(f.path, f.reason)
        elif isinstance(event, MemorySweep):
            rows = [
                {"t": event.t, "pid": r.pid, "role": r.role, "rss": r.rss, "uss": r.uss,
                 "pss": r.pss}
                for r in event.rows
            ]  # fmt: skip
            if self.traced:  # which rank, loader and worker each process is
                for row, r in zip(rows, event.rows, strict=True):
                    row.update(rank=r.rank, loader=r.loader, worker=r.worker)
            self.memory.extend(rows)
            if event.system is not None:
                sysm = event.system
                self.system.append(
                    {
                        "t": event.t,
                        "available": sysm.available,
                        "shm_used": sysm.shm_used,
                        "shm_total": sysm.shm_total,
                        "cgroup_limit": sysm.cgroup_limit,
                    }
                )
        elif isinstance(event, WorkerBaseline):
            self.baselines.setdefault(event.pid, (event.t, event.role, event.uss))
        elif isinstance(event, MemoryBudget):
            self.budget = {
                "predicted_peak": event.predicted_peak,
                "parts": dict(event.parts),
                "available": event.available,
                "shm_total": event.shm_total,
                "shm_needed": event.shm_needed,
                "warnings": list(event.warnings),
            }
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
        elif isinstance(event, LoaderCreated):
            self.loaders.created(event)
        elif isinstance(event, TransformStats):
            self.loaders.transforms(event)
        elif isinstance(event, RunFinished):
            self.finished = event

    @property
    def traced(self) -> bool:
        """A traced job's run (its report has loaders, and rows say whose they are)."""
        return self.config.get("source") == "trace"

    def report(self) -> dict[str, Any]:
        with self._lock:
            dataset = dict(self.dataset) or {"items": 0, "skipped": [], "init_s": None}
            known = {s["path"] for s in dataset.get("skipped", [])}
            failed = [
                {"path": p, "reason": r} for p, r in self.failed_samples.items() if p not in known
            ]
            dataset["skipped"] = list(dataset.get("skipped", [])) + failed
            # A file that failed in __getitem__ was replaced in its batch, not loaded: it is
            # skipped, not an item (so items + skipped = files).
            if failed and isinstance(dataset.get("items"), int):
                dataset["items"] -= len(failed)
                dataset["replaced_in_batches"] = len(failed)
            scan = dataset.get("scan") or {}
            if "files" in scan:
                dataset["files"] = scan["files"]
            out = {
                "config": self.config,
                "dataset": dataset,
                "budget": self.budget,
                "batches": list(self.batches),
                "memory": list(self.memory),
                "system": list(self.system),
                "events": list(self.events),
                "summary": self._summary(),
            }
            if self.traced:
                out["loaders"] = self.loaders.rows()
            return out

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return self._summary()

    def _summary(self) -> dict[str, Any]:
        fin = self.finished
        wall = fin.t if fin else None
        started = self.loading_started
        load_s = (wall - started) if wall and started is not None else None
        peaks = memory_peaks(self.memory)
        for role, growth in uss_growth(self.memory, self.baselines).items():
            peaks["peak_by_role"].setdefault(role, {})["uss_growth"] = growth
        worker_growth = [
            v["uss_growth"]
            for r, v in peaks["peak_by_role"].items()
            if r.startswith("worker-") and v.get("uss_growth") is not None
        ]
        measured = peaks["peak_pss_total"] or peaks["peak_rss_total"]
        budget = None
        if self.budget is not None:
            budget = {
                "predicted_peak": self.budget["predicted_peak"],
                "measured_peak": measured,
                "warnings": self.budget["warnings"],
            }
        system = self.system
        traced = {}
        if self.traced:
            traced = {
                "command": self.config["command"],
                "exit_code": fin.exit_code if fin else None,
                "events_dropped": fin.events_dropped if fin else 0,
                "loaders": len(self.loaders.rows()),
                "stderr_tail": fin.details if fin else "",  # the job's last lines of stderr
            }
        return {
            **traced,
            "status": fin.status if fin else "unknown",
            "reason": fin.reason if fin else "",
            "wall_s": wall,
            "load_s": load_s,
            "batches": self.n_batches,
            "samples": self.n_samples,
            "samples_per_s": self.n_samples / load_s if load_s else 0.0,
            # the explorer's own threads (memory sampler, preview maker): what it added
            "tool_cpu_s": fin.tool_cpu_s if fin else None,
            # from the first epoch's start to its first batch: worker start-up (spawn: seconds)
            "first_batch_s": (
                self.first_batch_t - started
                if self.first_batch_t is not None and started is not None
                else None
            ),
            # after the first batch: the pace of steady state, start-up measured apart
            "steady_samples_per_s": self._steady_rate(),
            **peaks,
            "peak_worker_uss_growth": max(worker_growth) if worker_growth else None,
            **self._timing(fin),
            "budget": budget,
            "system": {
                "min_available": min((r["available"] for r in system), default=None),
                "peak_shm_used": max((r["shm_used"] or 0 for r in system), default=None),
                "shm_total": system[-1]["shm_total"] if system else None,
                "cgroup_limit": system[-1]["cgroup_limit"] if system else None,
            },
        }

    def _steady_rate(self) -> float:
        first, last = self.first_batch_t, self.last_batch_t
        if first is None or last is None or last <= first:
            return 0.0
        return (self.n_samples - self.first_batch_samples) / (last - first)

    def _timing(self, fin: RunFinished | None) -> dict[str, Any]:
        """Where the loop's time went: waiting for data or stepping the model."""
        if self.traced:
            return self.loaders.timing()
        if fin is None or fin.loop_s <= 0 or not self.n_batches:
            return {"data_wait_fraction": None, "bound": None, "verdict": ""}
        fraction = min(1.0, fin.wait_s / fin.loop_s)
        step_s = float(self.config.get("step_ms") or 0) / 1000
        fetch_s = self.fetch_s_total / self.n_batches  # one worker's time for one batch
        workers = int(self.config.get("workers") or 0)
        if fraction > 0.5:
            bound = "data"
            if step_s > 0:
                needed = max(workers + 1, int(-(-fetch_s // step_s)) + 1)
                advice = f"about {needed} workers would make it compute-bound"
            else:
                needed = None
                advice = "with no training step it always will be (--step-ms models one)"
            verdict = f"data-bound: the loop waited for data {fraction:.0%} of the time; {advice}"
        else:
            bound, needed = "compute", None
            verdict = (
                f"compute-bound: the loop waited for data only {fraction:.0%} of the "
                "time; more workers would not speed it up"
            )
        return {
            "data_wait_fraction": fraction,
            "bound": bound,
            "workers_for_compute_bound": needed,
            "verdict": verdict,
            "mean_batch_fetch_s": fetch_s,
        }

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.report(), indent=1))

    def write_csv(self, path: str | Path) -> None:
        with self._lock:
            rows = list(self.memory)
        write_memory_csv(path, [rows])


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


def uss_growth(
    rows: list[dict[str, Any]], baselines: dict[int, tuple[float, str, int]]
) -> dict[str, int]:
    """Per worker role: the largest rise of a worker process's USS above its baseline (its USS
    once running), over the processes that held the role (one per epoch without persistent
    workers)."""
    peak = {pid: uss0 for pid, (_t, _role, uss0) in baselines.items()}
    for r in rows:
        base = baselines.get(r["pid"])
        if base is not None and r["uss"] is not None and r["t"] >= base[0]:
            peak[r["pid"]] = max(peak.get(r["pid"], 0), r["uss"])
    growth: dict[str, int] = {}
    for pid, (_t, role, uss0) in baselines.items():
        growth[role] = max(growth.get(role, 0), peak[pid] - uss0)
    return growth


def write_memory_csv(path: str | Path, runs: list[list[dict[str, Any]]]) -> None:
    """Memory rows as CSV; with several runs, a ``run`` column (0, 1, ...) tells them apart."""
    several = len(runs) > 1
    traced = any(TRACED_FIELDS[0] in row for rows in runs for row in rows[:1])
    fields = (*MEMORY_FIELDS, *TRACED_FIELDS) if traced else MEMORY_FIELDS
    fields = ("run", *fields) if several else fields
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for n, rows in enumerate(runs):
            writer.writerows([{**row, "run": n} for row in rows] if several else rows)


def _loader_verdict(fraction: float | None) -> str:
    if fraction is None:
        return ""
    if fraction > 0.5:
        return f"data-bound: the job waited for this loader {fraction:.0%} of its loop"
    return f"compute-bound: the job waited for this loader only {fraction:.0%} of its loop"


class LoaderTable:
    """A traced job's DataLoaders, keyed by (rank, id): what the job created, and what its
    batches and transform steps measured."""

    def __init__(self) -> None:
        self._rows: dict[tuple[int | None, int], dict[str, Any]] = {}
        self._time: dict[tuple[int | None, int], list[float]] = {}  # wait, step

    def _row(self, rank: int | None, loader: int) -> dict[str, Any]:
        row = self._rows.get((rank, loader))
        if row is None:
            row = self._rows[(rank, loader)] = {"id": loader, "rank": rank, "batches": 0}
            self._time[(rank, loader)] = [0.0, 0.0]
        return row

    def created(self, e: LoaderCreated) -> None:
        row = self._row(e.rank, e.id)
        row.update(
            pid=e.pid,
            created_at=e.created_at,
            dataset=e.dataset,
            len=e.len,
            batch_size=e.batch_size,
            num_workers=e.num_workers,
            multiprocessing_context=e.multiprocessing_context,
            persistent_workers=e.persistent_workers,
            pin_memory=e.pin_memory,
            prefetch_factor=e.prefetch_factor,
            batches_per_epoch=e.batches,
        )
        row.setdefault(
            "transforms", [{"name": n, "calls": 0, "mean_ms": None} for n in e.transforms]
        )

    def batch(self, e: BatchDone) -> None:
        key = (e.rank, int(e.loader or 0))
        self._row(*key)["batches"] += 1
        spent = self._time[key]
        spent[0] += e.wait_s
        spent[1] += e.step_s or 0.0

    def transforms(self, e: TransformStats) -> None:
        self._row(e.rank, e.loader)["transforms"] = [
            {"name": name, "calls": calls, "mean_ms": seconds / calls * 1000 if calls else None}
            for name, calls, seconds in e.steps
        ]

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for key in sorted(self._rows, key=lambda k: (k[0] if k[0] is not None else -1, k[1])):
            wait, step = self._time[key]
            row = dict(self._rows[key])
            row.setdefault("transforms", [])
            fraction = wait / (wait + step) if wait + step > 0 else None
            row["data_wait_fraction"] = fraction
            row["verdict"] = _loader_verdict(fraction)
            out.append(row)
        return out

    def timing(self) -> dict[str, Any]:
        """The job's loop over all its loaders: the share of its time spent waiting for data."""
        wait = sum(t[0] for t in self._time.values())
        step = sum(t[1] for t in self._time.values())
        if wait + step <= 0:
            return {"data_wait_fraction": None, "bound": None, "verdict": ""}
        fraction = wait / (wait + step)
        bound = "data" if fraction > 0.5 else "compute"
        verdict = (
            f"data-bound: the job waited for data {fraction:.0%} of its loop"
            if bound == "data"
            else f"compute-bound: the job waited for data only {fraction:.0%} of its loop"
        )
        return {"data_wait_fraction": fraction, "bound": bound, "verdict": verdict}
