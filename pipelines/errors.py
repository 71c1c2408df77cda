"""Errors a user can act on.

Every error the `kpi` command shows is one line: which file, which line or key, what was expected.
Code raises these instead of letting a library traceback reach the user.
"""

from __future__ import annotations

from pathlib import Path


class KpiError(Exception):
    """Base class for problems with the user's inputs or environment (not bugs)."""


class ConfigError(KpiError):
    """A configuration file is missing or invalid."""

    def __init__(self, path: Path | str, where: str | None, problem: str):
        self.path = str(path)
        self.where = where
        self.problem = problem
        location = f"{self.path} {where}" if where else self.path
        super().__init__(f"{location}: {problem}")


class WarehouseLockedError(KpiError):
    """Another process holds the DuckDB warehouse file."""
