"""`plugboard export CLIENT PATH` writes another app's file: it refuses a file whose comments it would drop,
refuses a file that changed while it worked, and makes no backup of that file (it may hold the user's plaintext
secrets, and no secret may reach a backup)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plugboard.cli import main
from plugboard.core.clients import exporting as clients_export
from plugboard.core.clients import formats as clients_formats
from plugboard.core.clients.exporting import write_export
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import PlugboardError

CLAUDE = {"mcpServers": {"files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/x"]}}}
# `plugboard export` / `import` finish in well under a second when they do not hang; a loaded machine gets room.
FIFO_DEADLINE_S = 30
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


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
@pytest.mark.parametrize("command", [["export", "cursor"], ["import", "cursor", "--yes"]])
def test_a_named_pipe_in_place_of_the_other_apps_file_is_refused_without_hanging(
    connectors: list[Any], tmp_path: Path, command: list[str]
) -> None:
    target = tmp_path / "mcp.json"
    os.mkfifo(target)
    # A child process: a read that waits for a writer on the pipe would hang this one for good.
    done = subprocess.run(
        [sys.executable, "-m", "plugboard.cli", *command[:2], str(target), *command[2:]],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=FIFO_DEADLINE_S,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "is a named pipe (FIFO), not a file" in done.stderr, done.stderr
    assert stat.S_ISFIFO(os.stat(target).st_mode)


def test_a_link_to_a_device_or_a_file_far_too_large_is_refused_without_reading_it_whole(
    connectors: list[Any], tmp_path: Path
) -> None:
    device = tmp_path / "zero.json"
    device.symlink_to("/dev/zero")
    with pytest.raises(PlugboardError, match="is a device, not a file"):
        write_export(connectors, "cursor", device)
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as handle:
        handle.truncate(clients_formats.MAX_CLIENT_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(PlugboardError, match="is larger than 128 MB"):
        write_export(connectors, "cursor", huge)
    with pytest.raises(PlugboardError, match="is larger than 128 MB"):
        clients_formats.read_json_file(huge)
    assert huge.stat().st_size == clients_formats.MAX_CLIENT_FILE_BYTES + 1
