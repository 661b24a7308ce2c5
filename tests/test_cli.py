"""The headless command line's contract: flags, exit statuses and the JSON report."""

import csv
import json

import pytest
from conftest import make_jpegs, run_cli

MiB = 1024 * 1024


def test_random_two_workers_report(tmp_path):
    report, table = tmp_path / "r.json", tmp_path / "m.csv"
    rc, _, err = run_cli(
        "--headless",
        "--random",
        "2000:3x64x64",
        "--workers",
        "2",
        "--batch-size",
        "64",
        "--report",
        str(report),
        "--csv",
        str(table),
    )
    assert rc == 0, err
    r = json.loads(report.read_text())
    pids = {}
    for row in r["memory"]:
        pids.setdefault(row["role"], set()).add(row["pid"])
    assert {"main", "worker-0", "worker-1"} <= set(pids)
    assert len(pids["main"] | pids["worker-0"] | pids["worker-1"]) == 3
    assert {b["worker"] for b in r["batches"]} == {0, 1}
    assert sum(b["samples"] for b in r["batches"]) == 2000
    assert r["config"]["workers"] == 2 and r["config"]["batch_size"] == 64
    assert r["dataset"]["items"] == 2000 and r["dataset"]["init_s"] >= 0
    s = r["summary"]
    assert s["samples_per_s"] > 0 and s["peak_rss_total"] >= s["peak_by_role"]["main"]["rss"]
    rows = list(csv.DictReader(table.open()))
    assert len(rows) == len(r["memory"]) and set(rows[0]) == {
        "t",
        "pid",
        "role",
        "rss",
        "uss",
        "pss",
    }
    assert "samples/s" in err


@pytest.mark.parametrize(
    "args, option",
    [
        (["--random", "2000:3x64x64", "--workers", "-1"], "--workers"),
        (["--random", "abc"], "--random"),
        (["--random", "10:3x4", "--batch-size", "zero"], "--batch-size"),
        (["--folder", "/no/such/folder"], "--folder"),
        (["--random", "10:3x4", "--mode", "sideways"], "--mode"),
        ([], "--folder/--random"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_naming_the_option(args, option):
    rc, _out, err = run_cli("--headless", *args)
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and option in err
    assert "Traceback" not in err


def test_a_failed_run_exits_1_with_the_reason(tmp_path):
    rc, _, err = run_cli(
        "--headless", "--folder", str(tmp_path), "--report", str(tmp_path / "r.json")
    )
    assert rc == 1 and "empty" in err
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["summary"]["status"] == "failed" and "empty" in r["summary"]["reason"]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return make_jpegs(tmp_path_factory.mktemp("photos"), 200, (512, 512))


def _peak_main_rss(tmp_path, folder, mode, *extra):
    report = tmp_path / f"{mode}.json"
    rc, _, err = run_cli(
        "--headless",
        "--folder",
        str(folder),
        "--mode",
        mode,
        "--batch-size",
        "16",
        "--report",
        str(report),
        *extra,
    )
    assert rc == 0, err
    return json.loads(report.read_text())


def test_eager_holds_the_decoded_images_lazy_only_a_few_batches(tmp_path, photos):
    decoded = 200 * 512 * 512 * 3
    eager = _peak_main_rss(tmp_path, photos, "eager")
    lazy = _peak_main_rss(tmp_path, photos, "lazy")
    eager_peak = eager["summary"]["peak_by_role"]["main"]["rss"]
    lazy_peak = lazy["summary"]["peak_by_role"]["main"]["rss"]
    assert eager_peak - lazy_peak >= decoded, (eager_peak / MiB, lazy_peak / MiB)
    # lazy: growth over the first sample stays within a few batches (16 × 224 × 224 × 3 each)
    main_rows = [m["rss"] for m in lazy["memory"] if m["role"] == "main"]
    assert max(main_rows) - min(main_rows) < 40 * MiB


def test_memmap_second_run_reuses_its_cache(tmp_path, photos):
    cache = str(tmp_path / "cache")
    first = _peak_main_rss(tmp_path, photos, "memmap", "--cache-dir", cache, "--resize", "64")
    second = _peak_main_rss(tmp_path, photos, "memmap", "--cache-dir", cache, "--resize", "64")
    assert (first["dataset"]["cache_reused"], second["dataset"]["cache_reused"]) == (False, True)
    assert second["dataset"]["init_s"] < first["dataset"]["init_s"]
    assert second["summary"]["samples"] == 200


def test_without_a_display_run_sh_says_what_to_do_in_one_line():
    """``env -u DISPLAY -u WAYLAND_DISPLAY bash run.sh`` on a server: one line of advice, not
    Qt's abort text, and a non-zero status."""
    import os
    import subprocess

    from conftest import ROOT

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    proc = subprocess.run(
        ["bash", str(ROOT / "run.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "no display" in lines[0]
    for way_out in ("ssh -X", "--headless", "QT_QPA_PLATFORM=vnc"):
        assert way_out in lines[0]
    assert "xcb-cursor0" not in proc.stderr


def test_headless_needs_no_display(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--headless", "--random", "64:3x8x8",
         "--report", str(tmp_path / "r.json")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["samples"] == 64
