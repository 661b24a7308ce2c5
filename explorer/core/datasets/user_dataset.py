"""Running the user's own Dataset exactly as their training would, with timing.

The user's dataset and collate function are wrapped: each sample comes back with when its
fetch began and ended (in the process that made it), and the batch the model receives is
exactly what the user's collate (or PyTorch's ``default_collate``) makes of their samples.
The wrappers pickle what they wrap together with the folder of the user's file, so spawned
and forkserver workers import the user's module (and what sits beside it) before unpickling.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from multiprocessing.reduction import ForkingPickler
from typing import Any

import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info
from torch.utils.data._utils.collate import default_collate

from .user_code import Target, UserCodeError, load_target, parse_target, user_error

#: Per sample: (index, worker, fetch start, fetch end), monotonic seconds.
Meta = tuple[float, float, float, float]


class _Portable:
    """Pickles its ``inner`` object after the folders its module needs on ``sys.path``."""

    inner: Any
    paths: tuple[str, ...]

    def __getstate__(self) -> dict[str, Any]:
        try:
            payload = bytes(ForkingPickler.dumps(self.inner))
        except Exception as exc:
            raise UserCodeError(
                f"{type(self.inner).__name__} cannot be sent to worker processes started "
                f"with spawn or forkserver: {type(exc).__name__}: {exc}. Use fork, or make "
                "it picklable (no lambdas, open files or locks as attributes)."
            ) from None
        return {"paths": self.paths, "payload": payload}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for path in state["paths"]:
            if path not in sys.path:
                sys.path.insert(0, path)
        self.paths = state["paths"]
        self.inner = ForkingPickler.loads(state["payload"])


def _worker_id() -> float:
    info = get_worker_info()
    return float(info.id) if info is not None else -1.0


class TimedMapDataset(_Portable, Dataset):
    def __init__(self, inner: Any, paths: tuple[str, ...]) -> None:
        self.inner, self.paths = inner, paths

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, index: int) -> tuple[Any, Meta]:
        t0 = time.monotonic()
        sample = self.inner[index]
        return sample, (float(index), _worker_id(), t0, time.monotonic())


class TimedIterableDataset(_Portable, IterableDataset):
    def __init__(self, inner: Any, paths: tuple[str, ...]) -> None:
        self.inner, self.paths = inner, paths

    def __len__(self) -> int:
        return len(self.inner)  # TypeError when the stream has no length, as DataLoader expects

    def __iter__(self) -> Iterator[tuple[Any, Meta]]:
        worker = _worker_id()
        it = iter(self.inner)
        n = 0
        while True:
            t0 = time.monotonic()
            try:
                sample = next(it)
            except StopIteration:
                return
            yield sample, (float(n), worker, t0, time.monotonic())
            n += 1


class TimedCollate(_Portable):
    """The user's collate (or ``default_collate``) over their samples, plus the samples'
    timings as a float64 tensor of shape (n, 4)."""

    def __init__(self, inner: Callable[[list[Any]], Any] | None, paths: tuple[str, ...]) -> None:
        self.inner, self.paths = inner, paths

    def __call__(self, items: list[tuple[Any, Meta]]) -> tuple[Any, torch.Tensor]:
        samples = [sample for sample, _ in items]
        meta = torch.tensor([m for _, m in items], dtype=torch.float64)
        collate = self.inner or default_collate
        return collate(samples), meta


def make_user_dataset(
    dataset: str, args: dict[str, Any] | None, collate: str | None
) -> tuple[Dataset, TimedCollate, str]:
    """Import and build the user's dataset; returns (wrapped dataset, wrapped collate, its
    kind: "map" or "iterable"). Raises UserCodeError (their traceback) or ConfigError."""
    target = parse_target(dataset, "--dataset")
    obj = load_target(target)
    instance = _instantiate(obj, target, args or {})
    paths = _paths(target)
    collate_fn = None
    if collate:
        collate_target = parse_target(collate, "--collate")
        collate_fn = load_target(collate_target)
        if not callable(collate_fn):
            raise UserCodeError(f"--collate: {collate_target.name} is not callable")
        paths = tuple(dict.fromkeys(paths + _paths(collate_target)))
    wrapped_collate = TimedCollate(collate_fn, paths)
    if isinstance(instance, IterableDataset):
        return TimedIterableDataset(instance, paths), wrapped_collate, "iterable"
    return TimedMapDataset(instance, paths), wrapped_collate, "map"


def _instantiate(obj: Any, target: Target, args: dict[str, Any]) -> Any:
    if isinstance(obj, Dataset):
        if args:
            raise UserCodeError(
                f"{target.name} is already a dataset object; --dataset-args needs a class or "
                "a function that makes one"
            )
        return obj
    if not callable(obj):
        raise UserCodeError(
            f"{target.name} is a {type(obj).__name__}, not a Dataset class or a function "
            "that returns one"
        )
    try:
        instance = obj(**args)
    except TypeError as exc:
        if exc.__traceback__ is not None and exc.__traceback__.tb_next is None:
            # raised by the call itself: the arguments do not fit the signature
            raise UserCodeError(f"--dataset-args do not fit {target.name}: {exc}") from None
        raise user_error(exc, f"{target.name}(…) failed") from None
    except Exception as exc:
        raise user_error(exc, f"{target.name}(…) failed") from None
    if isinstance(instance, Dataset | IterableDataset):
        return instance
    if hasattr(instance, "__getitem__") and hasattr(instance, "__len__"):
        return instance  # duck-typed map-style, as DataLoader accepts
    raise UserCodeError(
        f"{target.name}(…) returned a {type(instance).__name__}, not a Dataset (it needs "
        "__getitem__ and __len__, or to be an IterableDataset)"
    )


def _paths(target: Target) -> tuple[str, ...]:
    return (target.folder,) if target.folder else ()
