"""The process-memory sampler: on its own thread, it finds the main process, each DataLoader
worker and any helper process, and reads their memory.

RSS is read at ``interval`` (10 Hz by default; 2 µs a process, see ``proc_files``). USS and
PSS need the kernel to walk the page tables (psutil's ``memory_full_info``, about 15 ms a
process at 1 GB resident), so they are read at an adaptive, lower rate that keeps the
sampler's own cost under ``full_budget`` of one core.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psutil

from ..run.events import MemorySweep, ProcessesChanged, ProcessMemory, WorkerBaseline
from .proc_files import MeminfoReader, RssReader
from .process_tree import descendants
from .system_memory import cgroup_limit, read_system_memory

log = logging.getLogger(__name__)

#: A child process that is neither a known worker nor a multiprocessing helper is shown (as
#: ``helper-N``) once it has lived this long: short-lived children are not worth a curve.
UNNAMED_GRACE_S = 1.5
DISCOVERY_INTERVAL_S = 1.0
MIN_FULL_INTERVAL_S = 0.25
#: A new worker's row waits this long for the worker's own start-up reading (``set_workers``)
#: before the sampler reads it in full itself.
OWN_READING_WAIT_S = 0.5
#: A scheduled full reading due less than this long before the engine expects to ``sync``
#: (which reads every process in full) waits for the sync instead; one that is still waiting
#: ``SYNC_LATE_S`` after the expected moment goes ahead (a loader that stalled).
SYNC_AHEAD_S = 1.0
SYNC_LATE_S = 0.5


def helper_role(proc: psutil.Process, parent_pid: int | None = None) -> str | None:
    """Name one of multiprocessing's helper processes (forkserver, resource tracker), which are
    direct children of ``parent_pid`` (default: this process). A forkserver's own children
    inherit its command line but are workers, not helpers."""
    try:
        if proc.ppid() != (os.getpid() if parent_pid is None else parent_pid):
            return None
        cmdline = " ".join(proc.cmdline())
    except (psutil.Error, OSError):
        return None
    if "forkserver" in cmdline:
        return "forkserver"
    if "resource_tracker" in cmdline:
        return "resource-tracker"
    if "semaphore_tracker" in cmdline:
        return "semaphore-tracker"
    return None


SAMPLER_NICENESS = 10


@dataclass(frozen=True)
class ProcessName:
    """What a traced job's process is (see ``MemorySampler``'s ``namer``)."""

    role: str
    rank: int | None = None
    loader: int | None = None
    worker: int | None = None


#: Names a process of a traced job, or None for one it does not know (a helper, a shell).
Namer = Callable[[psutil.Process], ProcessName | None]
#: A process being sampled: its handle, its role on the chart, its name in a traced job.
_Tracked = tuple[psutil.Process, str, ProcessName | None]
#: A worker's own reading at the end of its start-up, by pid (rss, uss, pss), or None before.
OwnReading = Callable[[int], Any]


def _full_info(proc: psutil.Process) -> Any:
    """``proc``'s ``memory_full_info``, or the psutil error that reading it raised."""
    try:
        return proc.memory_full_info()
    except psutil.Error as exc:
        return exc


def _timed_full_info(proc: psutil.Process) -> tuple[Any, float]:
    """``_full_info`` and the CPU time it took (in the thread that read it)."""
    c0 = time.thread_time()
    return _full_info(proc), time.thread_time() - c0


def yield_cpu(niceness: int = SAMPLER_NICENESS) -> None:
    """Lower the calling thread's scheduling priority (Linux: a thread is a task with its own
    nice value). When the workers keep every core busy, the instrument then takes its CPU
    from idle moments rather than from what it measures; on an idle core nothing changes."""
    # Not Linux, or not allowed: it runs at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        me = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, me) < niceness:  # never raises a nicer one's
            os.setpriority(os.PRIO_PROCESS, me, niceness)


class MemorySampler:
    """Samples memory of this process and its descendants until ``stop()``.

    ``emit`` receives MemorySweep and ProcessesChanged events (from the sampler's thread).
    The engine names the DataLoader's workers with ``set_workers`` as it starts them.
    """

    def __init__(
        self,
        emit: Callable[[object], None],
        t0: float,
        interval: float = 0.1,
        full_budget: float = 0.005,
        root: int | None = None,
        namer: Namer | None = None,
    ) -> None:
        """``root``: the process whose tree is sampled (default: this one, the explorer's own
        run); ``namer`` names its processes (a traced job: ranks, loaders' workers)."""
        self._emit = emit
        self._t0 = t0
        self._workers: dict[int, int] = {}
        self._starting_workers = False  # while True, unnamed children are workers-to-be
        self._cgroup_limit = cgroup_limit()
        self._meminfo = MeminfoReader()
        self._rss_readers: dict[int, RssReader] = {}  # the tracked processes', kept open
        self.interval = interval
        self.full_budget = full_budget
        self._main = psutil.Process(root)
        self._namer = namer
        # A traced job's first process is named at discovery: its agent says who it is, or
        # it is a shell or launcher (see _root_name).
        self._tracked: dict[int, _Tracked] = {}
        if namer is None:
            self._tracked[self._main.pid] = (self._main, "main", None)
        self._helpers = 0
        self._next_discovery = 0.0
        self._next_full = 0.0
        self._sync_at: float | None = None  # when the engine expects to sync (monotonic)
        self._newcomers: dict[int, float] = {}  # read in full at the next sweep; seen when
        self._own_reading: OwnReading | None = None
        self._last_in_full = True
        self._last_worker_map: dict[int, int] = {}
        self._pool: ThreadPoolExecutor | None = None  # reads the workers at once (sync)
        # workers done with their epoch, being read (see worker_done): the sync's readings
        self._done_reads: dict[int, Future[tuple[Any, float]]] = {}
        self._cpu_lock = threading.Lock()  # cpu_s, from the pool's threads too
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()  # one sweep at a time: the loop's or sync()'s
        self._thread = threading.Thread(target=self._loop, name="memory-sampler", daemon=True)
        # CPU time its sweeps have used, on whichever thread they ran (its own, the engine's
        # loop for a sync, the pool that reads in parallel): what the sampler costs a run
        self.cpu_s = 0.0
        self.sweeps = 0
        self.full_sweeps = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, last_in_full: bool = True) -> None:
        """Take a last sweep (so that exited workers show as gone) and end the thread. The
        last sweep reads every process in full unless ``last_in_full`` is False: the caller
        has just had every process read in full (``sync``) and nothing has run since."""
        self._last_in_full = last_in_full
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        if not self._thread.is_alive():  # else its last sweep may still read them
            for reader in self._rss_readers.values():
                reader.close()
            self._meminfo.close()

    def starting_workers(self) -> None:
        """The engine is starting workers (``iter(loader)``; seconds with spawn): children
        with no name yet are workers-to-be, not helpers."""
        self._starting_workers = True

    def set_workers(self, pids: dict[int, int], own_reading: OwnReading | None = None) -> None:
        """{pid: worker id} of the DataLoader workers now running; ``own_reading(pid)``, the
        reading a worker took of itself at the end of its start-up (None until it has): a new
        worker's first row, instead of a reading of the sampler's own."""
        self._starting_workers = False
        self._workers = dict(pids)
        self._own_reading = own_reading
        self._wake.set()

    def mark_working(self, worker_id: int, baseline_uss: int) -> None:
        """Worker ``worker_id`` delivered its first batch; ``baseline_uss`` is the USS it
        measured itself at the end of its start-up (in ``worker_init_fn``)."""
        pid = self._pid_of(worker_id)
        if pid is not None and baseline_uss > 0:
            t = time.monotonic() - self._t0
            self._emit(WorkerBaseline(t, f"worker-{worker_id}", pid, baseline_uss))

    def expect_sync(self, at: float | None) -> None:
        """The engine expects to call ``sync`` at monotonic time ``at`` (the epoch's end,
        estimated from its batches so far), or no longer expects one (None). A scheduled full
        reading due within ``SYNC_AHEAD_S`` before then waits for the sync, which reads every
        process in full anyway. On the bench's lazy JPEG run, one due 0.1 s before the epoch's
        end read the three processes again (18 ms of CPU on busy cores), and a sync that came
        meanwhile, which the loop waits for, would have waited for it (a sweep holds the lock;
        the main process's reading took 96 ms at the sampler's low priority and ended 6 ms
        before the sync)."""
        self._sync_at = at

    def worker_done(self, worker_id: int) -> None:
        """Worker ``worker_id`` delivered what the engine reckons is its last batch of the
        epoch: read it in full now, in the background, on the core it has just left, and
        with the epoch's first such worker the main process too. The epoch's ``sync`` then
        waits for these readings instead of taking them while the loop waits: the main
        process's own took 6-12 ms of the loop's time at each epoch's end on the bench's
        lazy JPEG run (9-16 ms in all). The sync's sweep thus holds readings taken within
        the epoch's last batches, each worker's after its last. Called again for the same
        worker (it delivered another batch after all), the newer reading replaces the older."""
        pid = self._pid_of(worker_id)
        tracked = self._tracked.get(pid) if pid is not None else None
        if tracked is None or self._stop.is_set():
            return
        procs = [tracked[0]]
        if self._namer is None and self._main.pid not in self._done_reads:
            procs.append(self._main)
        for proc in procs:
            old = self._done_reads.pop(proc.pid, None)
            if old is not None:
                self._count_when_done(old)
            self._done_reads[proc.pid] = self._reader_pool().submit(_timed_full_info, proc)

    def _pid_of(self, worker_id: int) -> int | None:
        return next((p for p, w in self._workers.items() if w == worker_id), None)

    def _count_when_done(self, reading: Future[tuple[Any, float]]) -> None:
        """A background reading nobody will use: its CPU still counts as the sampler's."""
        reading.add_done_callback(lambda f: self._add_cpu(f.result()[1]))

    def _add_cpu(self, seconds: float) -> None:
        with self._cpu_lock:
            self.cpu_s += seconds

    def _reader_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="memory-sync")
        return self._pool

    def sync(self) -> None:
        """Sweep now, before returning, every process in full, read in parallel (the engine
        calls this at the last batch of an epoch, before its workers exit, so each is
        measured, in full, while alive, and the sum of PSS includes them at their largest).
        The processes being read since ``worker_done`` are not read again: their readings
        are waited for. It counts as a full sweep for the adaptive schedule."""
        self._sync_at = None
        if self._thread.is_alive():
            self.sweep(force_full=True)

    def _loop(self) -> None:
        yield_cpu()
        try:
            while True:
                start = time.monotonic()
                self._wake.clear()
                self.sweep()
                self._wake.wait(max(0.0, self.interval - (time.monotonic() - start)))
                if self._stop.is_set():
                    self.sweep(force_full=self._last_in_full)
                    break
        except Exception:  # never take the run down; say why the chart stopped
            log.exception("memory sampler failed")

    def sweep(self, force_full: bool = False) -> MemorySweep:
        """Read every tracked process: RSS always; USS and PSS when due, or when forced."""
        c0 = time.thread_time()
        with self._lock:
            event = self._sweep(force_full)
            self._add_cpu(time.thread_time() - c0)
        return event

    def _sweep(self, force_full: bool) -> MemorySweep:
        now = time.monotonic()
        self._discover(now)
        full = force_full or (now >= self._next_full and not self._sync_near(now))
        own, waiting = self._own_readings(now, wait=not force_full)
        tracked = [(pid, t) for pid, t in self._tracked.items() if pid not in waiting]
        in_full = {pid for pid, _t in tracked if full or pid in self._newcomers} - own.keys()
        for pid in in_full:
            self._newcomers.pop(pid, None)
        c0 = time.thread_time()
        # Forced: the caller waits, so read at once; on the sampler's own schedule, in turn.
        readings, cost = self._read_in_full(
            [proc for pid, (proc, _role, _name) in tracked if pid in in_full], at_once=force_full
        )
        readings.update(own)
        in_full |= own.keys()
        rows: list[ProcessMemory] = []
        gone: list[tuple[str, int]] = []
        for pid, (proc, role, name) in tracked:
            where = (name.rank, name.loader, name.worker) if name is not None else ()
            try:
                if pid in in_full:
                    m = readings[pid]
                    if isinstance(m, Exception):
                        raise m
                    pss = getattr(m, "pss", None)
                    rows.append(ProcessMemory(pid, role, m.rss, m.uss, pss, *where))
                else:
                    rss = self._rss_reader(proc).rss()
                    rows.append(ProcessMemory(pid, role, rss, None, None, *where))
            except psutil.AccessDenied:
                try:
                    rss = proc.memory_info().rss
                    rows.append(ProcessMemory(pid, role, rss, None, None, *where))
                except psutil.Error:
                    gone.append((role, pid))
            except psutil.Error:
                gone.append((role, pid))
                continue
            if rows and rows[-1].pid == pid and rows[-1].rss == 0:  # exiting: memory released
                rows.pop()
        if full:
            cost = max(cost, time.thread_time() - c0)
            self._next_full = now + max(MIN_FULL_INTERVAL_S, cost / self.full_budget)
            self.full_sweeps += 1
        elif in_full:  # newcomers' or workers' readings come out of the same budget
            self._next_full = max(self._next_full, now) + cost / self.full_budget
        for _role, pid in gone:
            self._tracked.pop(pid, None)
            reader = self._rss_readers.pop(pid, None)
            if reader is not None:
                reader.close()
        t = now - self._t0
        if gone:
            self._emit(ProcessesChanged(t, exited=tuple(gone)))
        system = read_system_memory(self._cgroup_limit, self._meminfo)
        event = MemorySweep(t, tuple(rows), full, system)
        self._emit(event)
        self.sweeps += 1
        return event

    def _rss_reader(self, proc: psutil.Process) -> RssReader:
        """The reader kept open for ``proc`` (a new one where its pid now names another
        process's handle)."""
        reader = self._rss_readers.get(proc.pid)
        if reader is None or not reader.reads(proc):
            if reader is not None:
                reader.close()
            reader = self._rss_readers[proc.pid] = RssReader(proc)
        return reader

    def _sync_near(self, now: float) -> bool:
        """Whether the engine's next ``sync`` is expected soon enough to stand for a
        scheduled full reading (see ``expect_sync``)."""
        at = self._sync_at
        return at is not None and now - SYNC_LATE_S <= at <= now + SYNC_AHEAD_S

    def _own_readings(self, now: float, wait: bool) -> tuple[dict[int, Any], set[int]]:
        """New workers' own start-up readings (see ``set_workers``), and (``wait``) the new
        workers still waiting for theirs: not shown until it comes, or the wait is over and
        the sampler reads them itself (a spawned worker imports torch for seconds before it
        starts)."""
        own: dict[int, Any] = {}
        waiting: set[int] = set()
        if self._own_reading is None:
            return own, waiting
        for pid, seen in list(self._newcomers.items()):
            if pid not in self._workers:
                continue
            reading = self._own_reading(pid)
            if reading is not None:
                own[pid] = reading
                del self._newcomers[pid]
            elif wait and now - seen < OWN_READING_WAIT_S:
                waiting.add(pid)
        return own, waiting

    def _read_in_full(
        self, procs: list[psutil.Process], at_once: bool
    ) -> tuple[dict[int, Any], float]:
        """Each process's full figures (or the psutil error that reading it raised), and the
        CPU time the readings took. ``at_once``: in parallel, each in its own thread (the
        kernel walks each process's page tables), so that the caller waits for the slowest
        reading, not for all of them in turn (two workers: median 10-13 -> 7-8 ms). With
        ``at_once``, a worker being read since it finished its epoch (``worker_done``) is not
        read again: its reading is waited for."""
        done: dict[int, Future[tuple[Any, float]]] = {}
        if at_once:
            wanted = {p.pid for p in procs}
            pending, self._done_reads = self._done_reads, {}
            for pid, future in pending.items():
                if pid in wanted:
                    done[pid] = future
                else:  # not read in this sweep after all (gone meanwhile)
                    self._count_when_done(future)
            procs = [p for p in procs if p.pid not in done]
        pool_cpu = 0.0  # the pool's threads'; this thread's is counted by sweep()
        if not at_once or len(procs) < 2:
            c0 = time.thread_time()
            readings = {proc.pid: _full_info(proc) for proc in procs}
            own_cpu = time.thread_time() - c0
        else:
            others = self._reader_pool().map(_timed_full_info, procs[1:])  # started now
            first, own_cpu = _timed_full_info(procs[0])  # meanwhile, in this thread
            readings = {procs[0].pid: first}
            for proc, (m, cpu) in zip(procs[1:], others, strict=True):
                readings[proc.pid] = m
                pool_cpu += cpu
        for pid, future in done.items():
            readings[pid], cpu = future.result()
            pool_cpu += cpu
        self._add_cpu(pool_cpu)
        return readings, own_cpu + pool_cpu

    def tracked_pids(self) -> list[int]:
        """The processes being sampled now."""
        return list(self._tracked)

    def rediscover(self) -> None:
        """Look for processes and their names at the next sweep (a traced job said who is who)."""
        self._next_discovery = 0.0
        self._wake.set()

    def _discover(self, now: float) -> None:
        workers = self._workers
        if workers == self._last_worker_map and now < self._next_discovery:
            return
        self._last_worker_map = dict(workers)
        self._next_discovery = now + DISCOVERY_INTERVAL_S
        children = descendants(self._main, {pid: t[0] for pid, t in self._tracked.items()})
        listed = {proc.pid for proc in children}
        for pid in workers.keys() - listed:  # the engine's own: named even where not listed
            with contextlib.suppress(psutil.Error):
                children.append(psutil.Process(pid))
        started: list[tuple[str, int]] = []
        renamed: list[tuple[str, int]] = []
        for proc in children if self._namer is None else [self._main, *children]:
            pid = proc.pid
            name = None
            if self._namer is not None:
                name = self._namer(proc) or (self._root_name() if proc is self._main else None)
                known = self._tracked.get(pid)
                if name is not None:
                    role = name.role
                elif known is not None:
                    continue
                else:
                    try:
                        parent = proc.ppid()
                    except psutil.Error:
                        continue
                    # multiprocessing's helpers of a job's process; a forkserver's children
                    # inherit its command line but are workers-to-be, not helpers
                    owner = self._tracked.get(parent)
                    is_helper_child = owner is not None and owner[2] is None
                    role = None if is_helper_child else helper_role(proc, parent)
                    role = role or self._unnamed_role(proc)
            elif pid in workers:
                role = f"worker-{workers[pid]}"
            elif pid in self._tracked:
                continue
            else:
                role = helper_role(proc, self._main.pid) or self._unnamed_role(proc)
            if role is None:
                continue
            known = self._tracked.get(pid)
            if known is not None and known[1] == role:
                continue
            if known is not None:
                renamed.append((known[1], pid))
            self._tracked[pid] = (proc, role, name)
            started.append((role, pid))
        if started:
            # A newcomer's USS/PSS at once; the others' on their own schedule (the main
            # process's reading costs the most, and workers start on cores it would take).
            self._newcomers.update((pid, now) for _role, pid in started)
            self._emit(
                ProcessesChanged(now - self._t0, started=tuple(started), exited=tuple(renamed))
            )

    def _root_name(self) -> ProcessName | None:
        """A traced job's first process that no agent named once the grace is over: a shell,
        a launcher script (``torchrun`` as a shim), a program that is not Python."""
        try:
            age = time.time() - self._main.create_time()
        except psutil.Error:
            return None
        return ProcessName("launcher") if age >= UNNAMED_GRACE_S else None

    def _unnamed_role(self, proc: psutil.Process) -> str | None:
        if self._starting_workers:
            return None
        try:
            age = time.time() - proc.create_time()
        except psutil.Error:
            return None
        if age < UNNAMED_GRACE_S:
            return None
        self._helpers += 1
        return f"helper-{self._helpers}"
