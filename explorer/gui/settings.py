"""Settings that persist across launches, in one place, with defaults and validation: a bad or
outdated value means its default (and a note in the log), never a crash."""

from __future__ import annotations

import logging
import math
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

log = logging.getLogger(__name__)

ORGANIZATION = "DataLoaderExplorer"
APPLICATION = "DataLoader Explorer"
MAX_RECENT = 10

DEFAULTS: dict[str, Any] = {
    "source": "random",
    "folder": "",
    "random_spec": "20000:3x96x96",
    "mode": "lazy",
    "batch_size": 64,
    "workers": 2,
    "resize": 224,
    "shuffle": False,
    "epochs": 3,
    "theme": "dark",
    "follow": "all",
    "metric": "rss",
    "storage": "pil-list",
    "start_method": "",
    "persistent_workers": False,
    "prefetch_factor": 0,
    "pin_memory": False,
    "index": "numpy",
    "meta_bytes": 0,
    "step_ms": 0,
    "font_scale": 1.0,
    "dataset_file": "",
    "trace_command": "",
    "trace_cwd": "",
    "trace_python": "",
    "dataset_name": "",
    "dataset_args": "",
    "dataset_collate": "",
}


#: Settings with a fixed set of values: anything else (an older version's, a typo) is ignored.
CHOICES: dict[str, tuple[Any, ...]] = {
    "source": ("folder", "random", "dataset", "trace"),
    "mode": ("eager", "lazy", "memmap", "hdf5"),
    "storage": ("pil-list", "array-list", "contiguous", "shared-tensor"),
    "theme": ("dark", "light", "high-contrast"),
    "start_method": ("", "fork", "spawn", "forkserver"),
    "index": ("list", "numpy"),
}


class AppSettings:
    """Typed access to QSettings. Pass a QSettings to redirect (tests use a temporary file)."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
        )
        if self.q.status() != QSettings.Status.NoError:
            log.warning(
                "the settings file %s cannot be read (%s); using the defaults",
                self.q.fileName(),
                self.q.status().name,
            )

    def get(self, key: str) -> Any:
        default = DEFAULTS[key]
        try:
            value = self.q.value(key, default)
            if isinstance(default, bool):
                if isinstance(value, str):
                    if value.lower() not in ("true", "false"):
                        raise ValueError(value)
                    return value.lower() == "true"
                return bool(value)
            value = type(default)(value)
            if key in CHOICES and value not in CHOICES[key]:
                raise ValueError(f"{value!r} is not one of {', '.join(map(repr, CHOICES[key]))}")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{value} is not a number")
            if type(value) is int and not -(2**31) <= value < 2**31:  # a spin box's range
                raise ValueError(f"{value} is out of range")
            return value
        except (TypeError, ValueError, OverflowError) as exc:
            log.warning("setting %r has a bad value (%s); using the default %r", key, exc, default)
            return default

    def set(self, key: str, value: Any) -> None:
        self.q.setValue(key, value)

    def recent_folders(self) -> list[str]:
        value = self.q.value("recent_folders", [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            log.warning("setting 'recent_folders' has a bad value; starting a new list")
            return []
        return [str(v) for v in value if v][:MAX_RECENT]

    def add_recent_folder(self, folder: str) -> list[str]:
        recent = [folder] + [f for f in self.recent_folders() if f != folder]
        self.q.setValue("recent_folders", recent[:MAX_RECENT])
        return recent[:MAX_RECENT]

    def geometry(self, key: str) -> QByteArray | None:
        value = self.q.value(key)
        return value if isinstance(value, QByteArray) else None

    def sync(self) -> None:
        self.q.sync()
