"""The app's undo history goes several steps back, over every kind of change, and never overwrites a file that
changed since; backups are named in words."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from plugboard.core.config import secure, undo
from plugboard.core.config.backups import Backup, describe, describe_reason
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import ConflictError

CONFIG = {
    "mcpServers": {
        "files": {"command": "npx", "args": ["-y", "server-filesystem"]},
        "time": {"command": "uvx", "args": ["mcp-server-time"]},
    }
}


@pytest.fixture
def connectors(claude_config: Path) -> Connectors:
    claude_config.write_text(json.dumps(CONFIG, indent=2))
    return Connectors.open(str(claude_config))


def test_switch_edit_and_remove_are_undone_newest_first_back_to_the_original_bytes(
    connectors: Connectors, claude_config: Path
) -> None:
    original = claude_config.read_bytes()
    history = undo.History()
    connectors.disable("time")
    history.push(undo.after_toggle("time", False))
    before = connectors.get("files")
    connectors.replace("files", {"command": "npx", "args": ["-y", "server-filesystem", "/tmp"]})
    history.push(undo.after_edit(before, "files"))
    files = connectors.get("files")
    connectors.remove("files")
    history.push(undo.after_remove(files, 0))
    assert [s.label for s in history.steps()] == ['removed "files"', 'changed "files"', 'switched off "time"']

    while (step := history.pop()) is not None:
        step.apply(connectors)

    assert claude_config.read_bytes() == original


def test_a_restore_is_undone_only_while_the_file_still_holds_what_it_wrote(
    connectors: Connectors, claude_config: Path
) -> None:
    before = claude_config.read_bytes()
    connectors.remove("time")
    after_remove = claude_config.read_bytes()
    secure.restore(connectors, "1")
    restored = claude_config.read_bytes()
    assert restored == before
    step = undo.after_restore(after_remove, restored, "Before you removed time — today 10:42")
    step.apply(connectors)
    assert claude_config.read_bytes() == after_remove

    secure.restore(connectors, "2")
    later = undo.after_restore(after_remove, claude_config.read_bytes(), "x")
    claude_config.write_text(json.dumps({"mcpServers": {}}))  # someone changed it since
    with pytest.raises(ConflictError):
        later.apply(connectors)


def test_import_and_apply_steps_reverse_what_they_wrote(connectors: Connectors, claude_config: Path) -> None:
    connectors.add("memory", {"command": "npx", "args": ["-y", "server-memory"]})
    step = undo.after_import(["memory"])
    assert step is not None and step.label == 'imported "memory"'
    step.apply(connectors)
    assert "memory" not in json.loads(claude_config.read_text())["mcpServers"]
    connectors.disable("files")
    applied = undo.after_apply({"files": False})
    assert applied is not None and applied.label == "applied 1 switch"
    applied.apply(connectors)
    assert list(json.loads(claude_config.read_text())["mcpServers"]) == ["files", "time"]
    assert undo.after_import([]) is None and undo.after_apply({}) is None


def test_the_history_keeps_its_depth_and_forgets_the_steps_of_a_connector() -> None:
    history = undo.History(depth=3)
    for name in ("a", "b", "c", "d"):
        history.push(undo.after_add(name))
    assert [s.label for s in history.steps()] == ['added "d"', 'added "c"', 'added "b"']
    assert history.forget("c") == 1
    assert [s.label for s in history.steps()] == ['added "d"', 'added "b"']


def test_backups_are_named_in_words_with_the_connectors_own_spelling() -> None:
    now = datetime(2025, 6, 3, 12, 0, tzinfo=UTC)
    at = now - timedelta(minutes=5)
    local = at.astimezone()
    assert (
        describe(Backup(Path("x"), at, "disable-github"), now=now)
        == f"Before you switched off github — today {local:%H:%M}"
    )
    assert describe_reason("edit-my-server", ["My Server"]) == "Before you changed My Server"
    assert describe_reason("before-restore") == "Before you restored an earlier copy"
    assert describe_reason("before-repair") == "Before Plugboard repaired the file"
    yesterday = describe(Backup(Path("x"), now - timedelta(days=1), "add-time"), now=now)
    assert yesterday.startswith("Before you added time — yesterday ")
