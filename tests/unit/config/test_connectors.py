"""Connector operations across Claude's file and Plugboard's store."""

import json
import os
import stat

import pytest

from plugboard.cli import main
from plugboard.core.claude.discovery import discover
from plugboard.core.config import claude_file as claude_config
from plugboard.core.config import claude_file as engine
from plugboard.core.config import secure
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import ClashError, ConflictError
from plugboard.core.paths import plugboard_dirs

CONFIG = (
    '{\n  "globalShortcut": "",\n  "mcpServers": {\n    "github": {\n      "command": "npx",\n      "args": [\n'
    '        "-y",\n        "@modelcontextprotocol/server-github"\n      ],\n      "env": {\n'
    '        "GITHUB_PERSONAL_ACCESS_TOKEN": "x"\n      }\n    },\n    "files": {\n      "command": "npx",\n'
    '      "args": [\n        "-y",\n        "@modelcontextprotocol/server-filesystem",\n        "/home/ana"\n'
    '      ]\n    }\n  },\n  "preferences": {\n    "menuBarEnabled": false\n  }\n}'
)


@pytest.fixture
def connectors(claude_config):
    claude_config.write_text(CONFIG)
    claude_config.chmod(0o640)
    return Connectors(discover(str(claude_config)), plugboard_dirs())


def test_disable_then_enable_restores_the_exact_bytes_and_mode(connectors, claude_config):
    for name in ("github", "files"):
        connectors.disable(name)
        assert name not in json.loads(claude_config.read_text())["mcpServers"]
        connectors.enable(name)
        assert claude_config.read_text() == CONFIG
    assert stat.S_IMODE(claude_config.stat().st_mode) == 0o640


def test_parked_connectors_are_listed_as_disabled_with_their_entry(connectors):
    connectors.disable("github")
    listed = {c.name: c for c in connectors.all()}
    assert listed["github"].enabled is False
    assert listed["github"].entry["args"] == ["-y", "@modelcontextprotocol/server-github"]
    assert listed["files"].enabled is True


def test_disabling_both_then_enabling_in_any_order_gives_back_the_file(connectors, claude_config):
    connectors.disable("files")
    connectors.disable("github")
    assert json.loads(claude_config.read_text())["mcpServers"] == {}
    connectors.enable("files")
    connectors.enable("github")
    assert claude_config.read_text() == CONFIG


def test_a_new_live_entry_with_a_parked_name_is_refused(connectors):
    connectors.disable("github")
    with pytest.raises(ClashError, match='a disabled connector is already called "github"'):
        connectors.add("github", {"command": "other"})


def test_enabling_over_a_different_live_entry_is_refused(connectors, claude_config):
    connectors.disable("github")
    # Someone adds another "github" by hand while ours is parked.
    text = claude_config.read_text().replace('"files": {', '"github": {"command": "mine"},\n    "files": {')
    claude_config.write_text(text)
    with pytest.raises(ClashError, match='a different connector called "github" is already enabled'):
        connectors.enable("github")
    assert claude_config.read_text() == text


def test_a_crash_between_the_two_writes_leaves_one_live_connector(connectors, claude_config):
    connectors.disable("github")
    parked = connectors.store.read()["parked"]
    connectors.enable("github")
    connectors.store.update(lambda data: data["parked"].extend(parked))  # as if the store write never happened
    assert [c.name for c in connectors.all()] == ["github", "files"]
    connectors.disable("github")
    connectors.enable("github")
    assert claude_config.read_text() == CONFIG


def test_a_new_file_is_created_with_mode_0600(claude_config):
    connectors = Connectors(discover(str(claude_config)), plugboard_dirs())
    connectors.add("a", {"command": "x"})
    assert stat.S_IMODE(claude_config.stat().st_mode) == 0o600
    assert json.loads(claude_config.read_text()) == {"mcpServers": {"a": {"command": "x"}}}


def test_an_edit_is_reapplied_when_the_file_changed_on_disk_and_it_still_applies(connectors, claude_config):
    seen = claude_config.read_bytes()
    claude_config.write_text(CONFIG.replace('"globalShortcut": ""', '"globalShortcut": "Alt+Space"'))

    def edit(doc):
        return doc.with_added("new", {"command": "y"})

    claude_config_snapshot = claude_config_apply(connectors, edit, seen)
    data = json.loads(claude_config_snapshot)
    assert data["globalShortcut"] == "Alt+Space"
    assert "new" in data["mcpServers"]


def test_an_edit_that_no_longer_applies_after_a_change_on_disk_is_refused(connectors, claude_config):
    seen = claude_config.read_bytes()
    changed = CONFIG.replace('"files": {', '"gone": {')
    claude_config.write_text(changed)

    def edit(doc):
        if doc.entry("files") is None:
            raise claude_config_module_error("files")
        return doc.without("files")[0]

    with pytest.raises(ConflictError, match="changed on disk since Plugboard read it"):
        claude_config_apply(connectors, edit, seen)
    assert claude_config.read_text() == changed


def claude_config_module_error(name):
    from plugboard.core.errors import NotFoundError

    return NotFoundError(f"{name} is gone")


def claude_config_apply(connectors, edit, base):
    snapshot = claude_config.apply_edit(connectors.path, edit, connectors.dirs, base=base)
    return snapshot.raw.decode()


def test_every_write_makes_a_backup_and_old_ones_rotate(connectors, monkeypatch):
    monkeypatch.setattr("plugboard.core.config.backups.KEEP", 3)
    from plugboard.core.config import backups

    monkeypatch.setattr(backups.BackupSet.__init__, "__defaults__", (3,))
    for i in range(5):
        connectors.add(f"n{i}", {"command": "x"})
    listed = connectors.backups()
    assert len(listed) == 3
    assert [b.reason for b in listed] == ["add-n4", "add-n3", "add-n2"]
    assert all(stat.S_IMODE(b.path.stat().st_mode) == 0o600 for b in listed)


def test_restore_puts_a_backup_back_and_backs_up_the_current_file(connectors, claude_config, capsys):
    connectors.remove("files")
    assert main(["restore", "1"]) == 0
    assert claude_config.read_text() == CONFIG
    assert connectors.backups()[0].reason == "before-restore"


def test_cli_add_list_disable_enable_remove_round_trip(claude_config, capsys):
    claude_config.write_text(CONFIG)
    assert main(["add", "time", "--env", "TZ=Europe/Paris", "--", "uvx", "mcp-server-time"]) == 0
    assert main(["disable", "time"]) == 0
    capsys.readouterr()
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["enabled"], r["kind"]) for r in rows] == [
        ("github", True, "local"),
        ("files", True, "local"),
        ("time", False, "local"),
    ]
    assert rows[2]["command"] == "uvx" and rows[2]["args"] == ["mcp-server-time"]
    assert main(["enable", "time"]) == 0
    assert main(["remove", "time"]) == 0
    assert claude_config.read_text() == CONFIG
    assert main(["remove", "time"]) == 1
    assert 'no connector called "time"' in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["enable"])
    assert caught.value.code == 2


def test_the_store_never_holds_a_copy_when_the_config_write_fails(connectors, claude_config, monkeypatch):
    def fail(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("plugboard.core.config.claude_file.write_atomic", fail)
    with pytest.raises(Exception, match="No space left"):
        connectors.disable("github")
    assert connectors.store.read()["parked"] == []
    assert claude_config.read_text() == CONFIG
    assert not any(p.name.endswith(".plugboard-tmp") for p in claude_config.parent.iterdir())
    assert os.listdir(claude_config.parent) == [claude_config.name]


def test_removing_a_live_connector_keeps_a_different_disabled_one_of_the_same_name(connectors, claude_config):
    connectors.disable("github")
    text = claude_config.read_text().replace('"files": {', '"github": {"command": "mine"},\n    "files": {')
    claude_config.write_text(text)
    connectors.remove("github")
    parked = [c for c in connectors.all() if not c.enabled]
    assert [(c.name, c.entry["args"][-1]) for c in parked] == [("github", "@modelcontextprotocol/server-github")]
    connectors.enable("github")
    assert claude_config.read_text() == CONFIG


def test_a_config_reached_through_a_symlink_stays_a_link_and_its_target_changes(claude_config, tmp_path):
    real = tmp_path / "dotfiles" / "claude.json"
    real.parent.mkdir()
    real.write_text(CONFIG)
    claude_config.symlink_to(real)
    connectors = Connectors(discover(str(claude_config)), plugboard_dirs())
    connectors.disable("files")
    assert claude_config.is_symlink()
    assert "files" not in json.loads(real.read_text())["mcpServers"]
    # The same file spelled another way sees the same parked connector.
    again = Connectors(discover(str(real.parent / ".." / "dotfiles" / "claude.json")), plugboard_dirs())
    assert [c.name for c in again.all() if not c.enabled] == ["files"]


def test_backups_belong_to_their_own_config_file(connectors, tmp_path):
    other_path = tmp_path / "other.json"
    other_path.write_text('{"mcpServers": {}}')
    other = Connectors(discover(str(other_path)), plugboard_dirs())
    other.add("x", {"command": "y"})
    connectors.disable("files")
    assert [b.reason for b in connectors.backups()] == ["disable-files"]
    assert [b.reason for b in other.backups()] == ["add-x"]
    with pytest.raises(Exception, match="no backup called"):
        secure.restore(connectors, other.backups()[0].name)


def test_a_repair_decided_on_old_content_is_not_written_over_newer_content(claude_config):
    from plugboard.core.errors import ConflictError

    claude_config.write_text('{"mcpServers": {},}')
    seen = claude_config.read_bytes()
    claude_config.write_text('{"mcpServers": {"new": {"command": "x"}},}')
    with pytest.raises(ConflictError, match="changed on disk meanwhile"):
        engine.write_bytes(claude_config, b'{"mcpServers": {}}', plugboard_dirs(), reason="r", expected=seen)
    assert claude_config.read_text() == '{"mcpServers": {"new": {"command": "x"}},}'


def test_a_folder_fsync_failure_after_the_rename_loses_nothing(connectors, claude_config, monkeypatch):
    def cannot(_folder):
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr("plugboard.core.files.atomic.fsync_dir", cannot)
    connectors.disable("github")  # the content is written; the folder just cannot be fsynced here
    assert "github" not in json.loads(claude_config.read_text())["mcpServers"]
    assert [c.name for c in connectors.all() if not c.enabled] == ["github"]


def test_add_goes_through_the_launcher_unless_plain_and_warns_about_a_missing_program(claude_config, capsys):
    from plugboard.core.install import entry_command

    assert main(["add", "time", "--", "uvx", "mcp-server-time"]) == 0
    assert main(["add", "bare", "--plain", "--", "uvx", "mcp-server-time"]) == 0
    servers = json.loads(claude_config.read_text())["mcpServers"]
    assert servers["time"] == {
        "command": entry_command(),
        "args": ["run", "time", "--", "uvx", "mcp-server-time"],
    }
    assert servers["bare"] == {"command": "uvx", "args": ["mcp-server-time"]}
    capsys.readouterr()
    assert main(["add", "ghost", "--", "no-such-program-zz"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("plugboard: warning:") and "no-such-program-zz" in err
    assert main(["list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["time"]["command"], rows["time"]["via"]) == ("uvx", "run")
    assert (rows["bare"]["command"], rows["bare"]["via"]) == ("uvx", None)


def test_replacing_a_disabled_connector_rewrites_its_parked_copy_and_enable_puts_it_back_in_place(
    connectors, claude_config
):
    connectors.disable("github")
    new = {"command": "uvx", "args": ["mcp-github"], "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "y"}}

    connectors.replace("github", new)

    assert '"x"' not in plugboard_dirs().store_file.read_text()  # the old value is not kept anywhere
    parked = connectors.get("github")
    assert (parked.enabled, parked.entry) == (False, new)
    connectors.enable("github")
    doc = json.loads(claude_config.read_text())
    assert list(doc["mcpServers"]) == ["github", "files"]
    assert doc["mcpServers"]["github"] == new
    # Written in the file's own style (two-space indent under mcpServers), as a live edit would be.
    assert '\n    "github": {\n      "command": "uvx",' in claude_config.read_text()
