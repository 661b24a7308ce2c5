"""Keeping PySide6 from reading the source of every module imported after it.

PySide6's ``__feature__`` support (``from __feature__ import snake_case``) is chosen per
module, and to know whether a module uses PySide at all it reads the module's whole source
(``inspect.getsource``, through ``linecache``) as the module is imported and looks for the
word "PySide6". Imported after the window, torch and what it imports are read that way:
about 700 files, 512,000 lines kept in ``linecache`` (31 MiB of the window's resident
memory), 0.1-0.3 s more on torch's import here; and freeing those lines after workers had
been forked held the interpreter lock for 52 ms, the window with it.

This explorer selects no feature anywhere, so whether a module uses PySide only has to be
told apart, not read: a module that does holds PySide6, or something of it, in its globals.
"""

from __future__ import annotations

import sys
from types import ModuleType


def uses_pyside(module: ModuleType) -> bool:
    """Whether ``module``'s globals hold PySide6, one of its modules, classes or objects of
    them. Only types are asked (``type()``, not ``isinstance``, which reads ``__class__``): an
    object's own attributes may be computed, and torch's deprecated ones warn when read."""
    for value in list(vars(module).values()):
        kind = type(value)
        if issubclass(kind, ModuleType):
            name = vars(value).get("__name__", "")
        else:
            name = (value if issubclass(kind, type) else kind).__module__
        if isinstance(name, str) and name.startswith(("PySide6", "shiboken6")):
            return True
    return False


def stop_reading_sources() -> bool:
    """Replace PySide6's source-reading test with ``uses_pyside``; False where this PySide6
    has no such test (it may have changed: nothing is replaced then)."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = uses_pyside
    return True
