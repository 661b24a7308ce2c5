"""One traced job, from launch to its last process gone.

``trace(config, emit, stop)`` runs the user's command unchanged, with the tracer's
``sitecustomize`` first on ``PYTHONPATH`` and the listener's socket in ``DLE_TRACE_SOCKET``;
samples the memory of the job's whole process tree from here (psutil, as for the explorer's
own runs); and emits the same events as a built-in run, ending with a ``RunFinished`` that
carries the job's exit status, the events its processes had to drop, and the tail of its
stderr.

Stop (the window's) sends SIGINT to the job's process group, then SIGTERM, then SIGKILL
after a grace period each; no process of the job is left behind.
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

from ..memory.sampler import MemorySampler
from ..run.events import JobOutput, RunFinished, RunStarted
from .job_model import JobModel
from .listener import Listener

SITE = Path(__file__).resolve().parents[2] / "tracer" / "site"
GRACE_S = 3.0  # for a process left behind after the job exited
# Stop: how long each signal has before the next. PyTorch's own shutdown of a DataLoader waits up
# to 5 s for each worker (MP_STATUS_CHECK_INTERVAL) before it kills it: escalating sooner cuts
# a clean shutdown short (CI saw a job stopped by SIGTERM 3 s after its SIGINT).
SIGNAL_GRACE_S = 6.0
STDERR_TAIL = 40

Emit = Callable[[object], None]


@dataclass(frozen=True)
class TraceConfig:
    command: tuple[str, ...]
    cwd: str | None = None
    #: the interpreter for a command that starts with ``python``/``python3`` (default: as typed)
    python: str | None = None
    #: headless: the job's stdout and stderr go to this terminal (stderr's tail kept too);
    #: otherwise both come back as JobOutput events
    passthrough: bool = False
    #: the job in a process group of its own (the window: Stop signals the whole group);
    #: headless keeps it in the terminal's group, so Ctrl+C reaches it as usual
    own_group: bool = True

    def argv(self) -> list[str]:
        argv = list(self.command)
        if self.python and argv and Path(argv[0]).name in ("python", "python3"):
            argv[0] = self.python
        return argv

    def to_dict(self) -> dict[str, object]:
        return {
            "source": "trace",
            "command": shlex.join(self.command),
            "cwd": self.cwd or os.getcwd(),
            "python": self.python,
        }


class CannotStart(Exception):
    """The command could not be started (not found, not executable)."""


def trace(config: TraceConfig, emit: Emit, stop: threading.Event | None = None) -> RunFinished:
    stop = stop or threading.Event()
    t0 = time.monotonic()
    sampler: MemorySampler | None = None
    model = JobModel(emit, t0, lambda: sampler.rediscover() if sampler else None)
    listener = Listener(model.take)
    env = {**os.environ, "DLE_TRACE_SOCKET": listener.path}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE), env.get("PYTHONPATH")) if p)
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL)
    try:
        job = _start(config, env)
    except CannotStart as exc:
        listener.close(0)
        finished = RunFinished(time.monotonic() - t0, "failed", str(exc), exit_code=None)
        emit(RunStarted(0.0, config.to_dict(), os.getpid()))
        emit(finished)
        return finished
    emit(RunStarted(0.0, config.to_dict(), job.pid))
    sampler = MemorySampler(emit, t0, root=job.pid, namer=model.name)
    sampler.start()
    readers = _read_output(job, config, emit, t0, tail)
    stopped = _wait(job, stop, model, config.own_group)
    for reader in readers:
        reader.join(5)
    listener.close()
    model.flush(float("inf"))
    _end_leftovers(job, sampler)
    sampler.stop()
    code = job.returncode
    status = "completed" if code == 0 else ("stopped" if stopped else "failed")
    last = next((line.strip() for line in reversed(tail) if line.strip()), "")
    reason = ""
    if code != 0:
        reason = _exit_reason(code, stopped) + (f": {last}" if last else "")
    finished = RunFinished(
        time.monotonic() - t0,
        status,
        reason,
        model.batches,
        model.samples,
        details="".join(tail),
        exit_code=code,
        events_dropped=model.events_dropped + listener.refused,
    )
    emit(finished)
    return finished


def _default_interrupt() -> None:
    """In the job, before it runs: Ctrl+C and Stop's SIGINT interrupt it, as in a terminal.
    An ignored SIGINT is inherited: the headless command ignores it while it waits for the
    job, and so does everything started in the background by a non-interactive shell (a CI
    script's ``&``), where Stop's SIGINT did nothing and the job ran on until SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(config: TraceConfig, env: dict[str, str]) -> subprocess.Popen:
    argv = config.argv()
    if not argv:
        raise CannotStart("no command to trace: give it after --, e.g. -- python train.py")
    try:
        return subprocess.Popen(
            argv,
            cwd=config.cwd,
            env=env,
            stdout=None if config.passthrough else subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=config.own_group,
            preexec_fn=_default_interrupt,
        )
    except FileNotFoundError:
        where = f" in {config.cwd}" if config.cwd else ""
        raise CannotStart(f"cannot start {argv[0]!r}: no such command or file{where}") from None
    except PermissionError:
        raise CannotStart(f"cannot start {argv[0]!r}: it is not executable") from None
    except OSError as exc:
        raise CannotStart(f"cannot start {argv[0]!r}: {exc.strerror or exc}") from None


def _read_output(
    job: subprocess.Popen, config: TraceConfig, emit: Emit, t0: float, tail: collections.deque
) -> list[threading.Thread]:
    """Threads that pass the job's output on: to this terminal (headless, unchanged) or as
    JobOutput events (the window's console pane), keeping stderr's last lines."""

    def pump(stream: IO[bytes], name: str, out: IO[bytes] | None) -> None:
        # Chunks as they come, not lines: a progress bar that redraws with \r shows live.
        decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        partial = ""
        while chunk := os.read(stream.fileno(), 65536):
            if out is not None:
                out.write(chunk)
                out.flush()
            text = decode(chunk)
            if out is None:
                emit(JobOutput(time.monotonic() - t0, name, text))
            if name == "stderr":
                *lines, partial = (partial + text).split("\n")
                tail.extend(line + "\n" for line in lines)
        if name == "stderr" and partial:
            tail.append(partial)
        stream.close()

    threads = []
    streams = [("stderr", job.stderr, sys.stderr.buffer if config.passthrough else None)]
    if job.stdout is not None:
        streams.append(("stdout", job.stdout, None))
    for name, stream, out in streams:
        thread = threading.Thread(target=pump, args=(stream, name, out), daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def _wait(job: subprocess.Popen, stop: threading.Event, model: JobModel, own_group: bool) -> bool:
    """Until the job exits; on ``stop``, SIGINT, then SIGTERM, then SIGKILL to its group.
    Returns whether it was stopped."""
    stopped = False
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]
    next_signal_at = 0.0
    while job.poll() is None:
        model.flush()
        if stop.is_set():
            stopped = True
            now = time.monotonic()
            if signals and now >= next_signal_at:
                _signal(job, signals.pop(0), own_group)
                next_signal_at = now + SIGNAL_GRACE_S
        time.sleep(0.05)
    return stopped


def _signal(job: subprocess.Popen, sig: int, own_group: bool) -> None:
    """To the job's whole group when it has its own (the window's), else to the job alone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if own_group:
            os.killpg(job.pid, sig)
        else:
            job.send_signal(sig)


def _end_leftovers(job: subprocess.Popen, sampler: MemorySampler) -> None:
    """Processes of the job still alive after it exited (a worker its crash left behind):
    asked to end, then killed."""
    alive = []
    for pid in sampler.tracked_pids():
        if pid == job.pid:
            continue
        with contextlib.suppress(psutil.Error):
            alive.append(psutil.Process(pid))
    alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    if not alive:
        return
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(alive, timeout=GRACE_S)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()


def _exit_reason(code: int | None, stopped: bool) -> str:
    if code is None:
        return "the job did not exit"
    if code < 0:
        try:
            name: object = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the job was {'stopped' if stopped else 'killed'} by {name}"
    return f"the job exited with status {code}"
