"""Plugboard's own store: one JSON file in the user config folder (see `paths.PlugboardDirs.store_file`).

It holds what Claude's file cannot: parked (disabled) connectors kept byte-for-byte, tunnel profiles, remote
profiles and settings. It never holds a secret (those live in the keyring only).

Shape: {"version": 1, "parked": [...], "tunnels": {name: profile}, "remotes": {name: profile}, "settings": {...}}.
Each section belongs to the module that uses it; this module only reads, locks and writes the file.

Edits go through `Store.update(fn)`: under the edit lock (shared with edits of Claude's config) it reads the file,
lets `fn` change the dict, and writes it back atomically. A store that is not valid JSON is refused, never
overwritten: it may hold the only copy of a parked connector.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from plugboard.core.errors import PlugboardError
from plugboard.core.files.atomic import write_atomic
from plugboard.core.files.locking import edit_lock
from plugboard.core.paths import PlugboardDirs, ensure_dir, plugboard_dirs

STORE_VERSION = 1
T = TypeVar("T")


def _empty() -> dict[str, Any]:
    return {"version": STORE_VERSION, "parked": [], "tunnels": {}, "remotes": {}, "settings": {}}


class Store:
    def __init__(self, dirs: PlugboardDirs | None = None) -> None:
        self.dirs = dirs or plugboard_dirs()
        self.path: Path = self.dirs.store_file

    def read(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return _empty()
        except OSError as exc:
            raise PlugboardError(f"{self.path}: cannot read Plugboard's store: {exc.strerror}") from exc
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PlugboardError(
                f"{self.path}: Plugboard's store is damaged ({exc}); it was left untouched, fix or move it aside"
            ) from exc
        if not isinstance(data, dict):
            raise PlugboardError(
                f"{self.path}: Plugboard's store is damaged (not a JSON object); it was left untouched"
            )
        merged = _empty()
        merged.update(data)
        return merged

    def update(self, change: Callable[[dict[str, Any]], T]) -> T:
        with edit_lock(self.dirs):
            data = self.read()
            result = change(data)
            ensure_dir(self.path.parent)
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
            write_atomic(self.path, text.encode("utf-8"))
            return result
