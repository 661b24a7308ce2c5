"""Memory truth: copy-on-read, storages, start methods, the budget (issue 4's must-shows).

These run the real command line in a subprocess, as a user would, and read its report."""

import json
import multiprocessing
import os
import time

import psutil
import pytest
from conftest import make_jpegs, run_cli

from explorer.core.memory.sampler import MemorySampler
from explorer.core.run.events import MemorySweep

MiB = 1 << 20


def headless(tmp_path, name, *args):
    report = tmp_path / f"{name}.json"
    rc, _, err = run_cli("--headless", *args, "--report", str(report), "--no-progress", timeout=300)
    assert rc == 0, err
    return json.loads(report.read_text()), err


def test_list_index_is_copied_into_fork_workers_numpy_is_not(tmp_path):
    options = tmp_path / "sets.json"
    options.write_text('[{"index": "list"}, {"index": "numpy"}]')
    out, err = headless(
        tmp_path,
        "cor",
        "--random",
        "400000:3x8x8",
        "--meta-bytes",
        "512",
        "--workers",
        "2",
        "--epochs",
        "2",
        "--batch-size",
        "256",
        "--start-method",
        "fork",
        "--compare",
        str(options),
    )
    listed, numpy = (row["peak_worker_uss_growth"] for row in out["comparison"])
    assert listed >= 50 * MiB, listed / MiB
    assert listed >= 5 * numpy, (listed / MiB, numpy / MiB)
    for run in out["runs"]:
        roles = run["summary"]["peak_by_role"]
        assert {"worker-0", "worker-1"} <= set(roles)
        assert all("uss_growth" in roles[w] for w in ("worker-0", "worker-1"))
    assert "worker USS growth" in err  # the printed table says so in numbers


@pytest.fixture(scope="module")
def eager_folder(tmp_path_factory):
    # Many small images: copy-on-read scales with the number of Python objects touched.
    return make_jpegs(tmp_path_factory.mktemp("eager"), 6000, (40, 32))


def test_pil_list_workers_grow_where_contiguous_do_not(tmp_path, eager_folder):
    growth = {}
    for storage in ("pil-list", "contiguous"):
        args = [
            "--folder",
            str(eager_folder),
            "--mode",
            "eager",
            "--storage",
            storage,
            "--index",
            "numpy",
            "--workers",
            "2",
            "--epochs",
            "2",
            "--resize",
            "32",
            "--batch-size",
            "128",
        ]
        report, _ = headless(tmp_path, storage, *args)
        growth[storage] = report["summary"]["peak_worker_uss_growth"]
    # measured here: pil-list 8.5 MiB, contiguous 3.9 MiB (the worker's own working set)
    assert growth["pil-list"] > growth["contiguous"] + 2 * MiB, growth


def test_fork_and_spawn_differ_in_worker_cost_and_start_up(tmp_path):
    runs = {}
    for method in ("fork", "spawn"):
        runs[method], _ = headless(
            tmp_path,
            method,
            "--random",
            "20000:3x32x32",
            "--mode",
            "eager",
            "--workers",
            "2",
            "--start-method",
            method,
            "--batch-size",
            "256",
        )
    fork, spawn = (runs[m]["summary"] for m in ("fork", "spawn"))
    # a spawned worker starts a fresh interpreter, imports torch and unpickles the dataset
    assert spawn["first_batch_s"] > fork["first_batch_s"]
    fork_uss = fork["peak_by_role"]["worker-0"]["uss"]
    spawn_uss = spawn["peak_by_role"]["worker-0"]["uss"]
    assert spawn_uss > fork_uss + 50 * MiB, (fork_uss / MiB, spawn_uss / MiB)


def test_budget_warns_when_the_predicted_peak_exceeds_the_budget(tmp_path):
    report, err = headless(
        tmp_path, "budget", "--random", "2000:3x32x32", "--workers", "2", "--memory-budget", "64M"
    )
    budget = report["summary"]["budget"]
    assert budget["predicted_peak"] > 64 * MiB
    assert budget["measured_peak"] > 0
    assert any("exceeds" in w for w in budget["warnings"])
    assert "warning: predicted peak" in err
    assert report["budget"]["available"] == 64 * MiB
    assert set(report["budget"]["parts"]) == {"main", "workers", "in_flight", "pinned"}
    ok, _ = headless(tmp_path, "roomy", "--random", "2000:3x32x32", "--workers", "2")
    assert not ok["summary"]["budget"]["warnings"]


def test_report_has_system_context(tmp_path):
    report, _ = headless(tmp_path, "sys", "--random", "2000:3x32x32", "--workers", "1")
    system = report["summary"]["system"]
    assert system["min_available"] > 0
    if os.path.isdir("/dev/shm"):
        assert system["shm_total"] > 0 and system["peak_shm_used"] is not None
    assert report["system"] and {"t", "available", "shm_used"} <= set(report["system"][0])


def _allocate(ready, go, done, nbytes):
    ready.set()
    go.wait(30)
    block = bytearray(nbytes)
    for i in range(0, nbytes, 4096):  # touch every page
        block[i] = 1
    done.set()
    time.sleep(30)


def test_a_worker_touching_200_mb_shows_200_mb_more_uss():
    ctx = multiprocessing.get_context("fork")
    ready, go, done = ctx.Event(), ctx.Event(), ctx.Event()
    nbytes = 200 * 1000 * 1000
    proc = ctx.Process(target=_allocate, args=(ready, go, done, nbytes), daemon=True)
    proc.start()
    try:
        assert ready.wait(30)
        sweeps = []
        sampler = MemorySampler(
            lambda e: sweeps.append(e) if isinstance(e, MemorySweep) else None, time.monotonic()
        )
        sampler.set_workers({proc.pid: 0})
        before = next(r for r in sampler.sweep(force_full=True).rows if r.pid == proc.pid)
        go.set()
        assert done.wait(30)
        after = next(r for r in sampler.sweep(force_full=True).rows if r.pid == proc.pid)
        grown = after.uss - before.uss
        assert abs(grown - nbytes) <= 0.05 * nbytes, grown / 1e6
        for s in sweeps:
            total_rss = sum(r.rss for r in s.rows)
            if all(r.pss is not None for r in s.rows):
                assert sum(r.pss for r in s.rows) <= total_rss
    finally:
        proc.kill()
        proc.join(5)
    assert not psutil.pid_exists(proc.pid) or psutil.Process(proc.pid).status() == "zombie"
