"""Exceptions the core raises with messages meant for users."""

from __future__ import annotations


class ConfigError(ValueError):
    """A run option is invalid. ``option`` names it as the command line spells it."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


class DatasetError(RuntimeError):
    """The dataset cannot be built (empty folder, nothing decodable, over budget...)."""


class Cancelled(Exception):
    """The user asked the run to stop while the dataset was being prepared."""


class WorkerDied(RuntimeError):
    """A DataLoader worker process ended without a Python exception (a signal, an exit)."""
