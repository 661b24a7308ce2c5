"""Measured advice (issue 17, headless): ``--sweep`` runs each point for real and recommends
one that keeps up within the memory budget."""

from __future__ import annotations

import json

import pytest
from conftest import make_jpegs, run_cli


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return make_jpegs(tmp_path_factory.mktemp("sweep") / "photos", 240, (640, 480), classes=2)


def sweep(tmp_path, photos, *extra: str) -> tuple[int, str, dict]:
    report = tmp_path / "sweep.json"
    code, _, err = run_cli(
        "--headless", "--folder", str(photos), "--sweep", "workers=0,1,2", "--sweep-seconds",
        "2", "--step-ms", "30", "--batch-size", "64", "--no-progress", "--report", str(report),
        *extra, timeout=300,
    )  # fmt: skip
    return code, err, json.loads(report.read_text()) if report.exists() else {}


def test_a_workers_sweep_measures_each_point_and_recommends_one(tmp_path, photos):
    code, err, report = sweep(tmp_path, photos)
    assert code == 0, err
    points = {p["workers"]: p for p in report["sweep"]}
    assert sorted(points) == [0, 1, 2]  # one measured point per setting
    for p in points.values():
        assert p["samples_per_s"] > 0 and p["startup_s"] is not None
        assert p["peak_pss_total"] > 0 and p["predicted_peak_pss_total"] > 0
        assert p["within_budget"] is True
    assert points[2]["peak_pss_total"] > points[0]["peak_pss_total"]
    rec = report["summary"]["recommendation"]
    fastest = max(p["samples_per_s"] for p in points.values())
    assert rec["samples_per_s"] >= 0.95 * fastest
    assert rec["reason"].startswith(f"workers={rec['workers']}: ")
    err_ = report["summary"]["prediction_error"]
    assert err_["points"] == 3 and 0 <= err_["median"] <= err_["max"]
    assert all(p["predicted"] and p["workers"] > 2 for p in report["sweep_predicted"])
    assert "recommended: workers=" in err

    # a budget below the recommended point's peak: the advice moves to a point that fits
    chosen = points[rec["workers"]]["peak_pss_total"]
    cheapest = min(p["peak_pss_total"] for p in points.values())
    if chosen - cheapest < 8 << 20:
        pytest.skip("the points' peaks are too close on this machine to put a budget between")
    budget = (chosen + cheapest) // 2
    code, err, again = sweep(tmp_path, photos, "--memory-budget", str(budget))
    assert code == 0, err
    # The second sweep measures every point afresh, and its peaks differ from the first's
    # by a few MiB: each point is judged by its own new peak against the budget.
    measured = {p["workers"]: p for p in again["sweep"]}
    for p in measured.values():
        assert p["budget"] == budget
        assert p["within_budget"] == (p["peak_pss_total"] <= budget)
    fitting = {w for w, p in measured.items() if p["within_budget"]}
    moved = again["summary"]["recommendation"]
    if not fitting:  # every peak came out above it this time: the advice says so
        assert moved["reason"].startswith("no measured point fits the memory budget")
        assert "workers" not in moved
        return
    assert moved["workers"] in fitting and moved["peak_pss_total"] <= budget
    if rec["workers"] not in fitting:
        assert moved["workers"] != rec["workers"]


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("threads=1,2", "sweep one of workers"),
        ("workers=", "give at least one value"),
        ("workers=two", "is not a whole number"),
        ("batch-size=0", "must be 1 or more"),
        ("start-method=thread", "is not fork, spawn or forkserver"),
    ],
)
def test_bad_sweep_specs_get_one_line_and_status_2(spec, says):
    code, _, err = run_cli("--headless", "--random", "64:3x8x8", "--sweep", spec)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and says in err and "--sweep" in err
