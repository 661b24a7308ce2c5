"""Loaded by every Python process of a traced job (``python main.py --trace -- ...`` puts this
folder first on PYTHONPATH). It loads the tracer's agent from beside it, under a private
name, and then the ``sitecustomize`` this one shadows, if there is one. Nothing here may fail
the job: any error is swallowed and the job runs untraced."""

import contextlib
import os
import sys


def _load_agent() -> None:
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(os.path.dirname(here), "agent.py")
    spec = importlib.util.spec_from_file_location("_dle_agent", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["_dle_agent"] = module  # pickled transform wrappers resolve to it in workers
    spec.loader.exec_module(module)
    module.install()


def _chain() -> None:
    """Run the next ``sitecustomize`` on sys.path (a virtual environment's, a site's)."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


if os.environ.get("DLE_TRACE_SOCKET"):
    with contextlib.suppress(Exception):
        _load_agent()
with contextlib.suppress(ImportError):
    _chain()
