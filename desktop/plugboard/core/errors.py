"""The one exception family Plugboard shows to people.

Every `PlugboardError` carries a single sentence that says what went wrong and, where we know it, what to do. The CLI
prints it as one line on stderr and exits 1; the GUI shows it in a banner. Anything else that escapes is a bug.
"""

from __future__ import annotations

from pathlib import Path


class PlugboardError(Exception):
    """A failure explained in one line, safe to show to a user."""


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
        if repair:
            message += f" (run `plugboard repair` to {repair}; nothing is changed until you confirm)"
        super().__init__(message)


class ConflictError(PlugboardError):
    """The file changed on disk while we worked and our edit no longer applies."""


class NotFoundError(PlugboardError):
    """A connector, backup or profile with that name does not exist."""


class ClashError(PlugboardError):
    """Two things would get the same name (a parked and a live connector, say)."""
