"""The app's settings, kept in the store's "settings" section (never a secret).

Defaults are what a desktop user expects: closing the window keeps Plugboard in the tray, it does not start at
login until asked, and logs are kept for two weeks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from plugboard.core.files.store import Store


@dataclass
class Settings:
    close_to_tray: bool = True
    start_at_login: bool = False
    log_retention_days: int = 14
    claude_config: str | None = None
    """A chosen Claude config file; None = the one discovered for this OS."""
    theme: str = "system"
    """The app's colours: "system" follows the OS's light or dark scheme; "light" or "dark" forces one."""

    @classmethod
    def load(cls, store: Store | None = None) -> Settings:
        data = (store or Store()).read()["settings"]
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, store: Store | None = None) -> None:
        values = asdict(self)

        def change(data: dict[str, Any]) -> None:
            data["settings"].update(values)

        (store or Store()).update(change)
