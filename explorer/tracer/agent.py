"""DataLoader Explorer's agent inside a traced training job.

A guest in someone else's process: the standard library, and torch once the job imports it;
nothing else. It never blocks the job and never changes what the job computes:

- Every ``DataLoader`` the job creates is described once (where the job's code created it,
  the dataset and its wrappers, batch size, workers, context...).
- Each ``next()`` on a DataLoader iterator is timed (the wait), and the time between batches
  (the job's step); the batch itself is returned untouched.
- In the workers (and in the main process with ``num_workers=0``), each batch's fetch is
  timed; a torchvision-style transform chain (an object whose ``transforms`` is a list of
  callables) on the dataset has each step timed.
- A few times a second at most, small thumbnails of a batch are made on a thread of the
  agent's own, off the training loop's path.

Messages (plain dicts) go to the explorer over a Unix socket named in ``DLE_TRACE_SOCKET``,
written by a sender thread; the job only appends to a bounded queue. When the queue is full
(the explorer is slow or gone) messages are dropped and counted, never waited for.

The job's interpreter may be older than the explorer's: this file keeps to Python 3.8's syntax
and evaluates no ``X | Y`` types at run time (a test parses it as 3.8).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import importlib.abc
import importlib.machinery
import os
import pickle
import socket
import struct
import sys
import threading
import time
import weakref

ENV_SOCKET = "DLE_TRACE_SOCKET"
QUEUE_LIMIT = 20_000
SEND_INTERVAL_S = 0.05
PREVIEW_INTERVAL_S = 0.5
THUMBNAILS_EXIT_WAIT_S = 2.0  # a picture takes milliseconds; a job's exit never waits longer
PREVIEW_COUNT = 8
THUMB = 64
TRANSFORM_REPORT_S = 1.0
EXIT_WAIT_S = 0.5  # the longest a process's exit waits for its last messages

_here = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------- the channel
class _Channel:
    """A bounded queue and a sender thread per process (re-made in a forked child)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.queue: collections.deque = collections.deque()
        self.dropped = 0
        self.dead = False
        self.sending = False  # a chunk taken off the queue and not yet written to the socket
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, message: dict) -> None:
        if self.dead:
            self.dropped += 1
            return
        if len(self.queue) >= QUEUE_LIMIT:
            self.dropped += 1
            return
        self.queue.append(message)
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="dle-trace", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self.path)
        except OSError:
            self._give_up()
            return
        self._sock = sock
        while True:
            if not self._flush(sock):
                return
            time.sleep(SEND_INTERVAL_S)

    def _flush(self, sock: socket.socket) -> bool:
        chunk = []
        self.sending = True
        try:
            while self.queue and len(chunk) < 500:
                chunk.append(self.queue.popleft())
            if not chunk:
                return True
            if self.dropped:
                chunk.append({"kind": "dropped", "pid": os.getpid(), "count": self.dropped})
            data = pickle.dumps(chunk, protocol=4)
            sock.sendall(struct.pack("!I", len(data)) + data)
        except (OSError, pickle.PicklingError, TypeError):
            self._give_up()
            return False
        finally:
            self.sending = False
        return True

    def _give_up(self) -> None:
        self.dead = True
        self.dropped += len(self.queue)
        self.queue.clear()

    def close(self, timeout: float = EXIT_WAIT_S) -> None:
        """Send what is queued, the chunk being written included (the process is ending: a
        worker's last transform report was lost when it exited while the sender thread had
        taken the report off the queue but not yet written it). A guest's exit waits for
        this at most ``timeout``: a write normally takes a millisecond; one that blocks (the
        explorer not reading) must not hold up the job's own shutdown, which a worker's
        wait delays in turn (a Stop then escalated to SIGTERM once in CI)."""
        deadline = time.monotonic() + timeout
        while (self.queue or self.sending) and not self.dead and time.monotonic() < deadline:
            if self._thread is None:
                self._start()
            time.sleep(0.01)


_channel: _Channel | None = None


def _send(message: dict) -> None:
    channel = _channel
    if channel is not None:
        channel.send(message)


def _after_fork_in_child() -> None:
    global _channel
    if _channel is not None:
        _channel = _Channel(_channel.path)
    _Thumbnails.instance = None
    _Thumbnails.closed = False
    _worker_state.update(generation=-1, fetcher=None, count=0, last_transforms=0.0)
    _TIMES.clear()


# ---------------------------------------------------------------------------- identity
def _rank() -> int | None:
    value = os.environ.get("RANK")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _hello(kind: str) -> None:
    _send(
        {
            "kind": "hello",
            "role": kind,
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "rank": _rank(),
            "local_rank": os.environ.get("LOCAL_RANK"),
            "world_size": os.environ.get("WORLD_SIZE"),
            "argv": [str(a) for a in sys.argv[:6]],
            "t": time.monotonic(),
        }
    )


# ---------------------------------------------------------------------------- describing
def _describe_dataset(dataset: object, depth: int = 0) -> str:
    name = type(dataset).__name__
    if depth > 5:
        return name
    inner = getattr(dataset, "dataset", None)
    if inner is not None and inner is not dataset:
        return f"{name}({_describe_dataset(inner, depth + 1)})"
    many = getattr(dataset, "datasets", None)
    if isinstance(many, (list, tuple)) and many:
        parts = [_describe_dataset(d, depth + 1) for d in many[:4]]
        return f"{name}({', '.join(parts)}{', ...' if len(many) > 4 else ''})"
    return name


def _created_at() -> str:
    """file:line of the job's own code that created the DataLoader (torch's and ours skipped)."""
    torch_dir = os.sep + "torch" + os.sep
    frame = sys._getframe(1)
    for _ in range(40):
        if frame is None:
            break
        file = frame.f_code.co_filename
        if not (torch_dir in file or file.startswith(_here) or file.startswith("<frozen")):
            return f"{os.path.basename(file)}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


_loader_ids: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_next_loader = [0]


def _on_loader_created(loader: object) -> None:
    _next_loader[0] += 1
    loader_id = _next_loader[0]
    _loader_ids[loader] = loader_id
    dataset = getattr(loader, "dataset", None)
    try:
        length = len(dataset)  # type: ignore[arg-type]
    except Exception:
        length = None
    try:
        batches = len(loader)  # type: ignore[arg-type]
    except Exception:
        batches = None
    context = getattr(loader, "multiprocessing_context", None)
    if context is not None and not isinstance(context, str):
        context = context.get_start_method()
    workers = getattr(loader, "num_workers", 0)
    if workers and context is None:
        import multiprocessing

        context = multiprocessing.get_start_method(allow_none=True) or "fork"
    transforms = _time_transforms(dataset, loader_id)
    _send(
        {
            "kind": "loader",
            "id": loader_id,
            "pid": os.getpid(),
            "rank": _rank(),
            "created_at": _created_at(),
            "dataset": _describe_dataset(dataset),
            "len": length,
            "batch_size": getattr(loader, "batch_size", None),
            "num_workers": workers,
            "multiprocessing_context": context,
            "persistent_workers": bool(getattr(loader, "persistent_workers", False)),
            "pin_memory": bool(getattr(loader, "pin_memory", False)),
            "prefetch_factor": getattr(loader, "prefetch_factor", None),
            "batches": batches,
            "transforms": transforms,
            "t": time.monotonic(),
        }
    )


# ---------------------------------------------------------------------------- transforms
_TIMES: dict[tuple[int, str], list[float]] = {}  # (loader, step name) -> [calls, seconds]


class TimedStep:
    """One step of a transform chain, timed where it runs (picklable: spawned workers get it
    and resolve this class through the ``_dle_agent`` module their sitecustomize loaded)."""

    def __init__(self, step: object, name: str, loader: int) -> None:
        self.step = step
        self.name = name
        self.loader = loader
        functools.update_wrapper(self, step, updated=())  # type: ignore[arg-type]

    def __call__(self, *args: object, **kwargs: object) -> object:
        t0 = time.perf_counter()
        try:
            return self.step(*args, **kwargs)  # type: ignore[operator]
        finally:
            entry = _TIMES.setdefault((self.loader, self.name), [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - t0

    def __repr__(self) -> str:
        return repr(self.step)

    def __getattr__(self, name: str) -> object:
        if name == "step":
            raise AttributeError(name)
        return getattr(self.step, name)

    def __getstate__(self) -> dict:
        return {"step": self.step, "name": self.name, "loader": self.loader}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


def _chains(dataset: object, depth: int = 0) -> list[object]:
    """The transform chains on a dataset and behind its wrappers."""
    if dataset is None or depth > 5:
        return []
    found = []
    for attr in ("transform", "transforms"):
        chain = getattr(dataset, attr, None)
        if isinstance(getattr(chain, "transforms", None), list):
            found.append(chain)
    inner = getattr(dataset, "dataset", None)
    if inner is not None and inner is not dataset:
        found += _chains(inner, depth + 1)
    many = getattr(dataset, "datasets", None)
    if isinstance(many, (list, tuple)):
        for d in many:
            found += _chains(d, depth + 1)
    return found


def _time_transforms(dataset: object, loader: int) -> list[str]:
    names: list[str] = []
    try:
        for chain in _chains(dataset):
            steps = chain.transforms  # type: ignore[attr-defined]
            for i, step in enumerate(steps):
                if isinstance(step, TimedStep) or not callable(step):
                    continue
                name = f"{i}:{getattr(step, '__name__', None) or type(step).__name__}"
                steps[i] = TimedStep(step, name, loader)
                names.append(name)
    except Exception:
        pass
    return names


def _report_transforms(force: bool = False) -> None:
    now = time.monotonic()
    if not _TIMES or (not force and now - _worker_state["last_transforms"] < TRANSFORM_REPORT_S):
        return
    _worker_state["last_transforms"] = now
    _send(
        {
            "kind": "transforms",
            "pid": os.getpid(),
            "steps": [[loader, name, v[0], v[1]] for (loader, name), v in _TIMES.items()],
        }
    )


# ---------------------------------------------------------------------------- fetching
_worker_state: dict = {"generation": -1, "fetcher": None, "count": 0, "last_transforms": 0.0}
_local = threading.local()


def _timed_fetch(original):  # type: ignore[no-untyped-def]
    @functools.wraps(original)
    def fetch(self, possibly_batched_index):  # type: ignore[no-untyped-def]
        start = time.monotonic()
        data = original(self, possibly_batched_index)
        end = time.monotonic()
        try:
            n = len(possibly_batched_index) if self.auto_collation else 1
        except TypeError:
            n = 1
        _on_fetch(self, start, end, n)
        return data

    return fetch


def _on_fetch(fetcher: object, start: float, end: float, n: int) -> None:
    info = _worker_info()
    if info is None:  # num_workers=0: the iterator's next() picks it up
        _local.fetch = (start, end, n)
        return
    if _worker_state["fetcher"] is not fetcher:  # a new epoch (persistent workers: a resume)
        _worker_state.update(fetcher=fetcher, generation=_worker_state["generation"] + 1, count=0)
        if _worker_state["generation"] == 0:
            _hello("worker")
    _send(
        {
            "kind": "fetch",
            "pid": os.getpid(),
            "worker": info.id,
            "generation": _worker_state["generation"],
            "seq": _worker_state["count"],
            "start": start,
            "end": end,
            "n": n,
        }
    )
    _worker_state["count"] += 1
    _report_transforms()


def _worker_info():  # type: ignore[no-untyped-def]
    data = sys.modules.get("torch.utils.data")
    return data.get_worker_info() if data is not None else None


def _at_worker_exit() -> None:
    _report_transforms(force=True)
    if _channel is not None:
        _channel.close()


# ---------------------------------------------------------------------------- iterating
_loader_epochs: dict[int, int] = {}  # loader id -> epochs begun (a new iterator each, or not)


class _IterState:
    __slots__ = (
        "batches", "epoch", "first_epoch", "index", "last_return", "loader", "persistent",
        "workers",
    )  # fmt: skip

    def __init__(self, loader: int, persistent: bool) -> None:
        self.loader = loader
        self.persistent = persistent
        self.epoch = -1
        self.first_epoch = _loader_epochs.get(loader, 0)  # this iterator's first epoch
        self.index = 0
        self.batches = 0
        self.last_return: float | None = None
        self.workers: list[int] = []


_iter_states: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _on_iter(loader: object, iterator: object) -> None:
    """A new epoch on ``iterator`` (a new one, or a persistent one reset)."""
    loader_id = _loader_ids.get(loader)
    if loader_id is None:
        return
    state = _iter_states.get(iterator)
    if state is None:
        state = _IterState(loader_id, bool(getattr(loader, "persistent_workers", False)))
        _iter_states[iterator] = state
    state.epoch = _loader_epochs.get(loader_id, 0)
    _loader_epochs[loader_id] = state.epoch + 1
    state.index = 0
    state.last_return = None
    workers = getattr(iterator, "_workers", None) or []
    pids = [getattr(w, "pid", None) for w in workers]
    _send(
        {
            "kind": "epoch",
            "loader": loader_id,
            "pid": os.getpid(),
            "rank": _rank(),
            "epoch": state.epoch,
            "workers": pids,
            "t": time.monotonic(),
        }
    )


def _on_batch(iterator: object, batch: object, asked: float, got: float) -> None:
    state = _iter_states.get(iterator)
    if state is None:
        return
    fetch = getattr(_local, "fetch", None)
    _local.fetch = None
    step = asked - state.last_return if state.last_return is not None else None
    workers = getattr(iterator, "_num_workers", 0)
    _send(
        {
            "kind": "batch",
            "loader": state.loader,
            "pid": os.getpid(),
            "rank": _rank(),
            "epoch": state.epoch,
            "index": state.index,
            "batches": state.batches,
            "workers": workers,
            # the workers' epochs: persistent ones count resumes since the iterator began
            "generation": state.epoch - state.first_epoch if state.persistent else 0,
            "asked": asked,
            "got": got,
            "step_s": step,
            "fetch": fetch,
        }
    )
    state.index += 1
    state.batches += 1
    state.last_return = time.monotonic()
    _Thumbnails.offer(state.loader, state.index - 1, state.epoch, batch)
    if fetch is not None:
        _report_transforms()


# ---------------------------------------------------------------------------- thumbnails
class _Thumbnails:
    """Small pictures of a batch, a few a second at most, made on a thread of their own.

    The thread is stopped, after the picture it is making, before the job's interpreter
    exits (``close``): a daemon thread still inside a torch operation while the process tears
    down torch's thread pools aborted the job ("terminate called without an active
    exception", exit status -6) in 5 of 20 traced runs of a job that exits right after its
    last batch, 19 of 30 with both cores busy."""

    instance: _Thumbnails | None = None
    closed = False  # set at the job's exit: the thread ends, and none is started after it

    def __init__(self) -> None:
        self.slot: collections.deque = collections.deque(maxlen=1)
        self.next_at = 0.0
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name="dle-thumbnails", daemon=True)
        self.thread.start()

    @classmethod
    def offer(cls, loader: int, index: int, epoch: int, batch: object) -> None:
        now = time.monotonic()
        self = cls.instance
        if self is not None and now < self.next_at:
            return
        if self is None:
            if cls.closed:
                return
            self = cls.instance = cls()
        self.next_at = now + PREVIEW_INTERVAL_S
        self.slot.append((loader, index, epoch, batch))
        self.wake.set()

    @classmethod
    def close(cls, timeout: float = THUMBNAILS_EXIT_WAIT_S) -> None:
        """Stop the thread after the picture it is making (waiting at most ``timeout``)."""
        cls.closed = True
        self = cls.instance
        if self is None:
            return
        self.slot.clear()
        self.wake.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        while True:
            self.wake.wait()
            self.wake.clear()
            if _Thumbnails.closed:
                return
            try:
                loader, index, epoch, batch = self.slot.pop()
            except IndexError:
                continue
            try:
                pictures, shape, dtype = _pictures(batch)
            except Exception:  # a batch we cannot picture is not shown
                pictures, shape, dtype = [], [], ""
            del batch
            if pictures:
                _send(
                    {
                        "kind": "preview",
                        "loader": loader,
                        "pid": os.getpid(),
                        "rank": _rank(),
                        "index": index,
                        "epoch": epoch,
                        "pictures": pictures,
                        "shape": shape,
                        "dtype": dtype,
                        "t": time.monotonic(),
                    }
                )


def _find_images(batch: object, depth: int = 0):  # type: ignore[no-untyped-def]
    import torch

    if isinstance(batch, torch.Tensor):
        if batch.dim() == 4 and batch.shape[1] in (1, 3, 4):
            return batch
        if batch.dim() == 4 and batch.shape[-1] in (1, 3, 4):
            return batch.permute(0, 3, 1, 2)
        if batch.dim() == 3 and min(batch.shape[1:]) >= 8:
            return batch.unsqueeze(1)
        return None
    if depth > 3:
        return None
    if isinstance(batch, dict):
        keys = ("image", "img", "images", "pixel_values", "input", "inputs", "x")
        values = [batch[k] for k in keys if k in batch] + list(batch.values())
    elif isinstance(batch, (list, tuple)):
        values = list(batch)
    else:
        return None
    for value in values:
        found = _find_images(value, depth + 1)
        if found is not None:
            return found
    return None


def _pictures(batch: object) -> tuple[list[tuple[int, int, bytes]], list[int], str]:
    """(height, width, RGB bytes) of up to PREVIEW_COUNT samples, at most THUMB on a side,
    each stretched over its own range (normalized data shows)."""
    import torch

    images = _find_images(batch)
    if images is None:
        return [], [], ""
    shape, dtype = [int(n) for n in images.shape[1:]], str(images.dtype)
    with torch.no_grad():
        x = images[:PREVIEW_COUNT].detach().to("cpu", torch.float32)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = x[:, :3]
        h, w = x.shape[-2:]
        scale = THUMB / max(h, w)
        if scale < 1:
            size = (max(1, round(h * scale)), max(1, round(w * scale)))
            x = torch.nn.functional.interpolate(x, size=size, mode="area")
        flat = x.flatten(1)
        lo = flat.min(1).values.view(-1, 1, 1, 1)
        hi = flat.max(1).values.view(-1, 1, 1, 1)
        x = ((x - lo) / (hi - lo).clamp_min(1e-12) * 255).round().clamp(0, 255)
        x = x.to(torch.uint8).permute(0, 2, 3, 1).contiguous()
    return [(int(p.shape[0]), int(p.shape[1]), _bytes(p)) for p in x], shape, dtype


def _bytes(t) -> bytes:  # type: ignore[no-untyped-def]
    try:
        return t.numpy().tobytes()
    except (RuntimeError, TypeError, ImportError):  # torch built without numpy
        return bytes(t.reshape(-1).tolist())


# ---------------------------------------------------------------------------- patching
def _patch(dataloader_module) -> None:  # type: ignore[no-untyped-def]
    DataLoader = dataloader_module.DataLoader
    Base = dataloader_module._BaseDataLoaderIter
    if getattr(DataLoader, "_dle_traced", False):
        return

    original_init = DataLoader.__init__

    @functools.wraps(original_init)
    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        with contextlib.suppress(Exception):
            _on_loader_created(self)

    original_iter = DataLoader.__iter__

    @functools.wraps(original_iter)
    def __iter__(self):  # type: ignore[no-untyped-def]
        iterator = original_iter(self)
        with contextlib.suppress(Exception):
            _on_iter(self, iterator)
        return iterator

    original_next = Base.__next__

    @functools.wraps(original_next)
    def __next__(self):  # type: ignore[no-untyped-def]
        asked = time.monotonic()
        batch = original_next(self)  # StopIteration and errors pass through untouched
        with contextlib.suppress(Exception):
            _on_batch(self, batch, asked, time.monotonic())
        return batch

    DataLoader.__init__ = __init__
    DataLoader.__iter__ = __iter__
    Base.__next__ = __next__
    DataLoader._dle_traced = True

    fetch_module = sys.modules.get("torch.utils.data._utils.fetch")
    if fetch_module is not None:
        for name in ("_MapDatasetFetcher", "_IterableDatasetFetcher"):
            cls = getattr(fetch_module, name, None)
            if cls is not None and "fetch" in cls.__dict__:
                cls.fetch = _timed_fetch(cls.fetch)
    worker_module = sys.modules.get("torch.utils.data._utils.worker")
    if worker_module is not None:
        _patch_worker_loop(worker_module)


def _patch_worker_loop(worker_module) -> None:  # type: ignore[no-untyped-def]
    """Flush what a worker measured before it exits (workers end with ``os._exit``)."""
    original = worker_module._worker_loop

    @functools.wraps(original)
    def _worker_loop(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return original(*args, **kwargs)
        finally:
            with contextlib.suppress(Exception):
                _at_worker_exit()

    worker_module._worker_loop = _worker_loop


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches ``torch.utils.data.dataloader`` the moment the job imports it."""

    TARGET = "torch.utils.data.dataloader"

    def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
        if fullname != self.TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        original_exec = loader.exec_module

        def exec_module(module):  # type: ignore[no-untyped-def]
            original_exec(module)
            with contextlib.suppress(Exception):
                _patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Called by the sitecustomize of every Python process of the traced job."""
    global _channel
    path = os.environ.get(ENV_SOCKET)
    if not path or _channel is not None:
        return
    _channel = _Channel(path)
    os.register_at_fork(after_in_child=_after_fork_in_child)
    loaded = sys.modules.get(_PatchOnImport.TARGET)
    if loaded is not None:
        _patch(loaded)
    else:
        sys.meta_path.insert(0, _PatchOnImport())
    _hello("process")
    import atexit

    atexit.register(_at_exit)


def _at_exit() -> None:
    _Thumbnails.close()
    _report_transforms(force=True)
    if _channel is not None:
        _channel.close()
