"""The apply flow: write at once when Claude is down; quit → write → relaunch when it runs; the wipe guard."""

import json
import threading

from plugboard.core.claude.app import RestartOutcome
from plugboard.core.claude.discovery import discover
from plugboard.core.config import claude_file
from plugboard.core.config.apply import PendingChanges, apply_changes
from plugboard.core.config.connectors import Connectors
from plugboard.core.paths import plugboard_dirs

CONFIG = '{\n  "mcpServers": {\n    "a": {"command": "x"},\n    "b": {"command": "y"}\n  }\n}'


class FakeClaude:
    """Stands in for ClaudeApp: records the order of events and can misbehave at start-up like Claude does."""

    def __init__(self, path, running=True, quits=True, on_start=None):
        self.path = path
        self.running = running
        self.quits = quits
        self.on_start = on_start
        self.events = []
        self.threads = []

    def status(self):
        return type("S", (), {"running": self.running})()

    def restart(self, between=None, progress=None):
        if not self.quits:
            self.events.append("refused to quit")
            return RestartOutcome(True, False, False, 30.0, (1,), message="Claude Desktop did not quit within 30 s")
        self.events.append(("quit", self.path.read_text()))
        self.running = False
        between()
        self.events.append(("launch", self.path.read_text()))
        self.running = True
        if self.on_start:
            thread = threading.Thread(target=self.on_start, args=(self.path,))
            thread.start()
            self.threads.append(thread)
        return RestartOutcome(True, True, True, 1.0, (1,), (2,), message="Restarted Claude Desktop.")


def _connectors(path):
    return Connectors(discover(str(path)), plugboard_dirs(), claude_running=lambda: False)


def test_toggling_a_switch_back_cancels_the_pending_change():
    pending = PendingChanges()
    pending.toggle("a", enabled_now=True, wanted=False)
    assert len(pending) == 1
    pending.toggle("a", enabled_now=True, wanted=True)
    assert len(pending) == 0


def test_changes_are_written_at_once_when_claude_is_not_running(claude_config):
    claude_config.write_text(CONFIG)
    claude = FakeClaude(claude_config, running=False)
    outcome = apply_changes(_connectors(claude_config), {"a": False}, claude, guard_seconds=0)
    assert claude.events == []
    assert list(json.loads(claude_config.read_text())["mcpServers"]) == ["b"]
    assert "Claude Desktop is not running" in outcome.message


def test_while_claude_runs_the_file_is_written_only_between_quit_and_relaunch(claude_config):
    claude_config.write_text(CONFIG)
    claude = FakeClaude(claude_config)
    outcome = apply_changes(_connectors(claude_config), {"a": False, "b": False}, claude, guard_seconds=0.5)
    (quit_event, before), (launch_event, after) = claude.events
    assert (quit_event, launch_event) == ("quit", "launch")
    assert before == CONFIG
    assert json.loads(after)["mcpServers"] == {}
    assert outcome.written == ["a", "b"] and not outcome.restored_after_wipe
    assert "Applied 2 changes" in outcome.message


def test_nothing_is_written_when_claude_does_not_quit(claude_config):
    claude_config.write_text(CONFIG)
    claude = FakeClaude(claude_config, quits=False)
    outcome = apply_changes(_connectors(claude_config), {"a": False}, claude)
    assert claude_config.read_text() == CONFIG
    assert not outcome.ok
    assert "Nothing was written; 1 change still waiting" in outcome.message


def test_the_wipe_guard_restores_entries_claude_dropped_at_start_and_says_so(claude_config):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("b")

    def claude_wipes(path):
        path.write_text('{\n  "preferences": {}\n}')  # Claude's start-up rewrite from a stale cache

    claude = FakeClaude(claude_config, on_start=claude_wipes)
    outcome = apply_changes(connectors, {"b": True}, claude, guard_seconds=5)
    for thread in claude.threads:
        thread.join(5)
    assert outcome.restored_after_wipe
    assert 'dropped "a", "b"' in outcome.message
    assert claude_config.read_text() == CONFIG
    assert connectors.backups()[0].reason == "wipe-guard"
    assert connectors.backups()[0].path.read_text() == '{\n  "preferences": {}\n}'


def test_a_rewrite_that_keeps_every_entry_is_accepted(claude_config):
    claude_config.write_text(CONFIG)
    reformatted = json.dumps(json.loads(CONFIG), indent=2)

    def claude_reformats(path):
        path.write_text(reformatted)

    claude = FakeClaude(claude_config, on_start=claude_reformats)
    outcome = apply_changes(_connectors(claude_config), {}, claude, guard_seconds=1)
    for thread in claude.threads:
        thread.join(5)
    assert not outcome.restored_after_wipe
    assert claude_config.read_text() == reformatted


def test_entries_switched_on_by_the_apply_are_no_longer_watched_once_claude_started_with_them(claude_config):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("b")
    outcome = apply_changes(connectors, {"b": True}, FakeClaude(claude_config), guard_seconds=0.3)
    assert not outcome.restored_after_wipe
    assert connectors.store.read()["parked"] == []


def test_after_a_wipe_the_entries_stay_watched_and_come_back_after_claudes_next_stale_write(claude_config):
    claude_config.write_text(CONFIG)
    connectors = _connectors(claude_config)
    connectors.disable("b")
    stale = claude_config.read_bytes()  # what Claude loaded before the guard put the file back

    def claude_wipes(path):
        path.write_bytes(stale)

    claude = FakeClaude(claude_config, on_start=claude_wipes)
    outcome = apply_changes(connectors, {"b": True}, claude, guard_seconds=5)
    for thread in claude.threads:
        thread.join(5)
    assert outcome.restored_after_wipe
    assert [r["state"] for r in connectors.store.read()["parked"]] == ["enabled"]
    claude_config.write_bytes(stale)  # Claude, still running with its copy, writes it again later
    assert [c.name for c in connectors.all()] == ["a", "b"]
    assert claude_config.read_text() == CONFIG


def test_the_guard_does_not_take_claudes_truncate_then_write_for_a_wipe(claude_config, monkeypatch):
    claude_config.write_text(CONFIG)
    reformatted = json.dumps(json.loads(CONFIG), indent=4)
    saw_empty = threading.Event()
    real_read_raw = claude_file.read_raw

    def read_raw(path):
        raw = real_read_raw(path)
        if raw == b"":
            saw_empty.set()
        return raw

    monkeypatch.setattr(claude_file, "read_raw", read_raw)

    def claude_rewrites(path):
        path.write_bytes(b"")  # truncated...
        assert saw_empty.wait(5)  # ...and the guard looked at it in that state
        path.write_text(reformatted)

    claude = FakeClaude(claude_config, on_start=claude_rewrites)
    outcome = apply_changes(_connectors(claude_config), {}, claude, guard_seconds=1)
    for thread in claude.threads:
        thread.join(5)
    assert saw_empty.is_set()
    assert not outcome.restored_after_wipe
    assert claude_config.read_text() == reformatted
