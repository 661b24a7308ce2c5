"""How workers' USS and PSS are read: each worker's own reading at start-up is its first on
the chart, and the end of an epoch reads every worker, in full, before it goes."""

import multiprocessing
import time

from conftest import run_engine

from explorer.core.memory.sampler import MemorySampler
from explorer.core.memory.start_up import StartUpReadings
from explorer.core.run.config import RunConfig
from explorer.core.run.events import MemorySweep, ProcessesChanged, WorkerBaseline


def test_a_workers_first_uss_and_pss_are_its_own_start_up_reading():
    finished, events = run_engine(RunConfig(random="2000:3x16x16", workers=2, batch_size=50))
    assert finished.status == "completed"
    baselines = {e.pid: e.uss for e in events if isinstance(e, WorkerBaseline)}
    assert len(baselines) == 2
    for pid, uss in baselines.items():
        first = next(
            r
            for e in events
            if isinstance(e, MemorySweep)
            for r in e.rows
            if r.pid == pid and r.uss is not None
        )
        assert first.uss == uss  # the worker's own reading, not a second one from outside
        assert first.pss is not None and 0 < first.pss <= first.rss


def _wait(ready, readings, worker_id):
    readings.record(worker_id)
    ready.release()
    time.sleep(30)


def test_every_worker_is_read_in_full_at_once_and_a_gone_one_is_said_gone():
    ctx = multiprocessing.get_context("fork")
    readings = StartUpReadings(ctx, 3)
    ready = ctx.Semaphore(0)
    procs = [ctx.Process(target=_wait, args=(ready, readings, i), daemon=True) for i in range(3)]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            assert ready.acquire(timeout=30)
        assert all(readings.read(i)[0] > 0 and readings.read(i)[1] > 0 for i in range(3))
        events = []
        sampler = MemorySampler(events.append, time.monotonic())
        sampler.set_workers({p.pid: i for i, p in enumerate(procs)}, readings)
        sampler.sweep()  # finds them
        procs[2].kill()
        procs[2].join(5)
        sweep = sampler.sweep(force_full=True, workers_only=True)
        rows = {r.pid: r for r in sweep.rows}
        for p in procs[:2]:
            assert rows[p.pid].uss is not None and rows[p.pid].pss is not None
        assert procs[2].pid not in rows
        gone = [pid for e in events if isinstance(e, ProcessesChanged) for _, pid in e.exited]
        assert gone == [procs[2].pid]
        sampler.stop()
    finally:
        for p in procs:
            p.kill()
            p.join(5)
