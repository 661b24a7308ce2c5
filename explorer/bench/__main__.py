"""``python -m explorer.bench [--quick] [--json FILE] [--only NAME...] [--soak SECONDS]``

Measures DataLoader Explorer side by side with the bare alternatives in one run and prints
each figure against its goal. Ratios of medians: this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Figure:
    name: str
    value: float
    goal: str
    ok: bool
    unit: str
    detail: dict[str, Any]

    def line(self) -> str:
        mark = "ok  " if self.ok else "MISS"
        return f"{mark} {self.name:<44} {self.value:>9.3f} {self.unit:<8} goal {self.goal}"


def _probe(args: list[str], env: dict[str, str] | None = None, timeout: float = 900) -> dict:
    """Run a window probe in a fresh interpreter; its last stdout line is JSON."""
    proc = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"probe {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def _median_probe(args: list[str], key: str, repeats: int, env: dict | None = None) -> float:
    import statistics

    return statistics.median(_probe(args, env)[key] for _ in range(repeats))


def run_benchmark(quick: bool, only: set[str] | None) -> list[Figure]:
    from ..core.config import RunConfig
    from . import data, loading
    from .sampler_cost import sampler_cost

    repeats = 3 if quick else 5
    tmp = Path(tempfile.mkdtemp(prefix="dle-bench-"))
    figures: list[Figure] = []

    def want(name: str) -> bool:
        return only is None or name in only

    def add(name: str, value: float, goal: str, ok: bool, unit: str, detail: dict) -> None:
        figure = Figure(name, value, goal, ok, unit, detail)
        figures.append(figure)
        print(figure.line(), flush=True)

    jpeg_run = None  # lazy JPEG loading with 2 workers: the overhead, preview and limit runs
    if want("overhead") or want("preview") or want("limit"):
        jpegs = data.jpeg_folder(tmp / "jpegs", 400 if quick else 1000, (1024, 768))
        jpeg_run = RunConfig(folder=str(jpegs), workers=2, batch_size=32, epochs=3).validate()
    if want("overhead"):
        r = loading.engine_overhead(jpeg_run, repeats)
        add(
            "engine overhead, lazy JPEG, 2 workers",
            r["ratio"],
            "≤ 1.03",
            r["ratio"] <= 1.03,
            "×",
            r,
        )
        spec = "100000:8" if quick else "300000:8"
        cfg = RunConfig(random=spec, workers=0, batch_size=64).validate()
        r = loading.engine_overhead(cfg, repeats)
        add(
            "engine overhead, tiny tensors, 0 workers",
            r["ratio"],
            "≤ 1.05",
            r["ratio"] <= 1.05,
            "×",
            r,
        )
    if want("sampler"):
        r = sampler_cost(5.0 if quick else 20.0, gib=0.5 if quick else 1.0)
        pct = r["core_fraction"] * 100
        add("sampler CPU, main + 4 workers of ~1 GB", pct, "≤ 2 %", pct <= 2, "% core", r)
    if want("responsive"):
        r = _probe(["-m", "explorer.bench.window_probes", "responsive", "5" if quick else "15"])
        ok = r["p99_ms"] <= 20 and r["max_ms"] <= 100
        add("window heartbeat lateness p99", r["p99_ms"], "≤ 20 ms (max ≤ 100)", ok, "ms", r)
    if want("preview"):
        r = loading.preview_cost(jpeg_run, repeats)
        add(
            "throughput with the preview on / off", r["ratio"], "≥ 0.97", r["ratio"] >= 0.97, "×", r
        )
    if want("draft"):
        big = data.jpeg_folder(tmp / "big", 60, (1024, 768), seed=1)
        r = loading.draft_decode(big, 224, repeats)
        ok = r["speedup"] >= 2 and r["psnr_db"] >= 30
        add("JPEG draft decode speed-up at 224", r["speedup"], "≥ 2× (PSNR ≥ 30 dB)", ok, "×", r)
    if want("limit"):
        r = loading.machine_limit(jpeg_run, repeats)
        add("2-worker throughput / 2 × single-core", r["ratio"], "≥ 0.9", r["ratio"] >= 0.9, "×", r)
    if want("scan"):
        from .scan_speed import scan_speed

        r = scan_speed(tmp / "small", 10_000 if quick else 100_000)
        add(
            "folder scan vs a plain Image.open loop",
            r["speedup"],
            "≥ 1.5×",
            r["speedup"] >= 1.5,
            "×",
            r,
        )
    if want("startup"):
        n = 3 if quick else 5
        app = _median_probe(
            [str(ROOT / "main.py")],
            "first_paint_s",
            n,
            {"DLE_PROBE": "startup", "XDG_CONFIG_HOME": str(tmp / "cfg")},
        )
        bare = _median_probe(
            ["-m", "explorer.bench.window_probes", "bare-startup"], "first_paint_s", n
        )
        r = {"app_s": app, "bare_s": bare, "ratio": app / bare}
        add(
            "start-up to first paint vs a bare window",
            r["ratio"],
            "≤ 1.5×",
            r["ratio"] <= 1.5,
            "×",
            r,
        )
    if want("idle"):
        env = {"XDG_CONFIG_HOME": str(tmp / "cfg")}
        bare = _median_probe(["-m", "explorer.bench.window_probes", "bare-idle", "3"], "rss", 3)
        for probe, label in (("idle", "before a run"), ("idle-after-run", "after a run")):
            rss = _median_probe(
                [str(ROOT / "main.py")], "rss", 3, {"DLE_PROBE": f"{probe}:3", **env}
            )
            extra = (rss - bare) / (1 << 20)
            r = {"app_rss": rss, "bare_rss": bare, "extra_mib": extra}
            if probe == "idle-after-run":  # what running torch at all adds, for comparison
                loop = _median_probe(
                    ["-m", "explorer.bench.window_probes", "bare-idle-after-loader", "3"], "rss", 3
                )
                r["bare_after_loader_rss"] = loop
                r["extra_over_bare_after_loader_mib"] = (rss - loop) / (1 << 20)
            ok = extra <= 40 * 1e6 / (1 << 20)
            add(f"idle memory {label} over torch+Qt+window", extra, "≤ +40 MB", ok, "MiB", r)
    if want("longrun"):
        n = 20_000 if quick else 100_000
        r = _probe(["-m", "explorer.bench.window_probes", "longrun", str(n)])
        mib = r["growth_bytes"] / (1 << 20)
        add(
            f"RSS growth over {n:,} batches after its start",
            mib,
            "≤ 10 MB",
            mib <= 10 * 1e6 / (1 << 20),
            "MiB",
            r,
        )
    return figures


def run_soak(seconds: float) -> dict:
    r = _probe(["-m", "explorer.bench.window_probes", "soak", str(seconds)], timeout=seconds + 300)
    print(
        f"soak {seconds:.0f} s, {r['runs']} runs: main RSS {r['rss_reference'] / 2**20:.1f} MiB "
        f"at {r['reference_t']:.0f} s -> {r['rss_end'] / 2**20:.1f} MiB at the end "
        f"({r['rss_growth_pct']:+.2f} %, goal < 2 %); open files {r['fds_reference']} -> "
        f"{r['fds_end']}; threads {r['threads_reference']} -> {r['threads_end']}",
        flush=True,
    )
    return r


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m explorer.bench", description=__doc__.split("\n\n")[1]
    )
    p.add_argument("--quick", action="store_true", help="a reduced set, under two minutes (CI)")
    p.add_argument("--json", metavar="FILE", help="write every figure here")
    p.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="overhead sampler responsive preview draft limit scan startup idle longrun",
    )
    p.add_argument(
        "--soak", type=float, metavar="SECONDS", help="only the soak: epochs back to back"
    )
    args = p.parse_args(argv)
    t0 = time.monotonic()
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    print(
        f"DataLoader Explorer benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {machine}", flush=True
    )
    if args.soak:
        out: dict[str, Any] = {"soak": run_soak(args.soak)}
        ok = out["soak"]["rss_growth_pct"] < 2
    else:
        figures = run_benchmark(args.quick, set(args.only) if args.only else None)
        out = {"figures": [f.__dict__ for f in figures]}
        ok = all(f.ok for f in figures)
        missed = [f.name for f in figures if not f.ok]
        took = time.monotonic() - t0
        met = len(figures) - len(missed)
        print(
            f"{met}/{len(figures)} goals met in {took:.0f} s"
            + (f"; missed: {', '.join(missed)}" if missed else "")
        )
    out.update({"date": time.strftime("%Y-%m-%d"), "machine": machine, "quick": args.quick})
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    raise SystemExit(main())
