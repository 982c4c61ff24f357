"""Where Plugboard keeps its own files.

Folders come from platformdirs (`user_config_dir`, `user_state_dir`, `user_log_dir` for the app `plugboard`).
`PLUGBOARD_HOME=DIR` moves all of them under DIR (tests, portable installs): DIR/config, DIR/state, DIR/logs.

Nothing here creates folders on import; callers create what they write into (`ensure_dir`), with mode 0700 because
status records and logs describe the user's servers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "plugboard"


@dataclass(frozen=True)
class PlugboardDirs:
    config: Path
    state: Path
    logs: Path

    @property
    def store_file(self) -> Path:
        """Plugboard's own store: parked connectors, tunnel and remote profiles, settings."""
        return self.config / "store.json"

    @property
    def backups(self) -> Path:
        """Backups of Claude's config, one file per write, rotated."""
        return self.state / "backups"

    @property
    def status(self) -> Path:
        """One status record per connector, written by the launcher and the proxy."""
        return self.state / "status"

    @property
    def lock_file(self) -> Path:
        """Serialises edits of Claude's config and the store between Plugboard processes."""
        return self.state / "edit.lock"

    @property
    def known_hosts(self) -> Path:
        """Host keys the user accepted through Plugboard (beside ~/.ssh/known_hosts, never instead of it)."""
        return self.config / "known_hosts"

    def connector_log(self, name: str) -> Path:
        return self.logs / f"{safe_file_name(name)}.log"


def plugboard_dirs(env: Mapping[str, str] | None = None) -> PlugboardDirs:
    env = os.environ if env is None else env
    home = env.get("PLUGBOARD_HOME")
    if home:
        base = Path(home).expanduser()
        return PlugboardDirs(config=base / "config", state=base / "state", logs=base / "logs")
    return PlugboardDirs(
        config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        state=Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )


def ensure_dir(path: Path) -> Path:
    """Create `path` and any missing parents, each one private (0700): `mkdir(parents=True)` would give the
    parents it creates the default 0755, and on Linux the log folder sits inside the state folder."""
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    return path


def safe_file_name(name: str) -> str:
    """A connector name made safe as one file name component (names come from a user-editable file)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return cleaned.lstrip(".") or "_"
