"""Helpers for tests that run `plugboard` against the real Secret Service (scripts/test-session.sh) and look at what
it stored: the keyring's items read without the keyring library, and the files that hold a value."""

from __future__ import annotations

import os
import subprocess
from contextlib import closing
from pathlib import Path

import secretstorage

from plugboard.core.install import entry_command

VALUE = "xoxb-plugboard-test-7c1d2e3f4a5b"
# The CLI starts and talks to the keyring daemon in well under a second; 30 s covers a loaded machine.
CLI_TIMEOUT_S = 30.0


def plugboard(*argv: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [entry_command(), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        env={**os.environ, **env},
    )


def keyring_items(service: str = "plugboard") -> dict[str, str]:
    """username → secret of every item the Secret Service holds for `service`, read without the keyring library."""
    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        return {
            item.get_attributes()["username"]: item.get_secret().decode()
            for item in collection.search_items({"service": service})
        }


def files_holding(root: Path, value: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and value.encode() in p.read_bytes()]
