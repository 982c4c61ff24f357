"""The app's one click for plaintext secrets (core/config/secure.py `secure_all`) against the real Secret Service:
every value moves to the keychain, no backup keeps one, and restoring any backup never brings one back."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from plugboard.core.config import secure
from plugboard.core.config.backups import SCRUBBED
from plugboard.core.config.connectors import Connectors
from plugboard.core.config.secure import find_plaintext, restorable, secure_all
from plugboard.core.entries import LauncherEntry, parse
from plugboard.core.secrets.keyring import get_secret, set_secret

TOKEN = "ghp_plaintextToken0123456789abcdef0123"
KEY = "sk-live-plaintext-0123456789abcdef"


def files_holding(root: Path, value: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and value.encode() in p.read_bytes()]


@pytest.fixture
def connectors(claude_config: Path) -> Connectors:
    config = {
        "mcpServers": {
            "github": {"command": "npx", "args": ["-y", "server-github"], "env": {"GITHUB_TOKEN": TOKEN}},
            "search": {"command": "npx", "args": ["-y", "server-search"], "env": {"API_KEY": KEY, "DEBUG": "1"}},
            "time": {"command": "uvx", "args": ["mcp-server-time"]},
        }
    }
    claude_config.write_text(json.dumps(config, indent=2))
    found = Connectors.open(str(claude_config))
    # History a real user has: changes that each left a backup holding both plaintext values.
    found.disable("time")
    found.enable("time")
    found.disable("search")
    return found


@pytest.mark.usefixtures("secret_service")
def test_one_click_moves_every_plaintext_token_and_no_backup_keeps_one(
    connectors: Connectors, claude_config: Path, tmp_path: Path
) -> None:
    plain = find_plaintext(connectors.all())
    assert [(p.name, p.keys, p.enabled) for p in plain] == [
        ("github", ["GITHUB_TOKEN"], True),
        ("search", ["API_KEY"], False),
    ]
    assert files_holding(tmp_path, TOKEN)  # Claude's file and the backups hold it now

    outcome = secure_all(connectors, [p.name for p in plain])

    assert outcome.moved == {"github": ["GITHUB_TOKEN"], "search": ["API_KEY"]} and not outcome.failed
    assert outcome.scrubbed >= 3
    assert get_secret("github", "GITHUB_TOKEN") == TOKEN and get_secret("search", "API_KEY") == KEY
    assert files_holding(tmp_path, TOKEN) == [] and files_holding(tmp_path, KEY) == []
    assert find_plaintext(connectors.all()) == []
    for backup in connectors.backups():
        json.loads(backup.path.read_text())  # scrubbed backups are still valid JSON
    github = parse(json.loads(claude_config.read_text())["mcpServers"]["github"])
    assert isinstance(github, LauncherEntry) and github.secrets == ("GITHUB_TOKEN",)


@pytest.mark.usefixtures("secret_service")
def test_restoring_any_backup_afterwards_never_brings_the_plaintext_back(
    connectors: Connectors, claude_config: Path, tmp_path: Path
) -> None:
    secure_all(connectors, ["github", "search"])
    for backup in connectors.backups():
        secure.restore(connectors, backup.name)
        text = claude_config.read_text()
        assert TOKEN not in text and KEY not in text and SCRUBBED not in text, backup.name
        github = json.loads(text)["mcpServers"].get("github")
        if github is not None:
            parsed = parse(github)
            assert isinstance(parsed, LauncherEntry) and "GITHUB_TOKEN" in parsed.secrets
    assert files_holding(tmp_path, TOKEN) == []


@pytest.mark.usefixtures("secret_service")
def test_a_copy_holding_a_value_the_keychain_now_holds_is_restored_in_its_secured_form() -> None:
    """A copy made elsewhere (not scrubbed): its value equals what the keychain holds, so it comes back as a launcher
    entry; an unrelated value stays exactly as it was."""
    set_secret("github", "GITHUB_TOKEN", TOKEN)
    copy = json.dumps(
        {"mcpServers": {"github": {"command": "npx", "args": ["x"], "env": {"GITHUB_TOKEN": TOKEN, "MODE": "ro"}}}}
    ).encode()
    safe = restorable(copy)
    entry = json.loads(safe)["mcpServers"]["github"]
    assert TOKEN.encode() not in safe
    parsed = parse(entry)
    assert (
        isinstance(parsed, LauncherEntry) and parsed.secrets == ("GITHUB_TOKEN",) and dict(parsed.env) == {"MODE": "ro"}
    )
    untouched = json.dumps(
        {"mcpServers": {"a": {"command": sys.executable, "env": {"GITHUB_TOKEN": "other"}}}}
    ).encode()
    assert restorable(untouched) == untouched
