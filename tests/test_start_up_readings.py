"""Each worker's own start-up reading: it belongs to the process that took it, so a new
epoch's worker (a new process in the same slot) is never shown the last one's reading."""

import multiprocessing

from explorer.core.run.start_up import StartUpReadings


def _record(readings, worker_id, go):
    go.wait(30)
    readings.record(worker_id)


def _worker(ctx, readings, worker_id):
    go = ctx.Event()
    proc = ctx.Process(target=_record, args=(readings, worker_id, go), daemon=True)
    proc.start()
    return proc, go


def test_a_reading_belongs_to_the_process_that_took_it():
    ctx = multiprocessing.get_context("fork")
    readings = StartUpReadings(ctx, 2)
    first, go = _worker(ctx, readings, 0)
    started = [first]
    try:
        assert readings.of_pid(first.pid) is None  # not read yet
        go.set()
        first.join(30)
        own = readings.of_pid(first.pid)
        assert own is not None and 0 < own.uss <= own.rss
        assert own.pss is None or own.pss <= own.rss
        assert readings.uss(0) == own.uss and readings.uss(1) == 0

        second, go = _worker(ctx, readings, 0)  # the next epoch's worker 0
        started.append(second)
        assert readings.of_pid(second.pid) is None  # the last one's reading is not its own
        go.set()
        second.join(30)
        assert readings.of_pid(second.pid) is not None
        assert readings.of_pid(first.pid) is None  # its slot now holds the new reading
    finally:
        for proc in started:
            proc.kill()
            proc.join(5)
