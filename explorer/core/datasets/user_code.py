"""Importing the user's own code: ``FILE.py:NAME`` or ``package.module:NAME``, what a file
offers (its Dataset classes and factories), and exceptions told with the user's own frames.

A file is imported as a module named after it, with its folder put on ``sys.path``, so what
it imports from beside it imports too, in this process and in spawned workers. Importing the
same file again reloads it: an edit between two runs is picked up.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import ConfigError

_OUR_CODE = (
    str(Path(__file__).resolve().parent.parent),  # explorer/
    # torch.utils.data, found without importing torch (the window imports this module early)
    os.path.join(os.path.dirname(importlib.util.find_spec("torch").origin or ""), "utils", "data"),
    os.path.dirname(importlib.__file__),
    "<frozen importlib",
)


class UserCodeError(RuntimeError):
    """The user's code failed (importing it, building the dataset, a sample): ``message`` in
    one line naming their file and line, ``details`` their traceback."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Target:
    """Where the user's object lives."""

    module: str
    name: str
    file: str | None  # the .py file, when given as one
    spec: str

    @property
    def folder(self) -> str | None:
        return str(Path(self.file).parent) if self.file else None


def parse_target(spec: str, option: str = "--dataset") -> Target:
    """``path/to/file.py:Name`` or ``package.module:Name``; raises ConfigError naming ``option``."""
    text = spec.strip()
    source, sep, name = text.rpartition(":")
    if not sep or not source or not name.strip():
        raise ConfigError(option, f"expected FILE.py:NAME or package.module:NAME, not {spec!r}")
    name = name.strip()
    if not all(part.isidentifier() for part in name.split(".")):
        raise ConfigError(option, f"{name!r} is not a Python name")
    if source.endswith(".py") or os.sep in source or "/" in source:
        path = Path(source).expanduser()
        if not path.is_file():
            raise ConfigError(option, f"{source} is not a file")
        if path.suffix != ".py":
            raise ConfigError(option, f"{source} is not a .py file")
        if not path.stem.isidentifier():
            raise ConfigError(option, f"{path.name}: a module file name must be a Python name")
        return Target(path.stem, name, str(path.resolve()), text)
    if not all(part.isidentifier() for part in source.split(".")):
        raise ConfigError(option, f"{source!r} is neither a .py file nor a module name")
    return Target(source, name, None, text)


def import_target_module(target: Target) -> ModuleType:
    """Import (or re-import) the module holding ``target``; raises UserCodeError."""
    if target.folder and target.folder not in sys.path:
        sys.path.insert(0, target.folder)
    importlib.invalidate_caches()
    try:
        existing = sys.modules.get(target.module)
        if existing is not None and target.file:
            if os.path.realpath(getattr(existing, "__file__", "") or "") != target.file:
                raise UserCodeError(
                    f"{Path(target.file).name}: a module named {target.module!r} is already "
                    f"imported from {getattr(existing, '__file__', '?')}; rename your file"
                )
            return importlib.reload(existing)
        return importlib.import_module(target.module)
    except UserCodeError:
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise user_error(exc, f"importing {target.file or target.module} failed") from None


def load_target(target: Target) -> Any:
    module = import_target_module(target)
    obj: Any = module
    for part in target.name.split("."):
        if not hasattr(obj, part):
            offered = ", ".join(c.name for c in candidates_in(module)) or "none"
            raise UserCodeError(
                f"{target.file or target.module} has no {target.name!r} "
                f"(datasets and factories found there: {offered})"
            )
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Candidate:
    name: str
    kind: str  # "Dataset", "IterableDataset" or "factory"
    signature: str
    doc: str


def candidates_in(module: ModuleType) -> list[Candidate]:
    """The Dataset classes and the functions defined in ``module``, in source order."""
    from torch.utils.data import Dataset, IterableDataset

    found: list[tuple[int, Candidate]] = []
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj) and issubclass(obj, Dataset):
            kind = "IterableDataset" if issubclass(obj, IterableDataset) else "Dataset"
        elif inspect.isfunction(obj):
            kind = "factory"
        else:
            continue
        try:
            line = inspect.getsourcelines(obj)[1]
        except (OSError, TypeError):
            line = 10**9
        doc = (inspect.getdoc(obj) or "").strip().splitlines()
        found.append((line, Candidate(name, kind, _signature(obj), doc[0] if doc else "")))
    found.sort(key=lambda pair: pair[0])
    # Datasets first: a factory is often a helper.
    return [c for _, c in found if c.kind != "factory"] + [
        c for _, c in found if c.kind == "factory"
    ]


def find_candidates(path: str) -> list[Candidate]:
    """What ``path`` (a .py file) offers; imports it. Raises ConfigError or UserCodeError."""
    target = parse_target(f"{path}:_", "--dataset")
    return candidates_in(import_target_module(target))


def _signature(obj: Any) -> str:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    params = [p for p in sig.parameters.values() if p.name != "self"]
    return "(" + ", ".join(str(p) for p in params) + ")"


def user_error(exc: BaseException, what: str) -> UserCodeError:
    """``exc`` told in the user's terms: their last frame's file and line, their traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    theirs = [f for f in frames if not f.filename.startswith(_OUR_CODE)]
    where = ""
    if isinstance(exc, SyntaxError):
        pass  # its message already names the file and line
    elif theirs:
        where = f" ({Path(theirs[-1].filename).name}, line {theirs[-1].lineno})"
    shown = theirs or ([] if isinstance(exc, SyntaxError) else frames)
    details = "Traceback (most recent call last):\n" + "".join(traceback.format_list(shown))
    details += "".join(traceback.format_exception_only(type(exc), exc))
    return UserCodeError(f"{what}: {type(exc).__name__}: {exc}{where}", details)


def worker_error(text: str) -> tuple[str, str]:
    """A DataLoader worker's exception message ("Caught X in DataLoader worker process N.
    Original Traceback ...") as (one line naming the user's file and line, the traceback
    with only the user's frames)."""
    lines = text.splitlines()
    head = lines[0] if lines else text
    start = next((i for i, ln in enumerate(lines) if ln.startswith("Original Traceback")), None)
    if start is None:
        return head, text
    frames: list[list[str]] = []
    tail: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith('  File "'):
            frames.append([line])
        elif line.startswith("    ") and frames and not tail:
            frames[-1].append(line)
        else:
            tail.append(line)
    theirs = [f for f in frames if not f[0][len('  File "') :].startswith(_OUR_CODE)]
    where = ""
    if theirs:
        path, _, rest = theirs[-1][0][len('  File "') :].partition('", line ')
        where = f" ({Path(path).name}, line {rest.split(',')[0]})"
    worker = head.removeprefix("Caught ").split(" in ", 1)[-1].rstrip(".")
    error = tail[-1] if tail else head
    body = ["Traceback (most recent call last):", *(ln for f in theirs or frames for ln in f)]
    return f"{error} in {worker}{where}", "\n".join(body + tail)
