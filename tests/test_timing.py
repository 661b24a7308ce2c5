"""Where the time goes: per-batch fetch times and the simulated training step (issue 6)."""

import json

from conftest import run_cli


def _run(tmp_path, name, *args):
    out = tmp_path / f"{name}.json"
    rc, _, err = run_cli("--headless", *args, "--report", str(out), "--no-progress")
    assert rc == 0, err
    return json.loads(out.read_text()), err


def test_no_step_and_no_workers_is_data_bound(tmp_path):
    report, err = _run(
        tmp_path,
        "data",
        "--random",
        "4000:3x32x32",
        "--batch-size",
        "32",
        "--step-ms",
        "0",
        "--workers",
        "0",
    )
    s = report["summary"]
    assert s["data_wait_fraction"] > 0.9 and s["bound"] == "data"
    assert "data-bound" in err
    b = report["batches"][5]
    assert 0 <= b["fetch_start"] <= b["fetch_end"] <= b["t"] and b["decode_s"] > 0


def test_a_heavy_step_with_two_workers_is_compute_bound(tmp_path):
    report, err = _run(
        tmp_path,
        "compute",
        "--random",
        # 250 steps of 30 ms: the workers' start, waited for once, stays a small part of the
        # run on a busy machine (CI: 0.18 of a 125-step run once)
        "8000:3x32x32",
        "--batch-size",
        "32",
        "--step-ms",
        "30",
        "--workers",
        "2",
    )
    s = report["summary"]
    # Well under the verdict's line (0.5): next() still takes each batch over from a worker
    # (here 1.14 s of waits in an 8.7 s loop after the first batch, about 4.6 ms a batch), and a
    # busy machine stretches that (CI: 0.152 once, against 0.15 asked here before).
    assert s["bound"] == "compute" and s["data_wait_fraction"] < 0.3
    assert "compute-bound" in err
    assert {b["worker"] for b in report["batches"]} == {0, 1}
    # worker timestamps land inside the run, on the main process's clock
    assert all(0 < b["fetch_start"] <= b["fetch_end"] <= b["t"] for b in report["batches"])


def test_a_data_bound_step_says_how_many_workers_would_help(tmp_path):
    report, _ = _run(
        tmp_path,
        "advice",
        "--random",
        "600:3x128x128",
        "--batch-size",
        "16",
        "--step-ms",
        "1",
        "--workers",
        "0",
    )
    s = report["summary"]
    assert s["bound"] == "data" and s["workers_for_compute_bound"] >= 1
    assert "workers would make it compute-bound" in s["verdict"]
