"""Issue 16 items 1 and 14: an empty file is never a fresh config; failed writes leave no backup; a read-only file
is refused; the edit lock is private."""

import json
import os
import stat

import pytest

from plugboard.cli import main
from plugboard.core.claude.discovery import discover
from plugboard.core.config import claude_file, secure
from plugboard.core.config.backups import KEEP
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import ConfigError
from plugboard.core.files.locking import edit_lock
from plugboard.core.paths import plugboard_dirs

CONFIG = (
    '{\n  "preferences": {"x": 1},\n  "mcpServers": {\n    "a": {"command": "x"},\n    "b": {"command": "y"}\n  }\n}'
)


def _connectors(path):
    return Connectors(discover(str(path)), plugboard_dirs(), claude_running=lambda: False)


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n"])
@pytest.mark.parametrize("command", [["list"], ["add", "new", "--", "x"], ["enable", "a"], ["disable", "a"]])
def test_an_existing_empty_file_is_refused_in_one_line_never_written_and_never_backed_up(
    claude_config, capsys, content, command
):
    claude_config.write_bytes(content)
    assert main(command) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"plugboard: {claude_config}: is empty (Claude Desktop may be writing it right now")
    assert claude_config.read_bytes() == content
    assert _connectors(claude_config).backups() == []


def test_a_read_in_claudes_truncate_then_write_window_waits_for_the_content(claude_config, monkeypatch):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("b")
    claude_config.write_bytes(b"")  # Claude has truncated the file and not written yet...
    polls = []

    def claude_finishes_writing(seconds):
        polls.append(seconds)
        claude_config.write_text(CONFIG.replace('"b": {"command": "y"}', '"c": {"command": "z"}'))

    monkeypatch.setattr(claude_file.time, "sleep", claude_finishes_writing)
    connectors.enable("b")
    assert polls == [claude_file.IN_FLUX_POLL_S]
    data = json.loads(claude_config.read_text())
    assert data["preferences"] == {"x": 1}
    assert list(data["mcpServers"]) == ["a", "b", "c"]
    assert all(b.size > 0 for b in connectors.backups())


def test_a_file_cut_off_mid_write_is_also_given_time_to_be_written_out(claude_config, monkeypatch):
    claude_config.write_text(CONFIG[:30])

    def claude_finishes_writing(_seconds):
        claude_config.write_text(CONFIG)

    monkeypatch.setattr(claude_file.time, "sleep", claude_finishes_writing)
    assert claude_file.read(claude_config).doc.names == ["a", "b"]


def test_restoring_a_backup_into_an_empty_file_works_and_keeps_no_empty_backup(claude_config, capsys):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("a")
    claude_config.write_bytes(b"")  # a write that was cut off for good
    assert main(["restore", "1"]) == 0
    assert claude_config.read_text() == CONFIG
    assert [b.reason for b in connectors.backups()] == ["disable-a"]


def test_a_failed_write_leaves_no_backup_and_keeps_the_good_ones(claude_config, monkeypatch):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    for i in range(KEEP):
        connectors.add(f"n{i}", {"command": "x"})
    kept = [b.name for b in connectors.backups()]
    assert len(kept) == KEEP

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(claude_file, "write_atomic", disk_full)
    for i in range(5):
        with pytest.raises(ConfigError, match="cannot be written: No space left on device"):
            connectors.add(f"fail{i}", {"command": "x"})
    with pytest.raises(ConfigError, match="No space left"):
        secure.restore(connectors, "1")
    assert [b.name for b in connectors.backups()] == kept


def test_a_read_only_config_is_refused_and_left_exactly_as_it_is(claude_config, capsys):
    claude_config.write_text(CONFIG)
    claude_config.chmod(0o444)
    before = os.stat(claude_config)
    for command in (["add", "new", "--", "x"], ["disable", "a"], ["remove", "b"]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"{claude_config}: is read-only, so Plugboard leaves it as it is" in err
    after = os.stat(claude_config)
    assert (after.st_ino, after.st_mtime_ns, stat.S_IMODE(after.st_mode)) == (
        before.st_ino,
        before.st_mtime_ns,
        0o444,
    )
    assert claude_config.read_text() == CONFIG
    assert _connectors(claude_config).backups() == []
    assert _connectors(claude_config).store.read()["parked"] == []


def test_the_edit_lock_file_is_private_even_when_an_older_version_left_it_open(tmp_path):
    dirs = plugboard_dirs()
    with edit_lock(dirs):
        assert stat.S_IMODE(dirs.lock_file.stat().st_mode) == 0o600
    dirs.lock_file.chmod(0o644)
    with edit_lock(dirs):
        assert stat.S_IMODE(dirs.lock_file.stat().st_mode) == 0o600
