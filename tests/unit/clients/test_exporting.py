"""`plugboard export CLIENT PATH` writes another app's file: it refuses a file whose comments it would drop,
refuses a file that changed while it worked, and makes no backup of that file (it may hold the user's plaintext
secrets, and no secret may reach a backup)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plugboard.cli import main
from plugboard.core.clients import exporting as clients_export
from plugboard.core.clients.exporting import write_export
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import PlugboardError

CLAUDE = {"mcpServers": {"files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/x"]}}}
THEIRS = (
    '{\n  // my servers\n  "mcpServers": {"mine": {"command": "x", "env": {"API_TOKEN": "their-own-plaintext"}}}\n}\n'
)


@pytest.fixture
def connectors(claude_config: Path) -> list[Any]:
    claude_config.write_text(json.dumps(CLAUDE))
    return Connectors.open().all()


def _all_files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_target_with_comments_is_refused_and_left_byte_for_byte(
    connectors: list[Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "mcp.json"
    target.write_text(THEIRS)
    with pytest.raises(PlugboardError, match="has comments") as caught:
        write_export(connectors, "cursor", target)
    assert "new file" in str(caught.value)
    assert target.read_text() == THEIRS
    assert main(["export", "cursor", str(target)]) == 1
    assert "keeps Cursor's file intact" in capsys.readouterr().err
    assert target.read_text() == THEIRS


def test_a_target_that_changes_during_the_export_is_not_overwritten(
    connectors: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "mcp.json"
    target.write_text('{"mcpServers": {}}')
    saved_by_cursor = '{"mcpServers": {"new": {"command": "y"}}}'
    real = clients_export.export_document

    def cursor_saves_meanwhile(*args: Any, **kwargs: Any) -> Any:
        target.write_text(saved_by_cursor)
        return real(*args, **kwargs)

    monkeypatch.setattr(clients_export, "export_document", cursor_saves_meanwhile)
    with pytest.raises(PlugboardError, match="changed while"):
        write_export(connectors, "cursor", target)
    assert target.read_text() == saved_by_cursor


def test_a_file_created_during_an_export_to_a_new_path_is_not_overwritten(
    connectors: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "mcp.json"
    real = clients_export.export_document

    def created_meanwhile(*args: Any, **kwargs: Any) -> Any:
        target.write_text("{}")
        return real(*args, **kwargs)

    monkeypatch.setattr(clients_export, "export_document", created_meanwhile)
    with pytest.raises(PlugboardError, match="changed while"):
        write_export(connectors, "cursor", target)
    assert target.read_text() == "{}"


def test_exporting_over_another_apps_file_makes_no_backup_of_it(
    connectors: list[Any], tmp_path: Path, isolated_home: Path
) -> None:
    folder = tmp_path / "cursor"
    folder.mkdir()
    target = folder / "mcp.json"
    target.write_text('{"mcpServers": {"mine": {"command": "x", "env": {"API_TOKEN": "their-own-plaintext"}}}}')
    outcome = write_export(connectors, "cursor", target)
    assert outcome.written == ["files"]
    assert sorted(p.name for p in folder.iterdir()) == ["mcp.json"]
    assert json.loads(target.read_text())["mcpServers"]["mine"]["env"]["API_TOKEN"] == "their-own-plaintext"
    assert not any(b"their-own-plaintext" in data for data in _all_files(isolated_home).values())
