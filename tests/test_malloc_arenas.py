"""The window's process keeps one C heap (``core.memory.malloc_arenas``): a thread started
after it allocates from the main arena, so an eager dataset's pixels come from fresh memory
that glibc does not clear with the interpreter lock held."""

import subprocess
import sys

import pytest
from conftest import ROOT

SCRIPT = """
import sys, threading
import numpy as np
from explorer.core.memory.malloc_arenas import use_one_arena
from explorer.core.memory.memory_trim import libc_function
if sys.argv[1] == "one":
    assert use_one_arena()
kept = []
def decode():  # what an engine thread does: big allocations, kept
    kept.extend(np.ones(3 << 20, dtype=np.uint8) for _ in range(4))
t = threading.Thread(target=decode)
t.start()
t.join()
libc_function("malloc_stats")()  # one "Arena N:" block per arena, on stderr
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")
@pytest.mark.parametrize(("mode", "arenas"), [("one", 1), ("default", 2)])
def test_a_thread_started_after_use_one_arena_allocates_from_the_main_arena(mode, arenas):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("Arena ") == arenas, out.stderr
