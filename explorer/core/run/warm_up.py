"""Loading PyTorch and the engine ahead of the first run without stalling other threads.

``import torch`` holds the interpreter lock for about 0.2 s at a stretch while the dynamic
loader maps ``libtorch_cpu.so`` and runs its static initialisers (Python's import machinery
and ``ctypes.CDLL`` both keep the lock during ``dlopen``). Any other Python thread, the
window's included, stops for that long. Calling libc's ``dlopen`` through a ctypes foreign
function releases the lock for the call, so the same work runs beside the other threads;
the ``import torch`` that follows finds the libraries loaded. Measured on a 2-core machine:
the longest pause of a 5 ms heartbeat during the import, 185-203 ms without this, 41-45 ms
with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import importlib.util
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

# Loaded in this order; each brings its own dependencies (libtorch_python.so brings
# libtorch.so, libtorch_cpu.so and libc10.so, and a CUDA build's libraries).
_LIBRARIES = ("libtorch_global_deps.so", "libtorch_python.so")


def preload_torch_libraries() -> list[str]:
    """``dlopen`` torch's shared libraries with the interpreter lock released (Linux; a no-op
    elsewhere, or where torch is missing or laid out otherwise). Returns the libraries it
    loaded. Nothing is imported: a library that will not load is left to torch's own import,
    which then reports it as usual."""
    if not sys.platform.startswith("linux") or "torch" in sys.modules:
        return []
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return []
    if spec is None or spec.origin is None:
        return []
    lib = Path(spec.origin).parent / "lib"
    try:
        dlopen = ctypes.CDLL(None).dlopen  # a foreign call: the lock is released inside
    except (OSError, AttributeError):
        return []
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    loaded = []
    for name in _LIBRARIES:
        path = lib / name
        # RTLD_NOW, as Python loads extension modules and so their dependencies
        if path.is_file() and dlopen(os.fsencode(path), os.RTLD_NOW):
            loaded.append(name)
    return loaded


#: What a run imports as it starts, found with an import hook in the window's session probe:
#: loaded here too, so that the first Run does not import them while the window paints (an
#: import holds the interpreter lock while it unmarshals a module's code).
FIRST_RUN_MODULES = (
    "numpy.char",
    "numpy.random",
    "multiprocessing.popen_fork",
    "multiprocessing.synchronize",
    "multiprocessing.sharedctypes",
    "torch.profiler._cupti_monitor",  # torch 2.13: the first record_function (next(loader))
    "explorer.core.datasets.metadata",
    "explorer.core.datasets.random_datasets",
    "explorer.core.memory.budget",
    "explorer.core.preview.maker",
    "explorer.core.run.spawn_payload",
    "explorer.core.run.worker_death",
)


def warm_up() -> float:
    """Load torch, its libraries first (see the module's docstring), and the engine; return
    the seconds it took."""
    t0 = time.perf_counter()
    preload_torch_libraries()
    import torch  # noqa: F401

    from . import engine  # noqa: F401  (DataLoader, psutil, the datasets)

    for name in FIRST_RUN_MODULES:
        with contextlib.suppress(ImportError):  # a newer numpy may have moved one
            importlib.import_module(name)
    return time.perf_counter() - t0


def warm_up_in_background(then: Callable[[], None] | None = None) -> threading.Thread:
    """Run ``warm_up`` on a daemon thread, then ``then`` there (whether it worked or not): the
    first run starts without loading torch, and no other thread stalls while it loads."""

    def work() -> None:
        try:
            log.info("torch and the engine loaded in %.2f s, ahead of the first run", warm_up())
        except Exception:  # the first run will load them itself and say what fails
            log.exception("loading torch ahead of the first run failed")
        finally:
            if then is not None:
                then()

    thread = threading.Thread(target=work, name="warm-up", daemon=True)
    thread.start()
    return thread
