"""Issue 16 item 2: an entry enabled while Claude Desktop runs survives Claude writing back the copy it read.

Claude (running) holds the file it read after `disable a`; `enable a`; Claude writes its copy back: `a` is gone
from the file. Plugboard keeps `a`'s bytes, watched, and puts it back (at its place) the next time it looks.
"""

import json

import pytest

from plugboard.cli import main
from plugboard.core import notices
from plugboard.core.claude.discovery import discover
from plugboard.core.config import secure
from plugboard.core.config.connectors import Connectors
from plugboard.core.paths import plugboard_dirs

CONFIG = (
    '{\n  "globalShortcut": "",\n  "mcpServers": {\n    "a": {\n      "command": "x"\n    },\n'
    '    "b": {\n      "command": "y"\n    },\n    "c": {\n      "command": "z"\n    }\n  }\n}'
)


@pytest.fixture
def heard():
    got = []
    stop = notices.subscribe(got.append)
    yield got
    stop()


def _connectors(path, running=True):
    return Connectors(discover(str(path)), plugboard_dirs(), claude_running=lambda: running)


def _stale_write_back(path, copy):
    """Claude Desktop writing its in-memory copy: truncate, then write."""
    with open(path, "r+b") as handle:
        handle.truncate(0)
        handle.flush()
        handle.write(copy)


def test_an_entry_enabled_while_claude_runs_is_put_back_after_a_stale_write_back(claude_config, heard):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("a")
    claudes_copy = claude_config.read_bytes()  # Claude (re)started now: its copy has no "a"
    connectors.enable("a")
    _stale_write_back(claude_config, claudes_copy)

    listed = {c.name: c.enabled for c in connectors.all()}

    assert listed == {"a": True, "b": True, "c": True}
    assert claude_config.read_text() == CONFIG  # back at its place, byte for byte
    assert [(n.kind, n.names) for n in heard] == [("restored", ("a",))]
    assert 'Put "a" back into' in heard[0].text and "Restart Claude Desktop" in heard[0].text


def test_every_change_and_every_open_puts_a_dropped_entry_back_first(claude_config):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("a")
    claudes_copy = claude_config.read_bytes()
    connectors.enable("a")
    _stale_write_back(claude_config, claudes_copy)
    connectors.disable("c")  # a change made before anyone listed
    assert list(json.loads(claude_config.read_text())["mcpServers"]) == ["a", "b"]
    _stale_write_back(claude_config, claudes_copy)  # Claude writes its copy again: "a" gone, "c" back
    Connectors.open(str(claude_config))
    assert list(json.loads(claude_config.read_text())["mcpServers"]) == ["a", "b", "c"]


def test_plugboards_own_writes_do_not_end_the_watch(claude_config):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("a")
    claudes_copy = claude_config.read_bytes()
    connectors.enable("a")
    connectors.add("d", {"command": "w"})
    connectors.replace("b", {"command": "y2"})
    connectors.all()
    _stale_write_back(claude_config, claudes_copy)
    connectors.all()
    assert list(json.loads(claude_config.read_text())["mcpServers"]) == ["a", "b", "c"]


def test_the_watch_ends_once_claude_writes_a_file_that_keeps_the_entry(claude_config):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("a")
    connectors.enable("a")
    assert [r["state"] for r in connectors.store.read()["parked"]] == ["enabled"]
    # Claude restarted with "a", and wrote the file when a setting changed.
    _stale_write_back(claude_config, json.dumps({**json.loads(CONFIG), "preferences": {}}, indent=2).encode())
    connectors.all()
    assert connectors.store.read()["parked"] == []
    # From then on a file without "a" is someone's choice, not a stale copy: left as it is.
    _stale_write_back(claude_config, b'{"mcpServers": {"b": {"command": "y"}}}')
    assert [c.name for c in connectors.all()] == ["b"]


def test_enabling_while_claude_is_not_running_keeps_no_copy(claude_config):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config, running=False)
    connectors.disable("a")
    connectors.enable("a")
    assert connectors.store.read()["parked"] == []


def test_disabling_or_removing_a_watched_entry_ends_the_watch(claude_config):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    for name in ("a", "b"):
        connectors.disable(name)
        connectors.enable(name)
    connectors.disable("a")
    connectors.remove("b")
    records = connectors.store.read()["parked"]
    assert [(r["name"], r["state"]) for r in records] == [("a", "parked")]
    assert [(c.name, c.enabled) for c in connectors.all()] == [("a", False), ("c", True)]  # "a" at its place


def test_restoring_a_backup_without_a_watched_entry_keeps_it_as_disabled(claude_config):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("a")
    connectors.enable("a")
    secure.restore(connectors, "1")  # the backup taken before the enable: no "a"
    assert [(c.name, c.enabled) for c in connectors.all()] == [("a", False), ("b", True), ("c", True)]
    connectors.enable("a")
    assert claude_config.read_text() == CONFIG


def test_the_command_line_says_what_it_put_back(claude_config, capsys):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("b")
    claudes_copy = claude_config.read_bytes()
    connectors.enable("b")
    _stale_write_back(claude_config, claudes_copy)
    assert main(["list", "--json"]) == 0
    captured = capsys.readouterr()
    assert [r["name"] for r in json.loads(captured.out)] == ["a", "b", "c"]
    assert captured.err.startswith(f'plugboard: Put "b" back into {claude_config}')
    assert captured.err.count("\n") == 1


def test_switched_off_connectors_are_listed_where_they_come_back(claude_config):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("b")
    assert [(c.name, c.enabled) for c in connectors.all()] == [("a", True), ("b", False), ("c", True)]
    connectors.disable("a")
    again = _connectors(claude_config)  # the next session lists them the same way
    assert [(c.name, c.enabled) for c in again.all()] == [("a", False), ("b", False), ("c", True)]
