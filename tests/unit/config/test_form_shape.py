"""Editing keeps an entry's shape: Save with no change writes nothing, an entry Claude starts directly stays so
unless the person chooses, a bridge is never wrapped in the launcher, pasted secrets are trimmed."""

from __future__ import annotations

import json
from pathlib import Path

from plugboard.core.config.connectors import Connectors
from plugboard.core.config.form import ConnectorForm, EnvVar
from plugboard.core.entries import LauncherEntry, parse
from plugboard.core.install import entry_command

BARE = {"command": "npx", "args": ["-y", "server-filesystem", "/tmp"], "env": {"MODE": "ro"}, "extensionId": "ext.1"}
PROXY = {"command": "/old/install/plugboard", "args": ["proxy", "far", "http://127.0.0.1:5000/mcp", "--ssh", "box"]}


def open_connectors(claude_config: Path) -> Connectors:
    claude_config.write_text(json.dumps({"mcpServers": {"files": BARE, "far": PROXY}}, indent=2))
    return Connectors.open(str(claude_config))


def test_saving_an_unchanged_form_writes_nothing_not_even_a_backup(claude_config: Path) -> None:
    connectors = open_connectors(claude_config)
    before = claude_config.read_bytes()
    for name in ("files", "far"):
        form = ConnectorForm.from_connector(connectors.get(name))
        assert form.unchanged(connectors.get(name))
        assert form.save(connectors, name) is False
    assert claude_config.read_bytes() == before
    assert connectors.backups() == []


def test_a_bare_entry_stays_bare_with_its_own_keys_and_a_bridge_is_never_wrapped(claude_config: Path) -> None:
    connectors = open_connectors(claude_config)
    form = ConnectorForm.from_connector(connectors.get("files"))
    assert form.plain
    form.args = [*form.args[:-1], "/home"]
    assert form.save(connectors, "files") is True
    assert json.loads(claude_config.read_text())["mcpServers"]["files"] == {
        **BARE,
        "args": ["-y", "server-filesystem", "/home"],
    }

    bridge = ConnectorForm.from_connector(connectors.get("far"))
    bridge.plain = False  # even asked to, the launcher never wraps a `plugboard` program
    bridge.args = [*bridge.args, "--timeout", "30"]
    bridge.save(connectors, "far")
    written = json.loads(claude_config.read_text())["mcpServers"]["far"]
    assert written["command"] == "/old/install/plugboard" and written["args"][0] == "proxy"


def test_choosing_the_launcher_for_a_bare_entry_keeps_claudes_keys(claude_config: Path) -> None:
    connectors = open_connectors(claude_config)
    form = ConnectorForm.from_connector(connectors.get("files"))
    form.plain = False
    form.save(connectors, "files")
    entry = json.loads(claude_config.read_text())["mcpServers"]["files"]
    parsed = parse(entry)
    assert isinstance(parsed, LauncherEntry) and entry["command"] == entry_command()
    assert entry["extensionId"] == "ext.1" and dict(parsed.env) == {"MODE": "ro"}


def test_pasted_secret_values_are_trimmed_and_the_keys_named() -> None:
    form = ConnectorForm("gh", "npx", [], [EnvVar("TOKEN", " ghp_x\n", secret=True), EnvVar("MODE", " a ")])
    trimmed, keys = form.trimmed()
    assert keys == ["TOKEN"]
    assert [v.value for v in trimmed.env] == ["ghp_x", " a "]  # a plain value is the person's business
