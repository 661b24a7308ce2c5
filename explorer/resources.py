"""Where the app's data lives: the top-level ``resources/`` folder (icons, the desktop entry,
the lessons, the themes), found the same way from a checkout and from an installed wheel.

The wheel carries ``resources/`` as ``explorer/_resources`` (see ``setup.py``), read through
``importlib.resources``; a checkout run as ``python main.py`` reads the
folder beside the package. No Qt here: the window and the core may both ask.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

_CHECKOUT = Path(__file__).resolve().parent.parent / "resources"


@cache
def resource_root() -> Traversable:
    """The resources folder: the wheel's copy when installed, else the checkout's."""
    packaged = resources.files("explorer").joinpath("_resources")
    if packaged.joinpath("lessons.json").is_file():
        return packaged
    if (_CHECKOUT / "lessons.json").is_file():
        return _CHECKOUT
    raise FileNotFoundError(
        "DataLoader Explorer's resources are missing: neither the installed package's "
        f"explorer/_resources nor {_CHECKOUT} holds them; reinstall the app"
    )


def resource(name: str) -> Traversable:
    """One file under resources/, by its path there (e.g. ``icons/dataloader-explorer.svg``)."""
    found = resource_root()
    for part in name.split("/"):
        found = found.joinpath(part)
    return found


def read_json(name: str) -> Any:
    """A JSON file under resources/, parsed."""
    return json.loads(resource(name).read_text(encoding="utf-8"))


def resource_file(name: str) -> Path:
    """A real file path for APIs that need one (Qt's icon loader). Resources are plain files
    in both layouts (a checkout, an unpacked wheel), so this is the file itself."""
    path = Path(str(resource(name)))
    if not path.is_file():
        raise FileNotFoundError(path)
    return path
