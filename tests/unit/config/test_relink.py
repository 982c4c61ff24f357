"""`plugboard relink` and the stale-path findings of `list` and `doctor` (core/config/relink.py), on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugboard.cli import main
from plugboard.core import install
from plugboard.core.claude.discovery import discover
from plugboard.core.config.connectors import Connectors
from plugboard.core.config.relink import links, relink, stale
from plugboard.core.paths import plugboard_dirs


def _config(old: str, shim: str, *, direct: str) -> str:
    # Odd spacing and key order on purpose: relink must keep every byte but the path.
    return (
        "{\n"
        '  "globalShortcut": "Alt+Space",\n'
        '  "mcpServers": {\n'
        '    "github": { "args": ["run", "github", "--secret", "TOKEN", "--", "npx", "-y", "server-github"],\n'
        f'                "command": {json.dumps(old)}, "extensionId": "kept" }},\n'
        f'    "catalyst": {{"command": {json.dumps(old)}, "args": ["proxy", "catalyst", "http://127.0.0.1:5000/mcp"]}},\n'
        f'    "time": {{"command": {json.dumps(shim)}, "args": ["run", "time", "--", "uvx", "mcp-server-time"]}},\n'
        f'    "mine": {{"command": {json.dumps(direct)}, "args": ["run", "mine", "--", "node", "x.js"]}},\n'
        '    "plain": {"command": "npx", "args": ["-y", "server-everything"]}\n'
        "  }\n"
        "}"
    )


@pytest.fixture
def setup(claude_config: Path, tmp_path: Path) -> tuple[Connectors, Path, str, str]:
    shim = install.entry_command()
    old = str(tmp_path / "deleted-checkout" / ".venv" / "bin" / "plugboard")
    text = _config(old, shim, direct=str(install.installed_command()))
    claude_config.write_text(text)
    return Connectors(discover(str(claude_config)), plugboard_dirs()), claude_config, old, shim


def test_entries_naming_a_gone_plugboard_are_found_and_others_are_not(setup):
    connectors, _path, _old, _shim = setup
    states = {link.name: link.state for link in links(connectors)}
    assert states == {"github": "missing", "catalyst": "missing", "time": "current", "mine": "direct"}
    assert [link.name for link in stale(connectors)] == ["github", "catalyst"]


def test_relink_changes_only_the_paths_and_keeps_a_backup_of_the_file_before(setup):
    connectors, path, old, shim = setup
    before = path.read_text()

    result = relink(connectors)

    assert sorted(link.name for link in result.changed) == ["catalyst", "github", "mine"]
    after = path.read_text()
    direct = str(install.installed_command())
    assert after == before.replace(json.dumps(old), json.dumps(shim)).replace(json.dumps(direct), json.dumps(shim))
    assert result.backup is not None
    assert result.backup.path.read_text() == before
    assert stale(connectors) == []
    assert relink(connectors).changed == []  # nothing left to do


def test_a_disabled_connector_is_relinked_and_comes_back_with_only_its_path_changed(setup):
    connectors, path, old, shim = setup
    original = path.read_text()
    connectors.disable("catalyst")
    assert [link.name for link in stale(connectors)] == ["github", "catalyst"]

    relink(connectors)
    connectors.enable("catalyst")

    assert path.read_text() == original.replace(json.dumps(old), json.dumps(shim)).replace(
        json.dumps(str(install.installed_command())), json.dumps(shim)
    )


def test_list_names_the_stale_connectors_and_says_what_to_run(setup, capsys):
    _connectors, _path, old, _shim = setup
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert f"github starts Plugboard from {old}, which no longer exists." in out
    assert f"catalyst starts Plugboard from {old}, which no longer exists." in out
    assert "Run `plugboard relink`" in out

    assert main(["list", "--json"]) == 0
    rows = {row["name"]: row["plugboard_path"] for row in json.loads(capsys.readouterr().out)}
    assert rows == {"github": "missing", "catalyst": "missing", "time": "current", "mine": "direct", "plain": None}


def test_relink_command_says_what_changed_and_dry_run_changes_nothing(setup, capsys):
    _connectors, path, old, shim = setup
    before = path.read_bytes()
    assert main(["relink", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"github: {old} -> {shim}" in out
    assert "3 connectors would change." in out
    assert path.read_bytes() == before

    assert main(["relink"]) == 0
    out = capsys.readouterr().out
    assert "3 connectors changed. The previous file is kept as backup" in out
    assert "Restart Claude Desktop" in out
    assert main(["relink"]) == 0
    assert f"Every connector already starts Plugboard through {shim}." in capsys.readouterr().out


def test_doctor_reports_a_connector_whose_plugboard_is_gone(setup, capsys):
    from plugboard.core.probe.doctor import examine_connector

    connectors, _path, old, _shim = setup
    report = examine_connector(connectors.get("catalyst"), initialize_timeout_s=1)
    assert not report.ok
    assert report.problems[0].code == "stale-plugboard"
    assert old in report.problems[0].summary
    assert "plugboard relink" in report.problems[0].fix
