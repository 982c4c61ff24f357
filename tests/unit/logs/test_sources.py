"""Every log line `open_logs` returns is masked with the connector's keyring values when they are known — Claude
Desktop's own `mcp-server-NAME.log` too (it writes that file itself, unmasked), and a removed connector's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugboard.core.claude.discovery import discover
from plugboard.core.config.connectors import Connectors
from plugboard.core.logs.redact import MASK
from plugboard.core.logs.sources import open_logs
from plugboard.core.paths import plugboard_dirs
from plugboard.core.secrets import keyring

SECRET = "sk_claudeLogSecret_5a4b3c"

pytestmark = pytest.mark.usefixtures("secret_service")


@pytest.fixture
def claude_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    logs = tmp_path / "xdg" / "Claude" / "logs"
    logs.mkdir(parents=True)
    return logs


def _texts(connectors: Connectors, name: str) -> list[str]:
    log, live = open_logs(connectors, name)
    try:
        return [line.text for line in log.lines()]
    finally:
        live.close()


def _claude_log(logs: Path, name: str) -> None:
    (logs / f"mcp-server-{name}.log").write_text(
        f"2025-06-03T07:00:00.000Z [{name}] [info] Message from client: token={SECRET}\n"
    )


def test_a_removed_connectors_claude_log_is_masked_with_the_secrets_the_keyring_still_holds(
    claude_config: Path, claude_logs: Path
) -> None:
    claude_config.write_text(json.dumps({"mcpServers": {}}))
    keyring.set_secret("notes", "NOTES_TOKEN", SECRET)
    try:
        logs = plugboard_dirs().logs
        logs.mkdir(parents=True, exist_ok=True)
        (logs / "notes.log").write_text("2025-06-03T07:00:01.000Z [plugboard] started\n")
        _claude_log(claude_logs, "notes")

        texts = _texts(Connectors(discover(str(claude_config))), "notes")

        assert any(f"token={MASK}" in text for text in texts)
        assert SECRET not in "\n".join(texts)
    finally:
        keyring.delete_secret("notes", "NOTES_TOKEN")


def test_a_connector_whose_entry_no_longer_names_a_stored_secret_still_has_it_masked(
    claude_config: Path, claude_logs: Path
) -> None:
    # Edited by hand: the entry lost its `--secret`, the keyring (and Plugboard's index of it) still has the value.
    claude_config.write_text(json.dumps({"mcpServers": {"notes": {"command": "npx", "args": ["-y", "notes"]}}}))
    keyring.set_secret("notes", "NOTES_TOKEN", SECRET)
    try:
        _claude_log(claude_logs, "notes")

        texts = _texts(Connectors(discover(str(claude_config))), "notes")

        assert texts and SECRET not in "\n".join(texts)
    finally:
        keyring.delete_secret("notes", "NOTES_TOKEN")
