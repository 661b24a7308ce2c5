"""The run engine: builds the dataset and the real ``torch.utils.data.DataLoader`` from a run
configuration, iterates it, and reports everything as plain events.

``run(config, emit, stop)`` is a plain function: the window calls it on a QThread, the headless
command line on its main thread. ``emit`` is called from the calling thread and from the memory
sampler's thread, so it must be thread-safe (a Qt signal emit is; so is RunRecorder).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from torch.utils.data import DataLoader

from ..datasets.dataset_factory import BuiltDataset, build_dataset
from ..datasets.release import release_dataset
from ..datasets.user_code import UserCodeError, user_error, worker_error
from ..errors import Cancelled, ConfigError, DatasetError, WorkerDied
from ..health.folder import SkippedFile
from ..memory.budget import predict
from ..memory.sampler import MemorySampler
from ..memory.system_memory import cgroup_limit, read_system_memory
from ..preview.maker import PreviewMaker
from .config import RunConfig
from .events import (
    BatchDone,
    DatasetProgress,
    DatasetReady,
    EpochStarted,
    RunFinished,
    RunStarted,
)
from .fork_yield import yielding_after_forks
from .spawn_payload import one_pickle, via_file
from .start_up import StartUpReadings
from .worker_death import dead_workers, explain

log = logging.getLogger(__name__)

Emit = Callable[[object], None]
PROGRESS_INTERVAL_S = 0.1


def worker_pids(iterator: Any) -> dict[int, int]:
    """{pid: worker id} of a DataLoader iterator's worker processes, known from the moment they
    start (``_workers`` is the iterator's list of processes, in worker-id order)."""
    procs = getattr(iterator, "_workers", None) or []
    return {p.pid: wid for wid, p in enumerate(procs) if getattr(p, "pid", None)}


def die_with_parent() -> None:
    """Linux: the kernel kills this worker if the thread that started it ends first. A
    process that is killed or aborts cannot shut its workers down; without this they may
    block forever on a pipe nobody reads (seen: orphans alive for hours)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux
        return
    parent = multiprocessing.parent_process()
    if parent is not None and not parent.is_alive():  # it died before the line above
        os._exit(0)


PR_SET_PDEATHSIG = 1


def worker_start_up(readings: StartUpReadings, worker_id: int) -> None:
    """``worker_init_fn``: the worker reads its own memory once it has started, before its
    first sample (see ``start_up``): the baseline against which copy-on-read is measured.

    It also makes the worker ignore SIGINT. Ctrl+C in a terminal goes to the whole process
    group: a worker interrupted mid-put would die holding the queue's lock, or leave its
    feeder thread blocked on a pipe nobody reads (an orphan that never ends), while the main
    process, which did get the signal, ends every worker cleanly anyway.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    readings.record(worker_id)


def run(
    config: RunConfig,
    emit: Emit,
    stop: threading.Event | None = None,
    before_workers: Callable[[], None] | None = None,
    forking: Callable[[bool], None] | None = None,
) -> RunFinished:
    """Run ``config`` to completion, stop or failure; return (and emit) the RunFinished event.

    ``before_workers``, if given, is called on this thread once the run's first events are
    out and just before its first worker processes are forked. The window waits there until
    it has handled the run's start: forking copies this whole process's page tables with the
    interpreter lock held (about 12 ms per worker for 240 MiB here), and then every page the
    window writes to is copied on its first write; on top of the window's busiest moment,
    the three together stopped it for 60-150 ms here.

    ``forking``, if given, is called on this thread with True before each epoch's worker
    processes are started (before ``before_workers``; for a later epoch, as the epoch before
    it delivers its last batch, so that the window hears of it in time) and with False once
    they have been, whatever happened: a window can leave its heavier redraws until then
    (see ``MemoryChart.hold``)."""
    stop = stop or threading.Event()
    t0 = time.monotonic()

    def now() -> float:
        return time.monotonic() - t0

    try:
        config.validate()
    except ConfigError as exc:
        finished = RunFinished(now(), "failed", str(exc))
        emit(finished)
        return finished

    sampler = MemorySampler(emit, t0)
    emit(RunStarted(0.0, config.to_dict(), os.getpid()))
    sampler.start()
    counts = _Counts()
    loader: _Loader | None = None
    preview: PreviewMaker | None = None
    built: BuiltDataset | None = None
    try:
        built = build_dataset(config, _progress_emitter(emit, now), stop)
        emit(DatasetReady(now(), built.info))
        emit(
            predict(config, built, read_system_memory(cgroup_limit()), now(), config.memory_budget)
        )
        loader = _Loader(config, built)
        preview = PreviewMaker(config, built, emit, now)
        status = _iterate(
            config,
            loader.loader,
            built,
            emit,
            stop,
            now,
            counts,
            sampler,
            loader.start_up,
            preview,
            before_workers,
            forking,
        )
        reason, details = "", ""
    except Exception as exc:
        status, reason, details = _outcome(exc, config)
    finally:
        if preview is not None:
            preview.close()  # its last preview comes before the run's end
        sampler.stop(last_in_full=not counts.synced)
        if loader is not None:
            loader.cleanup()
        if built is not None and config.dataset is None:  # the workers are gone
            release_dataset(built.dataset)
    finished = RunFinished(
        now(),
        status,
        reason,
        counts.batches,
        counts.samples,
        details,
        counts.wait_s,
        counts.loop_s,
        tool_cpu_s=sampler.cpu_s + (preview.cpu_s if preview is not None else 0.0),
    )
    emit(finished)
    return finished


class _Loader:
    """The real ``DataLoader`` for a built dataset, with the explorer's ``worker_init_fn``
    (each worker's start-up USS, SIGINT ignored, death with its parent) and, for spawned and
    forkserver workers, the dataset passed through a file (see ``spawn_payload``)."""

    def __init__(self, config: RunConfig, built: BuiltDataset) -> None:
        if built.iterable and config.shuffle:
            raise DatasetError(
                "--shuffle does not apply to an IterableDataset: it decides its own order"
            )
        self.start_up: StartUpReadings | None = None  # each worker's, once it has started
        self._payload = None
        extra: dict[str, Any] = {}
        if config.workers:
            context = multiprocessing.get_context(config.resolved_start_method)
            self.start_up = StartUpReadings(context, config.workers)
            extra = {
                "multiprocessing_context": context,
                "persistent_workers": config.persistent_workers,
                "worker_init_fn": functools.partial(worker_start_up, self.start_up),
            }
            if config.prefetch_factor is not None:
                extra["prefetch_factor"] = config.prefetch_factor
        dataset = built.dataset
        if config.workers and config.resolved_start_method != "fork":
            dataset = self._payload = via_file(dataset)
        try:
            with warnings.catch_warnings():  # pin_memory without an accelerator: in the budget
                warnings.filterwarnings("ignore", message=".*pin_memory.*")
                self.loader = DataLoader(
                    dataset,
                    batch_size=config.batch_size,
                    shuffle=config.shuffle,
                    num_workers=config.workers,
                    collate_fn=built.collate(),
                    pin_memory=config.pin_memory,
                    **extra,
                )
        except BaseException:
            self.cleanup()
            raise

    def cleanup(self) -> None:
        if self._payload is not None:
            self._payload.cleanup()
            self._payload = None


def _outcome(exc: Exception, config: RunConfig) -> tuple[str, str, str]:
    """How a run that raised ``exc`` ended: (status, one-line reason, details)."""
    if isinstance(exc, StopWaiting):
        return "stopped", "", ""
    if isinstance(exc, Cancelled):
        return "stopped", str(exc), ""
    if isinstance(exc, DatasetError | WorkerDied):
        return "failed", str(exc), ""
    if isinstance(exc, UserCodeError):
        return "failed", exc.message, exc.details
    reason, details = _failure(exc, users_code=config.dataset is not None)
    return "failed", reason, details


def _failure(exc: BaseException, users_code: bool) -> tuple[str, str]:
    """A run's exception as (one line, a traceback). One raised in a worker and re-raised
    by the DataLoader is told from the worker's traceback; with the user's own dataset the
    frames shown are theirs."""
    text = str(exc)
    prefix = "your dataset raised " if users_code else ""
    if "Original Traceback" in text:
        line, tb = worker_error(text)
        return prefix + line, tb
    if users_code:
        err = user_error(exc, "your dataset raised")
        return err.message.replace("raised: ", "raised ", 1), err.details
    log.exception("run failed")
    return f"{type(exc).__name__}: {exc}", traceback.format_exc()


class _Counts:
    def __init__(self) -> None:
        self.batches = 0
        self.samples = 0
        self.wait_s = 0.0
        self.loop_start: float | None = None  # monotonic time of the first request for a batch
        self.loop_end: float | None = None  # after the last step
        self.first_batch: float | None = None  # monotonic time the first batch arrived
        # every process was read in full (MemorySampler.sync) after the last batch arrived
        self.synced = False

    def steady_over(self, seconds: float) -> bool:
        """Whether ``seconds`` have passed since the first batch arrived."""
        if self.first_batch is None:
            self.first_batch = time.monotonic()
        return time.monotonic() - self.first_batch >= seconds

    @property
    def loop_s(self) -> float:
        if self.loop_start is None or self.loop_end is None:
            return 0.0
        return self.loop_end - self.loop_start


def _iterate(
    config: RunConfig,
    loader: DataLoader,
    built: BuiltDataset,
    emit: Emit,
    stop: threading.Event,
    now: Callable[[], float],
    counts: _Counts,
    sampler: MemorySampler,
    start_up: StartUpReadings | None,
    preview: PreviewMaker,
    before_workers: Callable[[], None] | None = None,
    forking: Callable[[bool], None] | None = None,
) -> str:
    try:
        per_epoch: int | None = len(loader)
    except TypeError:  # an IterableDataset without __len__
        per_epoch = None
    iterator = None
    working: set[int] = set()  # workers whose USS baseline has been asked for
    notice = _ForkNotice(forking)
    try:
        for epoch in range(config.epochs):
            if stop.is_set():
                return "stopped"
            remaining = None if config.max_batches is None else config.max_batches - counts.batches
            batches = per_epoch if remaining is None else min(per_epoch or remaining, remaining)
            emit(EpochStarted(now(), epoch, batches))
            # With persistent workers, iter() resets the same iterator and its processes.
            starts_workers = iterator is None and bool(config.workers)
            wait = before_workers if epoch == 0 else None
            iterator = _epoch_iterator(loader, starts_workers, stop, sampler, wait, notice)
            if iterator is None:
                return "stopped"
            interruptible(iterator, stop)
            if not config.persistent_workers:
                working = set()
            sampler.set_workers(worker_pids(iterator), start_up.of_pid if start_up else None)
            in_epoch = 0
            epoch_t0 = time.monotonic()
            while True:
                if stop.is_set():
                    return "stopped"
                t_ask = time.monotonic()
                if counts.loop_start is None:
                    counts.loop_start = t_ask
                try:
                    batch = next(iterator)
                except StopIteration:
                    break
                except StopWaiting:
                    return "stopped"
                except (RuntimeError, OSError, EOFError) as exc:
                    # A worker killed mid-write can break the pipe before PyTorch notices.
                    died = _dead_workers(
                        iterator, wait_s=1.0 if isinstance(exc, OSError | EOFError) else 0.0
                    )
                    if died:
                        raise WorkerDied(" ".join(explain(*d) for d in died)) from exc
                    raise
                wait = time.monotonic() - t_ask
                counts.synced = False
                counts.wait_s += wait
                event = _batch_event(batch, counts.batches, epoch, wait, config, built, now)
                emit(event)
                preview.offer(batch, event)
                del batch  # the loop holds no batch while it steps (the preview may)
                if event.worker is not None and event.worker not in working and start_up:
                    working.add(event.worker)
                    sampler.mark_working(event.worker, start_up.uss(event.worker))
                if config.step_ms:
                    time.sleep(config.step_ms / 1000)  # the model's step, as the host sees it
                counts.loop_end = done = time.monotonic()
                counts.batches += 1
                counts.samples += event.samples
                in_epoch += 1
                if batches and config.workers:
                    at = (in_epoch, batches, epoch_t0, done)
                    counts.synced = _read_at_epoch_end(sampler, config.workers, event.worker, *at)
                if config.max_batches is not None and counts.batches >= config.max_batches:
                    return "completed"
                if config.steady_s is not None and counts.steady_over(config.steady_s):
                    return "completed"
                if in_epoch == batches and _forks_again(config, epoch):
                    # Said now, while this epoch's workers end: the next epoch's forks do not
                    # wait for the window, whose hold would otherwise come after them.
                    notice.say(True)
            if not config.persistent_workers:
                _end_workers(config, sampler, iterator, counts.synced, start_up)
                iterator = None
        return "completed"
    finally:
        notice.say(False)  # a run that ended before the epoch it announced
        if iterator is not None:
            _end_workers(config, sampler, iterator, counts.synced, start_up, now=stop.is_set())


def _read_at_epoch_end(
    sampler: MemorySampler,
    workers: int,
    worker: int | None,
    in_epoch: int,
    batches: int,
    epoch_t0: float,
    done: float,
) -> bool:
    """The sampler's full readings around an epoch's end, once batch ``in_epoch`` of
    ``batches`` (from ``worker``, one of ``workers``) has been handled at ``done``: whether
    every process was read in full (``sync``)."""
    if batches - in_epoch < workers:
        # the last batch of its worker this epoch, as the DataLoader hands indices round the
        # workers in turn: read that worker now, while the others load
        sampler.worker_done(worker)
    if in_epoch == batches:
        # the last batch: an exhausted iterator ends its workers inside next(), so measure
        # them, in full, now
        sampler.sync()
        return True
    # when that will be, at this epoch's pace
    sampler.expect_sync(done + (done - epoch_t0) / in_epoch * (batches - in_epoch))
    return False


class _ForkNotice:
    """``run``'s ``forking``, said only when it changes: True as early as an epoch's forks are
    known to come (again at the forks is no news), False once they are over or the run has
    ended first."""

    def __init__(self, forking: Callable[[bool], None] | None) -> None:
        self._forking = forking
        self._on = False

    def say(self, on: bool) -> None:
        if self._forking is not None and on != self._on:
            self._on = on
            self._forking(on)


def _forks_again(config: RunConfig, epoch: int) -> bool:
    """Whether the epoch after ``epoch`` starts worker processes of its own."""
    return bool(config.workers) and not config.persistent_workers and epoch + 1 < config.epochs


def _epoch_iterator(
    loader: DataLoader,
    starts_workers: bool,
    stop: threading.Event,
    sampler: MemorySampler,
    before_workers: Callable[[], None] | None,
    notice: _ForkNotice,
) -> Any:
    """``iter(loader)`` for an epoch. Where that starts worker processes (``starts_workers``),
    it comes between ``notice.say(True)`` and ``notice.say(False)``, after ``before_workers``;
    None where the user pressed Stop meanwhile (no worker has started)."""
    if starts_workers:
        notice.say(True)
    try:
        if starts_workers:
            if before_workers is not None:
                before_workers()
                if stop.is_set():
                    return None
            sampler.starting_workers()
        return _iter(loader)
    finally:
        notice.say(False)


def _dead_workers(iterator: Any, wait_s: float) -> list[tuple[int, int, int]]:
    """The iterator's workers that died, waiting up to ``wait_s`` for one to be seen dead."""
    deadline = time.monotonic() + wait_s
    while True:
        died = dead_workers(getattr(iterator, "_workers", ()))
        if died or time.monotonic() >= deadline:
            return died
        time.sleep(0.02)


def _end_workers(
    config: RunConfig,
    sampler: MemorySampler,
    iterator: Any,
    synced: bool,
    start_up: StartUpReadings | None,
    now: bool = False,
) -> None:
    """End the iterator's workers; each is measured, in full, before it goes, unless that
    was done after the last batch (``synced``; an exhausted iterator has ended them since)."""
    if config.workers and not synced:
        sampler.sync()
    shutdown_iterator(iterator, now, start_up.started if start_up else None)


class StopWaiting(Exception):
    """The user stopped the run while the main loop was waiting for a batch."""


def _iter(loader: DataLoader) -> Any:
    with warnings.catch_warnings():  # said in the budget's note instead
        warnings.filterwarnings("ignore", message=".*pin_memory.*")
        with one_pickle(loader.dataset), yielding_after_forks():
            return iter(loader)


def interruptible(iterator: Any, stop: threading.Event, poll_s: float = 0.1) -> None:
    """Make a multi-process iterator's wait for data notice ``stop`` (and a dead worker)
    within ``poll_s``, not PyTorch's 5 s status-check interval: Stop must work while the
    first batch is still seconds away, and a killed worker must be reported at once.

    ``_try_get_data`` is the one place the iterator waits; it checks for dead workers each
    time its wait times out. The instance attribute shadows the method for this iterator
    only (persistent workers keep the same iterator object across epochs).
    """
    original = getattr(iterator, "_try_get_data", None)
    if original is None or getattr(original, "_interruptible", False):
        return

    def try_get_data(timeout: float | None = None) -> tuple[bool, Any]:
        ok, data = original(timeout=poll_s if timeout is None else min(timeout, poll_s))
        if not ok and stop.is_set():
            raise StopWaiting
        return ok, data

    try_get_data._interruptible = True  # type: ignore[attr-defined]
    iterator._try_get_data = try_get_data


def shutdown_iterator(
    iterator: Any, now: bool = False, started: Callable[[int], bool] | None = None
) -> None:
    """End a DataLoader iterator's worker processes now rather than at garbage collection.

    ``_shutdown_workers`` is what the iterator's own ``__del__`` calls; calling it here makes
    the moment deterministic (an exception's traceback can keep the iterator alive). With
    ``now`` (the user pressed Stop) the workers get ``STOP_GRACE_S``, not PyTorch's 5 s, to
    exit by themselves, and are then terminated: one still importing torch under spawn would
    otherwise keep PyTorch's shutdown waiting 5 s for it. ``started(pid)``, if given, says
    whether a worker has finished starting; one that has not gets no grace (see
    ``_end_workers_soon``).
    """
    if now:
        _end_workers_soon(iterator, started=started)
    shutdown = getattr(iterator, "_shutdown_workers", None)
    if shutdown is not None:
        shutdown()
    # interruptible()'s wrapper refers to the iterator: without it, the iterator and its
    # queues' pipes are freed now, not at the next garbage collection.
    vars(iterator).pop("_try_get_data", None)


#: How long a stopped run's workers get to finish the sample in hand and exit by themselves.
STOP_GRACE_S = 0.5


def _end_workers_soon(
    iterator: Any, grace_s: float = STOP_GRACE_S, started: Callable[[int], bool] | None = None
) -> None:
    """Ask the workers to exit as PyTorch's own shutdown does (the done event, then ``None``
    on each index queue: a worker skips the indices still queued), wait up to ``grace_s``
    for all of them, then terminate the rest. A worker that exits by itself runs its
    finalizers; a terminated one leaves its ``pymp-*`` folder (the socket through which it
    shares tensors) in the temporary directory for good: two per Stop, before this.

    A worker that ``started`` says has not finished starting (spawned, still importing
    torch) is terminated at once: it has made no folder yet, and in six Stops pressed as
    four spawned workers began, none had seen the done event when the grace ran out. Those
    Stops took 0.8-2.0 s, half a second of it this wait."""
    workers = [w for w in getattr(iterator, "_workers", ()) if w.is_alive()]
    if started is not None:
        for w in workers:
            if not started(w.pid):
                w.terminate()
    done = getattr(iterator, "_workers_done_event", None)
    if done is not None:
        done.set()
        for queue in getattr(iterator, "_index_queues", ()):
            with contextlib.suppress(OSError, ValueError):  # a queue already closed
                queue.put(None)
    deadline = time.monotonic() + grace_s
    for w in workers:
        w.join(timeout=max(0.0, deadline - time.monotonic()))
    for w in workers:
        if w.is_alive():
            w.terminate()  # one still importing torch under spawn: PyTorch would wait 5 s
    for w in workers:
        w.join(timeout=2.0)


def _batch_event(batch, number, epoch, wait, config, built, now) -> BatchDone:
    t = now()
    to_run = t - time.monotonic()  # monotonic time -> seconds since the run started
    if built.collate_fn is not None:
        return _user_batch_event(batch, number, epoch, wait, t, to_run, config)
    worker = int(batch["worker"][0]) if config.workers else None
    errors = batch["error"]  # a list: its length is cheaper than a tensor's (1.8 µs)
    failed: tuple[SkippedFile, ...] = ()
    if any(errors):
        failed = tuple(
            SkippedFile(built.describe(int(i)).path or f"#{int(i)}", e)
            for i, e in zip(batch["index"], errors, strict=False)
            if e
        )
    # the batch's timings, reduced where it was made (collate_samples)
    return BatchDone(
        t,
        number,
        epoch,
        worker,
        wait,
        len(errors),
        failed,
        None,
        batch["fetch_start"] + to_run,
        batch["fetch_end"] + to_run,
        batch["decode_s"],
    )


def _user_batch_event(batch, number, epoch, wait, t, to_run, config) -> BatchDone:
    """A batch of the user's dataset: (their batch, an (n, 4) tensor of index, worker, fetch
    start and end)."""
    _user_batch, meta = batch
    n = int(meta.shape[0])
    worker = int(meta[0, 1]) if config.workers and n else None
    timing = {}
    if n:
        starts, ends = meta[:, 2].tolist(), meta[:, 3].tolist()  # lists: cheaper than torch
        timing = {
            "fetch_start": min(starts) + to_run,
            "fetch_end": max(ends) + to_run,
            "decode_s": sum(ends) - sum(starts),
        }
    return BatchDone(t, number, epoch, worker, wait, n, (), None, **timing)


def _progress_emitter(emit: Emit, now: Callable[[], float]) -> Callable[[int, int], None]:
    state = {"t0": time.monotonic(), "last": 0.0}

    def progress(done: int, total: int) -> None:
        t = time.monotonic()
        if done < total and t - state["last"] < PROGRESS_INTERVAL_S:
            return
        state["last"] = t
        elapsed = t - state["t0"]
        emit(DatasetProgress(now(), "prepare", done, total, done / elapsed if elapsed > 0 else 0.0))

    return progress
