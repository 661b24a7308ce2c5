import os
import tempfile
import threading
import time

import pytest
from conftest import children_alive, make_jpegs, run_engine, wait_no_children

from explorer.core.record.report import RunRecorder
from explorer.core.run import engine
from explorer.core.run.config import RunConfig
from explorer.core.run.events import (
    BatchDone,
    BatchPreview,
    DatasetProgress,
    DatasetReady,
    EpochStarted,
    MemorySweep,
    ProcessesChanged,
    RunFinished,
    WorkerBaseline,
)

run_collect = run_engine


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_random_run_with_two_workers_names_every_process():
    cfg = RunConfig(random="1000:3x32x32", workers=2, batch_size=50)
    finished, events = run_collect(cfg)
    assert finished.status == "completed" and finished.samples == 1000
    batches = of(events, BatchDone)
    assert len(batches) == 20 and {b.worker for b in batches} == {0, 1}
    assert [b.index for b in batches] == list(range(20))
    roles = {r.role: r.pid for s in of(events, MemorySweep) for r in s.rows}
    assert {"main", "worker-0", "worker-1"} <= set(roles)
    assert len({roles["main"], roles["worker-0"], roles["worker-1"]}) == 3
    changes = of(events, ProcessesChanged)
    assert {r for c in changes for r, _ in c.started} >= {"worker-0", "worker-1"}
    assert {r for c in changes for r, _ in c.exited} >= {"worker-0", "worker-1"}
    assert isinstance(events[-1], RunFinished)


def test_every_sweep_has_one_timestamp_and_pss_never_exceeds_rss():
    _, events = run_collect(RunConfig(random="600:3x32x32", workers=2, batch_size=20, epochs=2))
    sweeps = of(events, MemorySweep)
    assert len(sweeps) >= 2
    full = [s for s in sweeps if s.full]
    assert full, "USS/PSS were never read"
    for s in full:
        for r in s.rows:
            assert r.uss is not None and r.uss <= r.rss
            assert r.pss is None or r.pss <= r.rss
    assert all(len({r.pid for r in s.rows}) == len(s.rows) for s in sweeps)


def test_each_epoch_ends_with_every_process_read_in_full_while_its_workers_live():
    """The sum of PSS is known at each epoch's end, when the workers hold the most, and each
    worker's first row is its own reading at the end of its start-up, USS and PSS included."""
    _, events = run_collect(RunConfig(random="600:3x32x32", workers=2, batch_size=20, epochs=2))
    sweeps = of(events, MemorySweep)
    ends = [*(e.t for e in of(events, EpochStarted)[1:]), of(events, RunFinished)[0].t]
    for epoch in (0, 1):
        last = [b for b in of(events, BatchDone) if b.epoch == epoch][-1]
        at_end = [
            s
            for s in sweeps
            if last.t <= s.t <= ends[epoch]
            and s.full
            # (and multiprocessing's helpers, where an earlier test in this process started
            # one: the resource tracker lives as long as the interpreter)
            and {r.role for r in s.rows} >= {"main", "worker-0", "worker-1"}
            and all(r.pss is not None and r.uss is not None for r in s.rows)
        ]
        roles = [sorted({r.role for r in s.rows}) for s in sweeps if last.t <= s.t <= ends[epoch]]
        assert at_end, f"epoch {epoch}: its end was not read in full, workers and all: {roles}"
    baselines = {b.pid: b.uss for b in of(events, WorkerBaseline)}
    for pid in {r.pid for s in sweeps for r in s.rows if r.role.startswith("worker-")}:
        first = next(r for s in sweeps for r in s.rows if r.pid == pid)
        assert first.uss is not None, "a new worker's first reading had no USS"
        # ... and it is the worker's own, taken before its first sample: not read twice
        assert first.uss == baselines[pid] and first.pss is not None


def test_the_sampler_is_told_when_each_epoch_will_end(monkeypatch):
    """So that its own full readings give way to the epoch-end sync (see expect_sync): each
    estimate, made at the epoch's pace so far, comes true within half the time left."""
    from explorer.core.memory.sampler import MemorySampler

    said, synced = [], []
    expect, sync = MemorySampler.expect_sync, MemorySampler.sync

    def spy_expect(self, at):
        said.append((time.monotonic(), at))
        expect(self, at)

    def spy_sync(self):
        synced.append(time.monotonic())
        sync(self)

    monkeypatch.setattr(MemorySampler, "expect_sync", spy_expect)
    monkeypatch.setattr(MemorySampler, "sync", spy_sync)
    cfg = RunConfig(random="400:3x8x8", workers=2, batch_size=20, epochs=2, step_ms=15)
    finished, _ = run_collect(cfg)
    assert finished.status == "completed" and len(synced) == 2
    for start, end in ((0.0, synced[0]), (synced[0], synced[1])):
        estimates = [(t, at) for t, at in said if start < t < end]
        assert len(estimates) == 19  # after every batch but the epoch's last
        # On a busy 2-core machine the epoch's last batches can come 0.2 s behind its pace
        # (seen in CI): most estimates come true within half the time left, none is off by
        # more than all of it.
        later = estimates[5:]
        close = [abs(at - end) <= 0.5 * (end - t) + 0.05 for t, at in later]
        assert sum(close) >= 0.75 * len(later), [round(at - end, 3) for _, at in later]
        assert all(abs(at - end) <= (end - t) + 0.1 for t, at in later)


def test_workers_zero_reports_no_worker_and_epochs_and_max_batches():
    cfg = RunConfig(random="100:4", batch_size=10, epochs=3, max_batches=25)
    finished, events = run_collect(cfg)
    batches = of(events, BatchDone)
    assert len(batches) == 25 and {b.worker for b in batches} == {None}
    assert [e.epoch for e in of(events, EpochStarted)] == [0, 1, 2]
    assert of(events, EpochStarted)[2].batches == 5
    assert finished.batches == 25


def test_preview_comes_for_some_batches_only_and_carries_thumbnails(jpeg_folder):
    cfg = RunConfig(folder=str(jpeg_folder), batch_size=4, resize=64, preview_interval=10)
    _, events = run_collect(cfg)
    previews = [b.preview for b in of(events, BatchPreview)]
    assert len(previews) == 1  # the first batch; the next is due 10 s later
    assert not any(b.preview for b in of(events, BatchDone))  # made off the loop's path
    assert events.index(of(events, BatchPreview)[0]) < events.index(of(events, RunFinished)[0])
    sample = previews[0][0]
    assert sample.thumbnail.shape == (64, 64, 3) and sample.thumbnail.dtype.name == "uint8"
    assert sample.shape == (3, 64, 64) and sample.dtype == "uint8"
    assert sample.class_name == "class_0" and sample.path.endswith(".jpg")
    # The file's header is read by the detail view when asked, not for every preview.
    from explorer.gui.panels.sample_detail import describe_sample

    assert ("original", "160 × 120, mode RGB") in describe_sample(sample)
    assert 0 <= sample.min <= sample.mean <= sample.max <= 255


def test_eager_progress_events_then_ready(jpeg_folder):
    _, events = run_collect(RunConfig(folder=str(jpeg_folder), mode="eager", resize=32))
    progress = of(events, DatasetProgress)
    assert progress and progress[-1].done == progress[-1].total == 24
    ready = of(events, DatasetReady)[0]
    assert ready.info.items == 24 and ready.info.init_s > 0


def test_a_failed_run_says_why():
    finished, _ = run_collect(RunConfig(random="10:3x4", mode="memmap"))
    assert finished.status == "failed" and "memmap" in finished.reason


def test_stop_during_a_run_with_two_workers_leaves_no_child_within_2s():
    stop = threading.Event()
    seen = threading.Event()
    out = {}

    def emit(e):
        if isinstance(e, BatchDone) and e.index >= 2:
            seen.set()

    cfg = RunConfig(random="200000:3x64x64", workers=2, batch_size=32)
    thread = threading.Thread(target=lambda: out.setdefault("f", engine.run(cfg, emit, stop)))
    thread.start()
    assert seen.wait(30), "no batch arrived"
    assert len(children_alive()) >= 2
    t_stop = time.monotonic()
    stop.set()
    thread.join(10)
    left = wait_no_children(2.0 - (time.monotonic() - t_stop))
    assert not thread.is_alive() and not left
    assert time.monotonic() - t_stop < 2.0
    assert out["f"].status == "stopped"


def test_a_stopped_runs_workers_leave_nothing_in_the_temporary_directory(tmp_path, monkeypatch):
    """A worker that shared a batch's tensors has a ``pymp-*`` folder (the socket they go
    through); terminated, it never removes it: two folders per Stop piled up in /tmp."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the forked workers' too
    stop = threading.Event()
    seen = threading.Event()

    def emit(e):
        if isinstance(e, BatchDone) and e.index >= 4:
            seen.set()

    cfg = RunConfig(random="200000:3x64x64", workers=2, batch_size=32, start_method="fork")
    thread = threading.Thread(target=lambda: engine.run(cfg, emit, stop))
    thread.start()
    assert seen.wait(30), "no batch arrived"
    assert {p.name[:5] for p in tmp_path.iterdir()} == {"pymp-"}  # the workers' folders exist
    stop.set()
    thread.join(10)
    assert not thread.is_alive() and not wait_no_children(2.0)
    assert [p.name for p in tmp_path.iterdir()] == []


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_other_start_methods_name_workers_and_helpers(method):
    cfg = RunConfig(random="400:3x16x16", workers=2, batch_size=20, start_method=method)
    finished, events = run_collect(cfg)
    assert finished.status == "completed", finished.reason
    roles = {r.role for s in of(events, MemorySweep) for r in s.rows}
    assert {"main", "worker-0", "worker-1"} <= roles
    assert not any(r.startswith("worker-") and r not in ("worker-0", "worker-1") for r in roles)


@pytest.mark.parametrize(("mode", "files"), [("lazy", 1), ("eager", 3)])
def test_spawned_workers_share_one_pickle_unless_it_passes_descriptors(
    mode, files, monkeypatch, tmp_path
):
    """Three spawned workers: a lazy dataset (its 32-byte-a-sample index, no tensor) is
    pickled into one file that each worker reads through its own link; an eager one holds a
    tensor in shared memory, whose file descriptor Python passes to one child only, so each
    worker gets its own file. Every worker gets all its samples, and no file is left."""
    made = []
    real = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def mkstemp(*args, **kwargs):
        made.append(kwargs.get("prefix"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    cfg = RunConfig(random="600:3x8x8", mode=mode, workers=3, batch_size=50, start_method="spawn")
    finished, events = run_collect(cfg)
    assert finished.status == "completed" and finished.samples == 600, finished.reason
    assert {b.worker for b in of(events, BatchDone)} == {0, 1, 2}
    assert made.count("dle-dataset-") == files
    assert not list(tmp_path.glob("dle-dataset-*"))


def test_a_pickle_made_where_no_worker_is_being_started_is_never_shared(tmp_path, monkeypatch):
    """Whether a pickle passed a file descriptor is known only while Python starts a process
    (its starter's list of descriptors to pass): elsewhere each pickle gets its own file."""
    from multiprocessing.reduction import ForkingPickler

    from explorer.core.run.spawn_payload import one_pickle, via_file

    made = []
    real = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(tempfile, "mkstemp", lambda **kw: made.append(kw) or real(**kw))
    payload = via_file(list(range(10)))
    with one_pickle(payload):
        first, second = (ForkingPickler.loads(ForkingPickler.dumps(payload)) for _ in range(2))
    assert first == second == list(range(10))
    assert len(made) == 2  # written twice, not linked
    assert not list(tmp_path.glob("dle-dataset-*"))  # each read its own file and deleted it


def test_a_dataset_reaches_a_spawned_worker_without_a_second_copy_of_it(tmp_path, monkeypatch):
    """A 16 MB array in the dataset: writing its pickle for a worker, and the worker's reading
    it back, never hold a second copy of it in memory (the file is written and read as the
    pickling goes), so neither holds the interpreter lock for a copy of the whole."""
    import tracemalloc

    import numpy as np

    from explorer.core.run.spawn_payload import via_file

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    array = np.arange(2 << 20, dtype=np.int64)  # 16 MiB
    payload = via_file([array])
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        load, (path,) = payload.__reduce__()
        _, written = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        (loaded,) = load(path)
        _, read = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.array_equal(loaded, array)
    assert written < array.nbytes / 4
    assert read < 1.25 * array.nbytes  # the worker's own copy, and no more
    assert not list(tmp_path.glob("dle-dataset-*"))


def test_stop_as_spawned_workers_start_does_not_wait_for_them():
    """Stop pressed while the workers still import torch: they are ended at once, not after
    the grace a started worker gets to finish its sample (``STOP_GRACE_S``)."""
    stop = threading.Event()
    ended = {}
    real = engine._end_workers_soon

    def timed(iterator, **kwargs):
        t0 = time.monotonic()
        real(iterator, **kwargs)
        ended["s"] = time.monotonic() - t0

    cfg = RunConfig(random="600:3x8x8", workers=2, batch_size=50, start_method="spawn")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "_end_workers_soon", timed)
        # Stop comes with the run's first epoch, before any worker can have imported torch
        finished, _ = run_collect(cfg, stop, forking=lambda on: on or stop.set())
    assert finished.status == "stopped" and finished.batches == 0
    assert ended["s"] < engine.STOP_GRACE_S / 2, ended
    assert not wait_no_children(2.0)


def test_recorder_report_has_the_contract_keys(jpeg_folder):
    rec = RunRecorder()
    _, events = run_collect(RunConfig(folder=str(jpeg_folder), workers=2, batch_size=8, resize=32))
    for e in events:
        rec(e)
    r = rec.report()
    assert {"config", "dataset", "batches", "memory", "summary"} <= set(r)
    assert r["dataset"]["items"] == 24 and r["dataset"]["skipped"] == []
    assert set(r["batches"][0]) >= {"index", "epoch", "worker", "wait_s", "samples"}
    assert set(r["memory"][0]) == {"t", "pid", "role", "rss", "uss", "pss"}
    s = r["summary"]
    assert s["samples_per_s"] > 0 and s["wall_s"] > 0
    # the sampler's and the preview's own CPU: there, and a small part of the run
    assert 0 < s["tool_cpu_s"] < s["wall_s"]
    assert s["peak_pss_total"] <= s["peak_rss_total"]
    assert set(s["peak_by_role"]["main"]) == {"rss", "uss", "pss"}


def test_a_run_whose_own_cpu_was_not_measured_reports_none_not_zero():
    """A traced job's end, or a recording made before ``tool_cpu_s`` existed, carries no
    figure for the explorer's own CPU: the report says so rather than 0 s."""
    rec = RunRecorder()
    rec(RunFinished(1.0, "completed"))
    assert rec.report()["summary"]["tool_cpu_s"] is None


def test_make_jpegs_helper(tmp_path):
    folder = make_jpegs(tmp_path / "x", 2, (20, 10))
    assert len(list(folder.glob("*.jpg"))) == 2


def test_forkserver_workers_are_never_named_as_helpers():
    cfg = RunConfig(random="4000:3x16x16", workers=2, batch_size=20, start_method="forkserver")
    _, events = run_collect(cfg)
    started = [(r, pid) for c in of(events, ProcessesChanged) for r, pid in c.started]
    worker_pids = {pid for r, pid in started if r.startswith("worker-")}
    assert len(worker_pids) == 2
    assert not [r for r, pid in started if pid in worker_pids and not r.startswith("worker-")]


def test_the_test_process_never_gets_torchs_sigchld_handler():
    import signal

    assert signal.getsignal(signal.SIGCHLD) in (signal.SIG_DFL, None)


def test_the_window_is_asked_once_before_the_first_workers_are_forked():
    """``before_workers`` is where the window finishes drawing the run's start: it comes after
    the run's first events and before any worker exists, once per run."""
    from explorer.core.run.events import RunStarted

    events, calls = [], []

    def before_workers():
        calls.append(([type(e) for e in events], children_alive()))

    cfg = RunConfig(random="300:3x8x8", workers=2, batch_size=50, epochs=2)
    thread = threading.Thread(
        target=lambda: engine.run(cfg, events.append, before_workers=before_workers)
    )
    thread.start()
    thread.join(120)
    assert isinstance(events[-1], RunFinished) and events[-1].status == "completed"
    assert len(calls) == 1  # not again before the second epoch's workers
    seen, alive = calls[0]
    assert seen[0] is RunStarted and DatasetReady in seen and EpochStarted in seen
    assert alive == []


def test_stop_pressed_while_the_window_catches_up_starts_no_worker():
    stop = threading.Event()
    cfg = RunConfig(random="300:3x8x8", workers=2, batch_size=50)
    finished, events = run_collect(cfg, stop, before_workers=stop.set)
    assert finished.status == "stopped" and finished.batches == 0
    started = {role for c in of(events, ProcessesChanged) for role, _ in c.started}
    assert not {r for r in started if r.startswith("worker")}  # no worker ever started


def test_the_window_hears_when_each_epochs_workers_are_being_forked():
    """``forking(True)`` comes just before an epoch's workers are started (before the wait for
    the window), ``forking(False)`` once they have been: a window holds its heavier redraws
    between the two, while the forks hold the interpreter lock."""
    calls = []

    def forking(on):
        calls.append((on, len(children_alive())))

    cfg = RunConfig(random="300:3x8x8", workers=2, batch_size=50, epochs=2)
    finished, _ = run_collect(cfg, before_workers=lambda: calls.append("wait"), forking=forking)
    assert finished.status == "completed"
    # each epoch forks its own workers; the second epoch's forking is said as the first
    # delivers its last batch (its workers still alive), since those forks wait for no window
    assert calls == [(True, 0), "wait", (False, 2), (True, 2), (False, 2)]


def test_after_each_slow_fork_of_a_runs_workers_the_other_threads_get_a_moment(monkeypatch):
    """A fork holds the interpreter lock (10-21 ms a GB here): after each one slower than
    ``SLOW_FORK_S``, the engine's thread lets the lock go for a moment, so that a window
    waiting for it runs between two workers' forks instead of after both. Forks of this
    small test process count as slow only with the threshold at 0."""
    from explorer.core.run import fork_yield

    yields = []
    monkeypatch.setattr(fork_yield, "_yield", lambda: yields.append(threading.get_ident()))
    cfg = RunConfig(random="300:3x8x8", workers=2, batch_size=50, epochs=2)
    monkeypatch.setattr(fork_yield, "SLOW_FORK_S", 0.0)
    finished, _ = run_collect(cfg)
    assert finished.status == "completed"
    assert len(yields) == 4 and len(set(yields)) == 1  # each worker of each epoch, one thread
    assert yields[0] != threading.get_ident()  # the engine's, not this one
    yields.clear()
    monkeypatch.setattr(fork_yield, "SLOW_FORK_S", 60.0)
    finished, _ = run_collect(cfg)
    assert finished.status == "completed" and yields == []
    monkeypatch.setattr(fork_yield, "SLOW_FORK_S", 0.0)
    pid = os.fork()  # outside a run's start: never
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    assert yields == []


def test_the_window_hears_the_forking_is_over_however_the_start_ends():
    stop = threading.Event()
    calls = []
    cfg = RunConfig(random="300:3x8x8", workers=2, batch_size=50)
    finished, _ = run_collect(cfg, stop, before_workers=stop.set, forking=calls.append)
    assert finished.status == "stopped" and calls == [True, False]
    calls.clear()
    kept = RunConfig(
        random="300:3x8x8", workers=2, batch_size=50, epochs=2, persistent_workers=True
    )
    finished, _ = run_collect(kept, forking=calls.append)
    assert finished.status == "completed" and calls == [True, False]  # started once
    calls.clear()
    finished, _ = run_collect(RunConfig(random="300:3x8x8", workers=0), forking=calls.append)
    assert finished.status == "completed" and calls == []
    calls.clear()
    ends = RunConfig(random="300:3x8x8", workers=2, batch_size=50, epochs=3, max_batches=6)
    finished, _ = run_collect(ends, forking=calls.append)
    assert finished.status == "completed" and calls == [True, False]  # no third epoch to say


def test_a_run_stopped_after_the_next_forks_were_said_says_they_are_over():
    stop = threading.Event()
    calls = []

    def forking(on):
        calls.append(on)
        if len(calls) == 3:  # the second epoch's, said at the first one's last batch
            stop.set()

    cfg = RunConfig(random="300:3x8x8", workers=2, batch_size=50, epochs=2)
    finished, _ = run_collect(cfg, stop, forking=forking)
    assert finished.status == "stopped" and calls == [True, False, True, False]


def test_runs_without_workers_never_wait_for_a_window():
    calls = []
    cfg = RunConfig(random="300:3x8x8", workers=0, batch_size=50)
    finished, _ = run_collect(cfg, before_workers=lambda: calls.append(1))
    assert finished.status == "completed" and calls == []
