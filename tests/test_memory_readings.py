"""The end of an epoch reads every worker, in full, before it goes: all at once, and a worker
already gone is said to be gone; the sampler's own full readings give way to it."""

import collections
import multiprocessing
import os
import time

import psutil
import pytest

from explorer.core.memory import sampler as sampler_module
from explorer.core.memory.proc_files import MeminfoReader, RssReader
from explorer.core.memory.sampler import MemorySampler
from explorer.core.run.events import MemorySweep, ProcessesChanged


def _wait(ready):
    ready.release()
    time.sleep(30)


def test_every_worker_is_read_in_full_at_once_and_a_gone_one_is_said_gone():
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Semaphore(0)
    procs = [ctx.Process(target=_wait, args=(ready,), daemon=True) for _ in range(3)]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            assert ready.acquire(timeout=30)
        events = []
        sampler = MemorySampler(events.append, time.monotonic())
        sampler.set_workers({p.pid: i for i, p in enumerate(procs)})
        sampler.sweep()  # finds them
        procs[2].kill()
        procs[2].join(5)
        sweep = sampler.sweep(force_full=True)  # what the engine's sync does
        assert isinstance(sweep, MemorySweep) and sweep.full
        rows = {r.pid: r for r in sweep.rows}
        for p in [*procs[:2], psutil.Process()]:
            assert rows[p.pid].uss is not None and rows[p.pid].pss is not None
            assert 0 < rows[p.pid].uss <= rows[p.pid].rss
        assert procs[2].pid not in rows
        gone = [pid for e in events if isinstance(e, ProcessesChanged) for _, pid in e.exited]
        assert gone == [procs[2].pid]
        sampler.stop()
    finally:
        for p in procs:
            p.kill()
            p.join(5)


MiB = 1024 * 1024


def _grow(conn):
    held = []
    while True:
        held.append(b"\x01" * (conn.recv() * MiB))  # written: resident
        conn.send(len(held))


def test_a_worker_done_with_its_epoch_is_read_then_and_the_sync_takes_that_reading(
    monkeypatch,
):
    """The engine says which worker delivered its last batch of the epoch: it is read in
    full then (with the main process, once an epoch), and the sync that follows waits for
    those readings rather than reading them again while the loop waits; a worker said done
    twice (it delivered another batch after all) is shown as it was the second time."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_grow, args=(child,), daemon=True)
    proc.start()
    reads = collections.Counter()
    real = sampler_module._full_info

    def counted(p):
        reads[p.pid] += 1
        return real(p)

    monkeypatch.setattr(sampler_module, "_full_info", counted)
    try:
        sampler = MemorySampler(lambda e: None, time.monotonic(), full_budget=1e-9)
        sampler.set_workers({proc.pid: 0})
        first = {r.pid: r for r in sampler.sweep().rows}[proc.pid]  # a newcomer: in full
        assert first.uss is not None
        before = dict(reads)
        for mb in (40, 40):
            parent.send(mb)
            parent.recv()
            sampler.worker_done(0)
        sweep = sampler.sweep(force_full=True)  # what the engine's sync does
        rows = {r.pid: r for r in sweep.rows}
        assert rows[proc.pid].uss - first.uss >= 0.95 * 80 * MiB, rows[proc.pid].uss / MiB
        assert rows[os.getpid()].pss is not None
        assert reads[proc.pid] - before[proc.pid] == 2  # once per worker_done, not by the sync
        assert reads[os.getpid()] - before[os.getpid()] == 1  # once, with the first worker
        sampler.stop()
    finally:
        proc.kill()
        proc.join(5)


def test_rss_read_through_a_file_kept_open_is_psutils_and_never_another_process():
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Semaphore(0)
    proc = ctx.Process(target=_wait, args=(ready,), daemon=True)
    proc.start()
    assert ready.acquire(timeout=30)
    reader = RssReader(psutil.Process(proc.pid))
    assert reader.rss() == psutil.Process(proc.pid).memory_info().rss
    proc.kill()
    proc.join(5)
    with pytest.raises(psutil.NoSuchProcess):  # reaped: its pid may name another one now
        reader.rss()
    total, available = MeminfoReader().total_available()
    vm = psutil.virtual_memory()
    assert total == vm.total
    assert abs(available - vm.available) < 256 * MiB  # read a moment apart


def test_a_full_reading_due_just_before_the_engines_sync_waits_for_the_sync(monkeypatch):
    """The sync at an epoch's end reads every process in full: a scheduled full reading due
    shortly before it would read them twice (and the sync, which the loop waits for, would
    wait for it). One whose sync is far off, or late, goes ahead."""
    monkeypatch.setattr(sampler_module, "MIN_FULL_INTERVAL_S", 0.0)
    sampler = MemorySampler(lambda e: None, time.monotonic(), full_budget=1e9)  # always due
    assert sampler.sweep().full
    sampler.expect_sync(time.monotonic() + 0.5)
    assert not sampler.sweep().full
    sampler.expect_sync(time.monotonic() + 5 * sampler_module.SYNC_AHEAD_S)
    assert sampler.sweep().full
    sampler.expect_sync(time.monotonic() - 2 * sampler_module.SYNC_LATE_S)  # a stalled loader
    assert sampler.sweep().full
    sampler.expect_sync(time.monotonic() + 0.5)
    sampler.sync()  # the sync has come: the schedule is the sampler's own again
    assert sampler.sweep().full


def test_memory_is_trimmed_without_starting_a_process(monkeypatch):
    """The first trim used to find the C library by running ``ldconfig -p``: a fork of the
    window's whole process."""
    import subprocess

    from explorer.core.memory import memory_trim

    started = []
    real_init = subprocess.Popen.__init__

    def popen(self, *args, **kwargs):
        started.append(args)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", popen)
    memory_trim.libc_function.cache_clear()
    assert memory_trim.trim_memory() is True  # glibc, on this project's machines
    assert started == []
