"""The one exception family Plugboard shows to people.

Every `PlugboardError` carries a single sentence that says what went wrong and, where we know it, what to do. The CLI
prints it (`str(exc)`) as one line on stderr and exits 1. The app shows `exc.plain`: the same sentence without what
only a terminal user can act on (a command to type, a lock file's path, a process id), given where they differ.
Anything else that escapes is a bug.
"""

from __future__ import annotations

from pathlib import Path


class PlugboardError(Exception):
    """A failure explained in one line, safe to show to a user."""

    def __init__(self, message: str = "", *, plain: str | None = None) -> None:
        super().__init__(message)
        self.plain = plain if plain is not None else message
        """The sentence for the app (no commands to type); the CLI's `str(exc)` otherwise."""


class ConfigError(PlugboardError):
    """Claude's config file cannot be read or is not the JSON Claude Desktop accepts.

    `line` and `column` are 1-based and present for JSON syntax errors. `repair` names an offered repair
    (see `plugboard.core.config.repair`), or is None when there is nothing we can safely fix.
    """

    def __init__(
        self,
        path: Path,
        reason: str,
        *,
        line: int | None = None,
        column: int | None = None,
        repair: str | None = None,
    ) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        self.column = column
        self.repair = repair
        where = f"{path}"
        if line is not None:
            where += f", line {line} column {column}"
        message = f"{where}: {reason}"
        plain = message
        if repair:
            message += f" (run `plugboard repair` to {repair}; nothing is changed until you confirm)"
            plain += " (Repair… on the Connectors page fixes it)"
        super().__init__(message, plain=plain)


class ConflictError(PlugboardError):
    """The file changed on disk while we worked and our edit no longer applies."""


class NotFoundError(PlugboardError):
    """A connector, backup or profile with that name does not exist."""


class ClashError(PlugboardError):
    """Two things would get the same name (a parked and a live connector, say)."""
