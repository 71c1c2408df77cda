"""Errors raised while reading export files.

A record-level problem (one bad line, one broken message) goes to the quarantine table and the run
continues; `ExportReadError` is for problems that make the whole file unreadable (undecodable
bytes, a JSON document that does not parse, a format nobody can recognise). Its message always
starts with the file so the CLI can print it as the one line a user acts on.
"""

from __future__ import annotations

from pathlib import Path


class ExportReadError(Exception):
    """A whole export file cannot be read; `reason` says what was expected."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self) -> tuple[type[ExportReadError], tuple[str, str]]:
        # Exceptions pickle through `args` (the formatted message) by default, which would call
        # __init__ with one argument; keep them picklable for executors that ship errors around.
        return (type(self), (self.path, self.reason))
