"""Every input, generated (issue 8): whatever is typed as a random spec or on the command line
gives either a valid run or a clear message, never a traceback; absurd sizes are refused by
the memory estimate before anything is allocated."""

import contextlib
import io

import psutil
import pytest
from conftest import run_engine
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from explorer.cli import build_parser, config_from_args
from explorer.core.datasets.randomspec import MAX_SAMPLE_BYTES, parse_random_spec
from explorer.core.errors import ConfigError

DIMENSION = st.one_of(
    st.integers(-3, 12).map(str),
    st.integers(0, 10**12).map(str),
    st.sampled_from(["", "x", "1e3", "0x10", "١٢", " 3", "-", "nan"]),
)
SPECS = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda n, dims, dtype: f"{n}:{'x'.join(dims)}" + (f":{dtype}" if dtype else ""),
        DIMENSION,
        st.lists(DIMENSION, min_size=0, max_size=8),
        st.sampled_from([None, "", "float32", "uint8", "int64", "bfloat16", "float128", "str"]),
    ),
)


@settings(max_examples=400, deadline=None)
@given(SPECS)
def test_any_random_spec_parses_or_says_why(text):
    try:
        spec = parse_random_spec(text)
    except ConfigError as exc:
        assert exc.option == "--random" and exc.message and "\n" not in exc.message
    else:
        assert spec.count >= 1 and spec.sample_bytes <= MAX_SAMPLE_BYTES


VALUES = st.one_of(
    st.integers(-5, 70).map(str),
    st.sampled_from(["0", "1", "2", "64", "1e9", "-1", "abc", "", "3.5", "NaN", "inf", "99999999"]),
    st.text(max_size=12),
)
OPTIONS = [
    "--batch-size", "--workers", "--epochs", "--max-batches", "--resize", "--prefetch-factor",
    "--meta-bytes", "--step-ms", "--decode-timeout", "--max-pixels", "--memory-budget",
    "--mode", "--storage", "--index", "--start-method", "--random", "--dataset-args",
]  # fmt: skip
FLAGS = ["--shuffle", "--persistent-workers", "--pin-memory", "--allow-over-budget"]
ARGV = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(OPTIONS), VALUES).map(list),
        st.tuples(
            st.sampled_from(["--mode", "--storage", "--start-method"]),
            st.sampled_from(
                ["eager", "lazy", "memmap", "pil-list", "contiguous", "fork", "spawn", "bogus"]
            ),
        ).map(list),
        st.sampled_from(FLAGS).map(lambda f: [f]),
    ),
    max_size=6,
).map(lambda groups: [t for g in groups for t in g])


def _outcome(argv):
    """("usage", message) | ("config", message) | ("valid", config)."""
    parser = build_parser()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            args = parser.parse_args(["--headless", "--random", "64:3x8x8", *argv])
        except SystemExit as exc:
            assert exc.code == 2
            return "usage", err.getvalue()
    try:
        return "valid", config_from_args(args, max_batches=args.max_batches or 2).validate()
    except ConfigError as exc:
        return "config", str(exc)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ARGV)
def test_any_command_line_is_a_run_or_one_clear_line(argv):
    kind, result = _outcome(argv)
    if kind == "usage":
        lines = result.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("dataloader-explorer: error: argument ")
    elif kind == "config":
        assert "Traceback" not in result and result.startswith("--")
    else:
        assert result.batch_size >= 1 and result.workers >= 0


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(ARGV)
def test_valid_command_lines_really_run(argv):
    """A dozen generated command lines that validate are run for real (2 batches each)."""
    kind, config = _outcome(argv)
    assume(kind == "valid")
    config = config.__class__(**{**config.__dict__, "epochs": 1, "max_batches": 2, "step_ms": 0})
    finished, _ = run_engine(config)
    assert finished.status in ("completed", "failed"), finished
    if finished.status == "failed":  # a clear reason, not a crash
        assert finished.reason and "Traceback" not in finished.reason
        assert not finished.details, finished.details  # a known refusal, not an exception


@pytest.mark.parametrize(
    "argv",
    [
        ["--random", "2000:3x100000x100000"],
        ["--random", "2000:3x100000x100000", "--mode", "eager"],
        ["--random", "50000000:3x64x64", "--mode", "eager"],
        ["--random", "1000000000:3x224x224", "--mode", "eager", "--workers", "4"],
    ],
)
def test_absurd_sizes_are_refused_before_anything_is_allocated(argv):
    before = psutil.Process().memory_info().rss
    kind, result = _outcome(argv)
    if kind == "valid":  # the spec parses: the eager budget refuses it at build time
        finished, _ = run_engine(result)
        assert finished.status == "failed"
        assert "needs about" in finished.reason and "over the budget" in finished.reason
    else:
        assert "would take" in str(result) or "must be" in str(result)
    assert psutil.Process().memory_info().rss - before < 200 << 20
