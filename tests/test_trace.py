"""Tracing the user's own training job, unchanged (issue 16): ``--headless --trace -- ...``
runs our own small training scripts, as a user would, and the report says what they did."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

SCRIPTS = ROOT / "tests" / "training_scripts"


def trace(tmp_path, *command: str, env: dict | None = None, timeout: float = 180):
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--headless", "--trace", "--report", str(report),
         "--", *command],
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )  # fmt: skip
    out = json.loads(report.read_text()) if report.exists() else None
    return proc, out


def script(name: str) -> str:
    return str(SCRIPTS / name)


def test_two_loaders_their_workers_and_the_slowest_transform(tmp_path):
    pids = tmp_path / "pids.txt"
    proc, report = trace(
        tmp_path, sys.executable, script("train_two_loaders.py"), env={"PIDS": str(pids)}
    )
    assert proc.returncode == 0, proc.stderr
    # the job's own output passes through unchanged
    assert proc.stdout.splitlines()[-1] == "training done"
    train, val = report["loaders"]
    assert train["created_at"] == "train_two_loaders.py:74"
    assert train["dataset"] == "Subset(Squares)"
    assert (train["len"], train["batch_size"], train["num_workers"]) == (64, 8, 2)
    assert train["multiprocessing_context"] == "fork" and not train["persistent_workers"]
    assert train["batches"] == 16 and 0 <= train["data_wait_fraction"] <= 1
    assert train["verdict"].split(":")[0] in ("data-bound", "compute-bound")
    assert (val["dataset"], val["num_workers"], val["batches"]) == ("Squares", 0, 4)
    # per-transform time, measured in the workers: the slow step is found as the slowest
    steps = {t["name"]: t for t in train["transforms"]}
    assert set(steps) == {"0:Scale", "1:SlowBlur", "2:shift"}
    assert all(t["calls"] == 128 for t in steps.values())  # 64 samples x 2 epochs
    assert max(steps.values(), key=lambda t: t["mean_ms"])["name"] == "1:SlowBlur"
    assert steps["1:SlowBlur"]["mean_ms"] >= 3.5
    # batches carry their loader; the workers' fetch times came back with them
    assert {b["loader"] for b in report["batches"]} == {1, 2}
    assert {(b["loader"], b["epoch"]) for b in report["batches"]} == {
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 1),
    }
    timed = [b for b in report["batches"] if b["loader"] == 1 and b["fetch_start"] is not None]
    assert len(timed) >= 12 and all(b["fetch_start"] <= b["fetch_end"] <= b["t"] for b in timed)
    # every worker the job started (its own worker_init_fn wrote their pids) has memory rows
    started = {int(p) for p in pids.read_text().split()}
    assert len(started) == 4  # 2 workers x 2 epochs (not persistent)
    rows = {r["pid"]: r for r in report["memory"]}
    assert started <= set(rows)
    assert all(rows[p]["loader"] == 1 and rows[p]["worker"] in (0, 1) for p in started)
    assert report["summary"]["command"].endswith("train_two_loaders.py")
    assert report["summary"]["exit_code"] == 0 and report["summary"]["events_dropped"] == 0


@pytest.mark.parametrize("context", ["spawn", "forkserver"])
def test_spawn_and_forkserver_with_persistent_workers_keep_working_and_are_seen(tmp_path, context):
    pids = tmp_path / "pids.txt"
    proc, report = trace(
        tmp_path,
        sys.executable,
        script("train_two_loaders.py"),
        env={"PIDS": str(pids), "CONTEXT": context, "PERSISTENT": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "epoch 1: validated 32 samples" in proc.stdout  # its own collate_fn, untouched
    train = report["loaders"][0]
    assert train["multiprocessing_context"] == context and train["persistent_workers"]
    started = {int(p) for p in pids.read_text().split()}
    assert len(started) == 2  # persistent: the same two workers for both epochs
    worker_rows = [r for r in report["memory"] if r["pid"] in started]
    assert {r["worker"] for r in worker_rows} == {0, 1}
    steps = {t["name"]: t for t in train["transforms"]}
    assert steps["1:SlowBlur"]["calls"] == 128  # timed inside spawned workers too


def test_a_job_that_exits_with_status_3_leaves_a_report(tmp_path):
    proc, report = trace(
        tmp_path, sys.executable, script("train_two_loaders.py"), env={"EXIT": "3"}
    )
    assert proc.returncode == 3
    assert report["summary"]["exit_code"] == 3
    assert report["summary"]["status"] == "failed"
    assert report["summary"]["reason"].startswith("the job exited with status 3")


def test_a_job_that_exits_right_after_a_batch_exits_cleanly(tmp_path):
    """The tracer pictures a batch on a thread of its own; a job that exits while it does
    must still exit with its own status, not be aborted by torch's teardown (before the fix,
    7 of 10 such launches ended "terminate called without an active exception", -6)."""
    job = tmp_path / "exit_now.py"
    job.write_text(
        "import torch\n"
        "from torch.utils.data import DataLoader, TensorDataset\n"
        "data = TensorDataset(torch.rand(8, 3, 1024, 1024))\n"
        "for (x,) in DataLoader(data, batch_size=8):\n"
        "    break\n"
    )
    for _ in range(3):
        proc, report = trace(tmp_path, sys.executable, str(job))
        assert proc.returncode == 0, proc.stderr[-500:]
        assert "terminate called" not in proc.stderr
        assert report["summary"]["exit_code"] == 0


def test_a_crash_keeps_the_tail_of_stderr(tmp_path):
    crash = tmp_path / "crash.py"
    crash.write_text("import torch\nraise SystemExit('out of patience: epoch 7')\n")
    proc, report = trace(tmp_path, sys.executable, str(crash))
    assert proc.returncode == 1
    assert "out of patience: epoch 7" in proc.stderr  # passed through
    assert report["summary"]["reason"].endswith("out of patience: epoch 7")
    assert "out of patience: epoch 7" in report["summary"]["stderr_tail"]
    assert report["summary"]["loaders"] == 0


def test_a_command_that_does_not_exist_is_one_line_and_status_2(tmp_path):
    proc, _ = trace(tmp_path, "no-such-trainer", "--lr", "0.1")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot start 'no-such-trainer'" in lines[0]


def test_ctrl_c_reaches_a_traced_job_even_where_the_explorer_ignores_it(tmp_path):
    """The headless command ignores SIGINT while it waits (the job decides what Ctrl+C does);
    the job must not inherit that, nor a background shell's ignored SIGINT."""
    seen = tmp_path / "sigint.txt"
    code = "import signal, sys; open(sys.argv[1], 'w').write(repr(signal.getsignal(2)))"
    proc, _ = trace(tmp_path, sys.executable, "-c", code, str(seen))
    assert proc.returncode == 0, proc.stderr
    assert "default_int_handler" in seen.read_text()


def test_a_job_without_a_dataloader_says_so_with_its_memory(tmp_path):
    proc, report = trace(tmp_path, sys.executable, script("no_loader.py"))
    assert proc.returncode == 0, proc.stderr
    assert report["loaders"] == [] and report["summary"]["loaders"] == 0
    assert "created no DataLoader" in proc.stderr
    assert any(r["role"] == "main" for r in report["memory"])


def test_trace_needs_a_command_and_a_command_needs_trace():
    from explorer.cli import build_parser, parse

    parser = build_parser()
    with pytest.raises(SystemExit):
        parse(parser, ["--trace"])
    with pytest.raises(SystemExit):
        parse(parser, ["--headless", "--", "python", "train.py"])
    args = parse(parser, ["--trace", "--headless", "--", "python", "train.py", "--lr", "0.1"])
    assert args.command == ["python", "train.py", "--lr", "0.1"]


@pytest.mark.skipif(shutil.which("torchrun") is None, reason="torchrun is not on PATH")
def test_torchrun_two_ranks_each_with_its_loader(tmp_path):
    proc, report = trace(
        tmp_path,
        "torchrun",
        "--standalone",
        "--nproc_per_node",
        "2",
        script("train_ddp.py"),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted((r["rank"], r["id"]) for r in report["loaders"]) == [(0, 1), (1, 1)]
    assert {(b["rank"], b["loader"]) for b in report["batches"]} == {(0, 1), (1, 1)}
    roles = {(r["role"], r["rank"]) for r in report["memory"]}
    assert {("rank0", 0), ("rank1", 1), ("rank0 worker-0", 0), ("rank1 worker-0", 1)} <= roles
    assert ("torchrun agent", None) in roles


def test_the_agent_imports_only_the_standard_library_and_torch():
    """It runs in the user's interpreter, maybe another virtual environment, maybe an older
    Python (its syntax is 3.8's)."""
    import ast

    stdlib = set(sys.stdlib_module_names)
    for path in (ROOT / "explorer" / "tracer").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), feature_version=(3, 8))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in stdlib or top == "torch", f"{path.name} imports {name}"


def test_a_job_traced_headless_replays_from_its_recording(tmp_path):
    """Traced on a server with --record, opened elsewhere with --open: the same report."""
    recording = tmp_path / "job.dlxrec"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--headless", "--trace", "--record",
         str(recording), "--report", str(tmp_path / "live.json"), "--", sys.executable,
         script("train_two_loaders.py")],
        capture_output=True, text=True, timeout=180, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    replayed = tmp_path / "replayed.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--headless", "--open", str(recording),
         "--report", str(replayed)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    live = json.loads((tmp_path / "live.json").read_text())
    again = json.loads(replayed.read_text())
    assert again["loaders"] == live["loaders"]
    assert again["batches"] == live["batches"]
    assert again["summary"]["exit_code"] == 0
    assert again["recording"]["thumbnails"] > 0


def test_the_agent_drops_and_counts_rather_than_wait():
    """A guest never blocks the job: with nobody listening, or a full queue, messages are
    dropped and counted."""
    import importlib.util
    import time

    spec = importlib.util.spec_from_file_location(
        "_dle_agent_test", ROOT / "explorer" / "tracer" / "agent.py"
    )
    agent = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(agent)
    nobody = agent._Channel("/nonexistent/dle.sock")
    t0 = time.perf_counter()
    for i in range(100):
        nobody.send({"kind": "batch", "index": i})
    assert time.perf_counter() - t0 < 1.0
    deadline = time.monotonic() + 5
    while not nobody.dead and time.monotonic() < deadline:
        time.sleep(0.01)
    nobody.send({"kind": "batch", "index": 100})
    assert nobody.dead and nobody.dropped == 101
    full = agent._Channel("/nonexistent/dle.sock")
    full._thread = object()  # a sender that never drains (the explorer is stuck)
    for i in range(agent.QUEUE_LIMIT + 25):
        full.send({"kind": "batch", "index": i})
    assert len(full.queue) == agent.QUEUE_LIMIT and full.dropped == 25


def test_a_progress_bar_on_stderr_passes_through_live(tmp_path):
    """Output is passed on as it comes, not held until a newline: a bar redrawn with \\r
    shows while the job runs."""
    import select
    import time

    job = tmp_path / "bar.py"
    job.write_text(
        "import sys, time\n"
        "sys.stderr.write('progress 50%\\r'); sys.stderr.flush()\n"
        "time.sleep(3)\n"
        "sys.stderr.write('progress 100%\\n')\n"
    )
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "--headless", "--trace", "--", sys.executable,
         str(job)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=tmp_path,
    )  # fmt: skip
    try:
        seen = b""
        deadline = time.monotonic() + 2.5  # before the job's sleep is over
        while b"progress 50%" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stderr], [], [], 0.1)
            if ready:
                seen += os.read(proc.stderr.fileno(), 4096)
        assert b"progress 50%\r" in seen
    finally:
        assert proc.wait(30) == 0
        proc.stderr.close()
