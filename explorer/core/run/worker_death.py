"""A DataLoader worker that died, told in plain words: which worker, which signal, the likely
cause, and what to try.

When a worker dies, PyTorch says "DataLoader worker (pid(s) 1234) exited unexpectedly" (its
SIGCHLD handler, which names the signal, exists only on the main thread). The worker's
process object knows more: its exit code, negative for the signal that ended it.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from typing import Any

from ..memory.system_memory import read_system_memory
from ..units import format_bytes

_CAUSES = {
    signal.SIGKILL: (
        "the likely cause is the kernel's out-of-memory killer, which kills the biggest "
        "process when memory runs out{memory}",
        "fewer workers, a smaller batch size or prefetch factor, lazy or memmap loading instead "
        "of eager, or a numpy index instead of a list",
    ),
    signal.SIGBUS: (
        "a bus error: the likely cause is a full /dev/shm, through which workers hand batches "
        "to the main process{shm}",
        "a larger /dev/shm (Docker: --shm-size=2g), fewer workers, or a smaller batch size or "
        "prefetch factor",
    ),
    signal.SIGSEGV: (
        "a crash in native code (a segmentation fault): a bug in a C extension, or a decoder "
        "on a corrupt file",
        "running with 0 workers, which shows where it happens",
    ),
    signal.SIGABRT: (
        "an abort in native code (an assertion in a C++ library)",
        "running with 0 workers, which shows where it happens",
    ),
}
_FROM_OUTSIDE = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def dead_workers(workers: Sequence[Any]) -> list[tuple[int, int, int]]:
    """(worker id, pid, exit code) of each worker process that has ended with an error."""
    dead = []
    for wid, proc in enumerate(workers):
        code = getattr(proc, "exitcode", None)
        if code is None and not proc.is_alive():  # is_alive() reaps it and sets exitcode
            code = proc.exitcode
        if code:
            dead.append((wid, proc.pid, code))
    return dead


def explain(worker: int, pid: int, exitcode: int) -> str:
    """One paragraph for a user: what happened to worker-``worker``, why, and what to try."""
    who = f"DataLoader worker {worker} (pid {pid})"
    if exitcode > 0:
        return (
            f"{who} exited with status {exitcode} without a Python traceback: something in "
            "it called exit() or a native library gave up. Try running with 0 workers to see it."
        )
    signum = -exitcode
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    if signum in _FROM_OUTSIDE:
        return (
            f"{who} was stopped by {name}, sent from outside the program (a user, a job "
            "scheduler or a container stopping)."
        )
    cause, remedy = _CAUSES.get(
        signum, (f"an unusual signal for a worker ({name})", "running with 0 workers")
    )
    system = read_system_memory()
    memory = f" ({format_bytes(system.available)} of {format_bytes(system.total)} available now)"
    shm = ""
    if system.shm_total:
        shm = (
            f" ({format_bytes(system.shm_used or 0)} of {format_bytes(system.shm_total)} used now)"
        )
    return f"{who} was killed by {name}: {cause.format(memory=memory, shm=shm)}. Try {remedy}."
