"""The sampler finds a run's processes from /proc's children lists, as psutil would find them
by reading every process on the machine, and falls back to psutil where the lists are missing."""

import contextlib
import multiprocessing
import subprocess
import sys
import time

import psutil

from explorer.core.memory import process_tree
from explorer.core.memory.sampler import MemorySampler
from explorer.core.run.events import ProcessesChanged

GRANDCHILD = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); time.sleep(30)"  # noqa: E501


def _tree():
    """A child that starts a grandchild; both found by psutil."""
    child = subprocess.Popen([sys.executable, "-c", GRANDCHILD])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        kids = psutil.Process(child.pid).children()
        if kids:
            return child, kids[0].pid
        time.sleep(0.02)
    child.kill()
    raise AssertionError("the grandchild never started")


def _end(child, grandchild_pid):
    for pid in (grandchild_pid, child.pid):
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).kill()
    child.wait(5)


def test_descendants_are_the_ones_psutil_finds_parents_first():
    child, grandchild = _tree()
    try:
        pids = process_tree.descendant_pids(psutil.Process().pid)
        assert pids is not None, "this kernel lists no children in /proc (CONFIG_PROC_CHILDREN)"
        expected = {p.pid for p in psutil.Process().children(recursive=True)}
        assert set(pids) == expected
        assert pids.index(child.pid) < pids.index(grandchild)
        known = {child.pid: psutil.Process(child.pid)}
        handles = process_tree.descendants(psutil.Process(), known)
        assert known[child.pid] in handles  # a handle the caller holds is reused
    finally:
        _end(child, grandchild)


def test_where_proc_lists_no_children_psutil_finds_them(monkeypatch):
    monkeypatch.setattr(process_tree, "children_pids", lambda pid: None)
    child, grandchild = _tree()
    try:
        assert process_tree.descendant_pids(psutil.Process().pid) is None
        found = {p.pid for p in process_tree.descendants(psutil.Process())}
        assert {child.pid, grandchild} <= found
    finally:
        _end(child, grandchild)


def _wait(ready):
    ready.release()
    time.sleep(30)


def test_a_worker_the_engine_names_is_sampled_even_where_proc_does_not_list_it(monkeypatch):
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Semaphore(0)
    worker = ctx.Process(target=_wait, args=(ready,), daemon=True)
    worker.start()
    try:
        assert ready.acquire(timeout=30)
        monkeypatch.setattr(process_tree, "children_pids", lambda pid: [])  # a missed listing
        events = []
        sampler = MemorySampler(events.append, time.monotonic())
        sampler.set_workers({worker.pid: 0})
        sweep = sampler.sweep()
        assert {r.role for r in sweep.rows} == {"main", "worker-0"}
        started = [s for e in events if isinstance(e, ProcessesChanged) for s in e.started]
        assert started == [("worker-0", worker.pid)]
    finally:
        worker.kill()
        worker.join(5)
