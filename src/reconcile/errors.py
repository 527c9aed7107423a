"""User-facing errors: what failed, where, and how to fix it. The CLI prints them without a traceback."""
from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A problem with the user's input or configuration (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None,
                 hint: str | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        fix = f" Fix: {self.hint}" if self.hint else ""
        return f"{where}{self.message}.{fix}" if not self.message.endswith(".") else f"{where}{self.message}{fix}"


class RunLockedError(UserError):
    """Another run holds the output lock."""
