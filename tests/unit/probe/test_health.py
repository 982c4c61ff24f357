"""One health model for every connector: the rules (green only after a handshake since the last change, never green
while a failure seen after it stands), the witnesses it reads (the launcher's record, Claude Desktop's log, the
bridge's notes, a Test, a tunnel), and what survives a restart of the app."""

from __future__ import annotations

import json
import time
from pathlib import Path

from plugboard.core.bridge.oauth.session import StoredSignIn
from plugboard.core.config.connectors import Connector
from plugboard.core.entries import ProxyEntry
from plugboard.core.install import entry_command
from plugboard.core.launch.status import ConnectorStatus, RunState
from plugboard.core.logs.claude_desktop import parse_lines
from plugboard.core.paths import plugboard_dirs
from plugboard.core.probe import verdict as vd
from plugboard.core.probe.health import (
    HealthMonitor,
    HealthState,
    Sighting,
    assess,
    bridge_sightings,
    claude_sightings,
    launch_sightings,
)
from plugboard.core.tunnel.state import Problem, ProblemKind, StateKind, TunnelState

BARE = Connector("files", True, {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]})
REMOTE = Connector(
    "catalyst",
    True,
    {
        "command": entry_command(),
        "args": ["proxy", "catalyst", "http://127.0.0.1:5000/mcp", "--ssh", "droplet", "--bearer-secret", "API_KEY"],
    },
)
LAUNCHED = Connector(
    "github",
    True,
    {"command": entry_command(), "args": ["run", "github", "--secret", "GITHUB_TOKEN", "--", "npx", "x"]},
)


def handshake(at: float, tools: int | None = None) -> Sighting:
    return Sighting(at, "test", handshake=True, tools=tools)


def failure(at: float, headline: str = "Stops as soon as it starts") -> Sighting:
    return Sighting(at, "launcher", vd.Finding(vd.Code.STOPS_AT_START, headline))


def test_nothing_seen_is_not_started_and_starting_alone_is_not_green() -> None:
    assert assess(BARE, []).line == "Not started by Claude yet"
    started = assess(BARE, [Sighting(10.0, "claude", started=True)])
    assert (started.state, started.light) == (HealthState.STARTED, "off")


def test_green_only_after_a_handshake_and_red_when_a_failure_comes_after_it() -> None:
    working = assess(BARE, [handshake(10.0, tools=14)])
    assert (working.state, working.line, working.light) == (HealthState.WORKING, "Working — 14 tools", "ok")
    broken = assess(BARE, [handshake(10.0, 14), failure(11.0)])
    assert (broken.state, broken.line, broken.light) == (HealthState.FAILING, "Stops as soon as it starts", "bad")
    again = assess(BARE, [failure(11.0), handshake(12.0, 14)])
    assert again.state is HealthState.WORKING


def test_what_was_seen_before_the_last_change_says_nothing_about_the_entry_now() -> None:
    seen = [handshake(10.0, 3), failure(11.0)]
    assert assess(BARE, seen, changed_at=20.0).state is HealthState.UNKNOWN
    assert assess(BARE, [*seen, handshake(21.0)], changed_at=20.0).state is HealthState.WORKING


def test_off_and_being_tested_win_over_everything_seen() -> None:
    off = Connector("files", False, BARE.entry)
    assert assess(off, [handshake(10.0)]).line == "Switched off"
    assert assess(BARE, [failure(10.0)], checking=True).line == "Testing…"


def test_a_reconnecting_tunnel_makes_a_working_remote_shaky_and_names_itself_in_a_failure() -> None:
    reconnecting = TunnelState(
        StateKind.RECONNECTING, attempt=2, next_try_s=1.0, problem=Problem(ProblemKind.NETWORK, "x")
    )
    shaky = assess(REMOTE, [handshake(10.0)], tunnel=reconnecting)
    assert (shaky.state, shaky.light) == (HealthState.WARNING, "warn")
    assert shaky.line == "Worked, but the tunnel is reconnecting"
    unreachable = Sighting(11.0, "bridge", vd.unreachable())
    failing = assess(REMOTE, [handshake(10.0), unreachable], tunnel=reconnecting)
    assert failing.line == "Your server is unreachable: the tunnel is reconnecting"
    assert assess(REMOTE, [], tunnel=TunnelState(StateKind.UP, local_port=1)).state is HealthState.UNKNOWN


def test_the_launchers_record_says_what_is_missing_in_words() -> None:
    missing = ConnectorStatus(name="github", state=RunState.FAILED, reason="missing secret GITHUB_TOKEN", ended=5.0)
    (seen,) = launch_sightings(LAUNCHED, missing, RunState.FAILED)
    assert seen.finding is not None and seen.finding.headline == "Needs the GitHub token"
    program = ConnectorStatus(name="github", state=RunState.FAILED, reason="command not found: npx", ended=5.0)
    (seen,) = launch_sightings(LAUNCHED, program, RunState.FAILED)
    assert seen.finding is not None and seen.finding.headline == "Can't start: Node.js is not installed"
    clean = ConnectorStatus(name="github", state=RunState.EXITED, exit_code=0, started=1.0, ended=50.0)
    assert launch_sightings(LAUNCHED, clean, RunState.EXITED) == []  # Claude stopped it: nothing wrong
    refused = ConnectorStatus(
        name="github", state=RunState.EXITED, exit_code=1, started=1.0, ended=2.0, stderr_tail=["401 Bad credentials"]
    )
    (seen,) = launch_sightings(LAUNCHED, refused, RunState.EXITED)
    assert seen.finding is not None and seen.finding.headline == "The GitHub token was refused"


CLAUDE_LOG = b"""\
2025-06-03T07:23:52.000Z [files] [info] Initializing server...
2025-06-03T07:23:52.100Z [files] [info] Message from server: {"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"fs","version":"1"}}}
2025-06-03T07:23:52.200Z [files] [info] Message from server: {"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"},{"name":"b"}]}}
2025-06-03T08:00:00.000Z [files] [error] Unexpected token 'S', "Starting s"... is not valid JSON
"""


def test_claudes_log_gives_the_handshake_with_its_tool_count_and_a_later_failure() -> None:
    entries = parse_lines(CLAUDE_LOG, Path("mcp-server-files.log"), default_server="files")
    seen = claude_sightings(entries)
    assert assess(BARE, seen[:3]).line == "Working — 2 tools"
    health = assess(BARE, seen)
    assert (health.state, health.line) == (HealthState.FAILING, "It prints messages Claude can't read")


def test_a_bridge_note_that_the_remote_is_unreachable_is_a_failure_not_information() -> None:
    raw = (
        b"2025-06-03T07:00:00.000Z [plugboard] initialized: server far, protocol 2025-06-18, json\n"
        b"2025-06-03T07:05:00.000Z [plugboard] [error] tools/call: the remote MCP server is unreachable: "
        b"cannot connect to http://127.0.0.1:5000/mcp (connection refused). Is it running?\n"
    )
    seen = bridge_sightings(REMOTE, raw)
    assert [s.handshake for s in seen] == [True, False]
    health = assess(REMOTE, seen)
    assert (health.state, health.line) == (HealthState.FAILING, "Your server is unreachable")
    assert bridge_sightings(BARE, raw) == []  # only a bridge writes such notes


def test_the_last_test_survives_a_restart_until_the_entry_changes(isolated_home: Path) -> None:
    first = HealthMonitor(None)
    first.track([BARE])
    first.record_test(vd.Verdict("files", vd.working(4), tools=4, time=time.time()))
    assert first.health("files").line == "Working — 4 tools"  # type: ignore[union-attr]
    first.close()
    saved = (plugboard_dirs().state / "health.json").read_text()
    assert "/tmp" not in saved and "npx" not in saved  # a fingerprint, not the entry

    again = HealthMonitor(None)
    assert again.track([BARE])[0].line == "Working — 4 tools"
    again.close()
    changed = Connector("files", True, {**BARE.entry, "args": ["-y", "@modelcontextprotocol/server-filesystem", "/"]})
    third = HealthMonitor(None)
    assert third.track([changed])[0].state is HealthState.UNKNOWN
    third.close()
    assert json.loads((plugboard_dirs().state / "health.json").read_text())["files"]["test"] is None


SIGNS_IN = Connector("notes", True, ProxyEntry.new("notes", "https://mcp.example.com/mcp", oauth=True).to_json())
NEEDS_YOU = (
    '2025-06-03T07:05:00.000Z [plugboard] [error] initialize: "notes" needs you to sign in to id.example.com: '
    "`plugboard login notes`\n"
)


def test_a_connector_that_signs_in_without_a_usable_sign_in_says_sign_in_needed() -> None:
    nothing = assess(SIGNS_IN, [], sign_in=StoredSignIn("id.example.com", usable=False))
    assert (nothing.state, nothing.line, nothing.light) == (HealthState.SIGN_IN, "Sign in needed", "bad")
    assert nothing.finding is not None and nothing.finding.steps[0].action is vd.Action.SIGN_IN
    assert "id.example.com" in nothing.finding.advice
    # An older handshake does not make it work now: without a sign-in its next start needs one.
    earlier = assess(SIGNS_IN, [handshake(10.0, tools=3)], sign_in=StoredSignIn("id.example.com", usable=False))
    assert earlier.state is HealthState.SIGN_IN
    # Not known yet (the keyring not read, or locked): the other witnesses decide.
    assert assess(SIGNS_IN, [handshake(10.0, tools=3)]).state is HealthState.WORKING
    # Off and being tested still win.
    assert assess(SIGNS_IN, [], checking=True, sign_in=StoredSignIn("h", usable=False)).state is HealthState.CHECKING
    off = Connector("notes", False, SIGNS_IN.entry)
    assert assess(off, [], sign_in=StoredSignIn("h", usable=False)).state is HealthState.OFF


def test_the_bridges_note_that_a_sign_in_is_needed_is_that_state_with_its_own_words() -> None:
    seen = bridge_sightings(SIGNS_IN, NEEDS_YOU.encode())
    at = seen[0].time
    noted = assess(SIGNS_IN, seen)
    assert (noted.state, noted.line) == (HealthState.SIGN_IN, "Sign in needed")
    ended = vd.sign_in_needed("id.example.com", vd.ENDED)
    kept_words = assess(SIGNS_IN, [Sighting(at, "bridge", ended)], sign_in=StoredSignIn("id.example.com", False))
    assert kept_words.line == "Sign in needed: your sign-in ended"


def test_signed_in_since_a_note_asked_for_it_no_sign_in_state_remains() -> None:
    seen = bridge_sightings(SIGNS_IN, NEEDS_YOU.encode())
    at = seen[0].time
    signed = StoredSignIn("id.example.com", usable=True, since=at + 5)
    health = assess(SIGNS_IN, seen, sign_in=signed)
    assert health.state is HealthState.UNKNOWN and "Sign in" not in health.line
    assert assess(SIGNS_IN, [*seen, handshake(at + 6, tools=1)], sign_in=signed).line == "Working — 1 tool"
    # A note after the sign-in (the server refused the new token) still asks for one.
    refused = Sighting(at + 9, "bridge", vd.sign_in_needed("id.example.com", vd.ENDED))
    assert assess(SIGNS_IN, [*seen, refused], sign_in=signed).state is HealthState.SIGN_IN


def test_a_connector_with_a_static_token_never_says_sign_in_needed() -> None:
    remote = Connector("far", True, ProxyEntry.new("far", "https://far.example.com/mcp").to_json())
    assert assess(remote, [], sign_in=StoredSignIn("far.example.com", usable=False)).state is HealthState.UNKNOWN
