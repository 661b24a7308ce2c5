"""What a traced job's agent said, turned into the explorer's own events.

The agent's messages are plain dicts (it cannot import the explorer). This model keeps what
they tell about the job (its processes, ranks, DataLoaders and their workers) and emits the
same events the explorer's own runs emit, so the window, the report and recordings need
nothing new: ``LoaderCreated`` for each DataLoader, ``EpochStarted`` and ``BatchDone`` (with
its loader and rank) for its batches, ``BatchPreview`` for thumbnails, ``TransformStats`` for
timed transform steps. It also names the job's processes for the memory sampler.

A batch's fetch times come from the worker that fetched it, on that worker's own connection,
so they may arrive after the batch: a batch waits up to ``MATCH_WAIT_S`` for them.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import psutil

from ..memory.sampler import ProcessName
from ..run.events import (
    BatchDone,
    BatchPreview,
    EpochStarted,
    LoaderCreated,
    PreviewSample,
    TransformStats,
)

MATCH_WAIT_S = 1.0

Emit = Callable[[object], None]


class JobModel:
    def __init__(self, emit: Emit, t0: float, on_new_processes: Callable[[], None]) -> None:
        self._emit = emit
        self._t0 = t0
        self._on_new_processes = on_new_processes
        self._lock = threading.Lock()
        self.hellos: dict[int, dict[str, Any]] = {}  # pid -> hello
        self.loaders: dict[tuple[int, int], LoaderCreated] = {}  # (pid, id) -> created
        self.workers: dict[int, tuple[int | None, int, int]] = {}  # pid -> (rank, loader, w)
        self._epoch_workers: dict[tuple[int, int, int], list[int | None]] = {}
        self._fetches: dict[tuple[int, int, int], tuple[float, float, int]] = {}
        self._pending: list[tuple[float, dict[str, Any]]] = []
        self._transforms: dict[int, list[list[Any]]] = {}  # pid -> its cumulative steps
        self._dropped: dict[int, int] = {}
        self.batches = 0
        self.samples = 0

    # ------------------------------------------------------------------ in
    def take(self, messages: list[dict[str, Any]]) -> None:
        """Messages from one of the job's processes (the listener's thread)."""
        with self._lock:
            for m in messages:
                handler = getattr(self, f"_on_{m.get('kind')}", None)
                if handler is not None:
                    # a malformed message is ignored, never fatal
                    with contextlib.suppress(KeyError, TypeError, ValueError, IndexError):
                        handler(m)

    def flush(self, now: float | None = None) -> None:
        """Emit the batches whose fetch times did not come in time (all, with ``None``)."""
        with self._lock:
            now = time.monotonic() if now is None else now
            still = []
            for deadline, m in self._pending:
                if now >= deadline:
                    self._emit_batch(m, None)
                else:
                    still.append((deadline, m))
            self._pending = still

    @property
    def events_dropped(self) -> int:
        return sum(self._dropped.values())

    def _t(self, monotonic: float) -> float:
        return monotonic - self._t0

    def _on_hello(self, m: dict[str, Any]) -> None:
        self.hellos[int(m["pid"])] = m
        self._on_new_processes()

    def _on_dropped(self, m: dict[str, Any]) -> None:
        self._dropped[int(m["pid"])] = int(m["count"])

    def _on_loader(self, m: dict[str, Any]) -> None:
        event = LoaderCreated(
            t=self._t(float(m["t"])),
            id=int(m["id"]),
            rank=m.get("rank"),
            pid=int(m["pid"]),
            created_at=str(m.get("created_at", "?")),
            dataset=str(m.get("dataset", "?")),
            len=m.get("len"),
            batch_size=m.get("batch_size"),
            num_workers=int(m.get("num_workers") or 0),
            multiprocessing_context=m.get("multiprocessing_context"),
            persistent_workers=bool(m.get("persistent_workers")),
            pin_memory=bool(m.get("pin_memory")),
            prefetch_factor=m.get("prefetch_factor"),
            batches=m.get("batches"),
            transforms=tuple(str(n) for n in m.get("transforms") or ()),
        )
        self.loaders[(event.pid, event.id)] = event
        self._emit(event)

    def _on_epoch(self, m: dict[str, Any]) -> None:
        pid, loader, epoch = int(m["pid"]), int(m["loader"]), int(m["epoch"])
        rank = m.get("rank")
        pids = list(m.get("workers") or [])
        self._epoch_workers[(pid, loader, epoch)] = pids
        for w, worker_pid in enumerate(pids):
            if worker_pid:
                self.workers[int(worker_pid)] = (rank, loader, w)
        created = self.loaders.get((pid, loader))
        self._emit(
            EpochStarted(
                self._t(float(m["t"])),
                epoch,
                created.batches if created else None,
                loader=loader,
                rank=rank,
            )
        )
        if pids:
            self._on_new_processes()

    def _on_fetch(self, m: dict[str, Any]) -> None:
        key = (int(m["pid"]), int(m["generation"]), int(m["seq"]))
        self._fetches[key] = (float(m["start"]), float(m["end"]), int(m["n"]))
        for i, (_deadline, pending) in enumerate(self._pending):
            if self._fetch_key(pending) == key:
                del self._pending[i]
                self._emit_batch(pending, self._fetches.pop(key))
                break

    def _fetch_key(self, m: dict[str, Any]) -> tuple[int, int, int] | None:
        workers = int(m.get("workers") or 0)
        if not workers:
            return None
        pids = self._epoch_workers.get((int(m["pid"]), int(m["loader"]), int(m["epoch"])))
        index = int(m["index"])
        if not pids or pids[index % workers] is None:
            return None
        return (int(pids[index % workers]), int(m["generation"]), index // workers)

    def _on_batch(self, m: dict[str, Any]) -> None:
        if not int(m.get("workers") or 0):  # fetched in the job's own process: timed there
            fetch = m.get("fetch")
            self._emit_batch(m, tuple(fetch) if fetch else None)
            return
        key = self._fetch_key(m)
        if key is not None and key in self._fetches:
            self._emit_batch(m, self._fetches.pop(key))
        elif key is not None:
            self._pending.append((time.monotonic() + MATCH_WAIT_S, m))
        else:
            self._emit_batch(m, None)

    def _emit_batch(self, m: dict[str, Any], fetch: tuple[float, float, int] | None) -> None:
        pid, loader = int(m["pid"]), int(m["loader"])
        workers = int(m.get("workers") or 0)
        created = self.loaders.get((pid, loader))
        samples = fetch[2] if fetch else (created.batch_size if created else None) or 1
        got = float(m["got"])
        self.batches += 1
        self.samples += samples
        self._emit(
            BatchDone(
                t=self._t(got),
                index=int(m["batches"]),
                epoch=int(m["epoch"]),
                worker=int(m["index"]) % workers if workers else None,
                wait_s=got - float(m["asked"]),
                samples=samples,
                fetch_start=self._t(fetch[0]) if fetch else None,
                fetch_end=self._t(fetch[1]) if fetch else None,
                decode_s=(fetch[1] - fetch[0]) if fetch else 0.0,
                loader=loader,
                rank=m.get("rank"),
                step_s=m.get("step_s"),
            )
        )

    def _on_transforms(self, m: dict[str, Any]) -> None:
        pid = int(m["pid"])
        self._transforms[pid] = [list(s) for s in m.get("steps") or ()]
        rank = self._rank_of(pid)
        totals: dict[int, dict[str, list[float]]] = {}
        for other, steps in self._transforms.items():
            if self._rank_of(other) != rank:
                continue
            for loader, name, calls, seconds in steps:
                entry = totals.setdefault(int(loader), {}).setdefault(str(name), [0, 0.0])
                entry[0] += int(calls)
                entry[1] += float(seconds)
        for loader, steps in totals.items():
            self._emit(
                TransformStats(
                    self._t(time.monotonic()),
                    loader,
                    rank,
                    tuple((name, int(v[0]), float(v[1])) for name, v in steps.items()),
                )
            )

    def _rank_of(self, pid: int) -> int | None:
        """The rank a process of the job serves: its loader's, for a worker."""
        owner = self.workers.get(pid)
        return owner[0] if owner else (self.hellos.get(pid) or {}).get("rank")

    def _on_preview(self, m: dict[str, Any]) -> None:
        samples = []
        shape = tuple(int(x) for x in m.get("shape") or ())
        for i, (h, w, data) in enumerate(m["pictures"]):
            rgb = np.frombuffer(data, dtype=np.uint8).reshape(int(h), int(w), 3)
            samples.append(
                PreviewSample(
                    index=i,
                    label=-1,
                    worker=-1,
                    thumbnail=rgb,
                    image=rgb,
                    shape=shape or (3, int(h), int(w)),
                    dtype=str(m.get("dtype", "?")).replace("torch.", ""),
                    min=float(rgb.min()),
                    max=float(rgb.max()),
                    mean=float(rgb.mean()),
                    caption=f"loader {m.get('loader')}, batch {m.get('index')}",
                )
            )
        if samples:
            self._emit(
                BatchPreview(
                    self._t(float(m["t"])),
                    int(m.get("index", 0)),
                    int(m.get("epoch", 0)),
                    None,
                    len(samples),
                    tuple(samples),
                )
            )

    # ------------------------------------------------------------------ naming
    def name(self, proc: psutil.Process) -> ProcessName | None:
        """The memory sampler's names for the job's processes."""
        pid = proc.pid
        with self._lock:
            if pid in self.workers:
                rank, loader, w = self.workers[pid]
                prefix = f"rank{rank} " if rank is not None else ""
                which = f"L{loader} " if loader != 1 else ""
                return ProcessName(f"{prefix}{which}worker-{w}", rank, loader, w)
            hello = self.hellos.get(pid)
            parent_traced = hello is not None and int(hello.get("ppid", 0)) in self.hellos
        if hello is None or hello.get("role") == "worker":
            return None
        rank = hello.get("rank")
        if rank is not None:
            return ProcessName(f"rank{rank}", rank)
        argv = " ".join(hello.get("argv") or ())
        if "torchrun" in argv or "torch.distributed.run" in argv:
            return ProcessName("torchrun agent")
        if parent_traced:  # a Python child of the job (a forkserver, a helper it started)
            return None
        return ProcessName("main")
