"""One answer to "does this connector work?", for every connector whatever its entry form.

What is known about a connector comes from several places, each a dated `Sighting`:

- the launcher's (or the bridge's) status record (`launch.status`, followed through `launch.watch.LaunchWatcher`):
  it started, it never started and why (a missing secret, a program not installed), it stopped unexpectedly;
- Claude Desktop's own log of the connector (`logs.claude_desktop`, FACTS.md §A "Logs"): the only witness for an
  entry Claude starts directly, and a witness for every other — "spawn npx ENOENT", "Unexpected token … is not valid
  JSON", and the server's answer to Claude's handshake, which is the proof that it works;
- the bridge's notes in Plugboard's connector log (`plugboard proxy` writes "initialized: server …" after a handshake
  and "[error] …: the remote MCP server is unreachable: …" when the remote cannot be reached);
- the last Test (`record_test`, a `verdict.Verdict` of a real handshake run here);
- for a remote connector, its tunnel: the app's live tunnels (`tunnel_changed`, fed from a `TunnelSet`), a tunnel
  run by `plugboard tunnel up` (its run record), and the bridge's own tunnel notes;
- for a remote connector that signs in (`--oauth`), what the keyring holds (`bridge.oauth.session.stored_sign_in`:
  a token the relay can send or renew without a person, and since when), and the bridge's notes of a sign-in it
  needed or that failed ("[error] initialize: "notes" needs you to sign in to …", "[error] signing in did not
  complete: …").

`assess` turns the sightings since the connector's last change into a `Health`: a `HealthState`, the plain-words
line the row shows, and the `Finding` whose steps the app offers as buttons. The rules:

- green (`WORKING`) only after a real MCP handshake since the last change (a Test, the bridge's "initialized", or
  Claude's log showing the server's handshake answer), and never while a failure seen after that handshake stands;
- a failure (`FAILING`) is the newest problem seen since the last change, unless a handshake came after it;
- a change to the entry (its text in Claude's file, compared by a fingerprint) forgets everything seen before it:
  what was true of the old entry says nothing of the new one;
- "Sign in needed" (`SIGN_IN`) when no usable sign-in is kept, or when the newest problem is one only signing in
  solves; a sign-in (or a renewal) kept since answers every sign-in problem seen before it, so a signed-in
  connector never shows that state for an old note.

The last change and the last Test survive a restart of the app in `<state>/health.json` (fingerprints are hashes
of the entry, and a Test keeps only its headline, advice and steps: no secret, no server output).

`HealthMonitor` owns the watching: a `LaunchWatcher` for the status records and one thread of its own that reads
the log files when they grew (a stat per file per look; a few kilobytes read when they did), and the keyring's
sign-in of each `--oauth` connector at its first look, when its log grew, and every `SIGN_IN_RECHECK_S` (a sign-in
made in a terminal shows up by itself); the app tells it at once about a sign-in it made (`sign_in_seen`). It emits
`HealthChanged` events (plain Python, on its thread or the caller's); a Qt model marshals them onto the GUI thread.
`close()` is bounded and idempotent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plugboard.core.config.connectors import Connector
from plugboard.core.entries import LauncherEntry, ProxyEntry
from plugboard.core.files.atomic import write_atomic
from plugboard.core.launch.status import ConnectorStatus, RunState
from plugboard.core.launch.watch import LaunchChanged, LaunchWatcher
from plugboard.core.listeners import Listeners
from plugboard.core.logs.claude_desktop import MCP_LOG, ClaudeLogEntry, parse_lines, read_tail, server_log_path
from plugboard.core.logs.model import ERROR, stamped_lines
from plugboard.core.paths import PlugboardDirs, ensure_dir, plugboard_dirs
from plugboard.core.probe import verdict as vd
from plugboard.core.probe.doctor import says_refused
from plugboard.core.probe.verdict import Action, Code, Finding, Step, Verdict
from plugboard.core.tunnel.state import StateKind, TunnelState

if TYPE_CHECKING:
    from plugboard.core.bridge.oauth.session import StoredSignIn

_log = logging.getLogger(__name__)

# Log files are looked at every 2 s: a state change shows within a blink of Claude writing it, and a look is one
# stat per file when nothing grew.
POLL_S = 2.0
# The end of a log file read for health: the last few hundred lines, which hold the last start and its outcome.
HEALTH_TAIL_BYTES = 64 * 1024
# close() waits this long for the thread; a look takes milliseconds, so this only bounds a stuck disk.
JOIN_S = 2.0
# A server that quits within this many seconds of starting "stops as soon as it starts"; later, "stopped
# unexpectedly". Claude gives a server a minute to answer, but one that dies at start dies within a second or two.
EARLY_EXIT_S = 10.0
HEALTH_FILE = "health.json"
# The keyring's sign-in of an `--oauth` connector is looked at again this often (besides when its log grew): a
# sign-in made in a terminal (`plugboard login NAME`) shows within seconds, for one keyring read per connector.
SIGN_IN_RECHECK_S = 10.0


class HealthState(StrEnum):
    OFF = "off"  # switched off
    UNKNOWN = "unknown"  # nothing seen since the last change
    STARTED = "started"  # Claude started it; no handshake seen since the last change
    CHECKING = "checking"  # a Test runs now
    WORKING = "working"  # a real handshake since the last change, no failure after it
    WARNING = "warning"  # works as far as known, but something it needs is shaky (its tunnel reconnects)
    SIGN_IN = "sign-in"  # its remote server wants the person to sign in (again): no usable sign-in is kept
    FAILING = "failing"


LIGHT = {
    HealthState.OFF: "off",
    HealthState.UNKNOWN: "off",
    HealthState.STARTED: "off",
    HealthState.CHECKING: "busy",
    HealthState.WORKING: "ok",
    HealthState.WARNING: "warn",
    HealthState.SIGN_IN: "bad",
    HealthState.FAILING: "bad",
}

# What each light means, for the legend beside the list (light, words).
LEGEND = (
    ("ok", "Working: it answered Claude (or a Test) since it was last changed."),
    ("bad", "Not working: the line under its name says why, and Test or its buttons fix it."),
    ("warn", "Shaky: it worked, but something it needs (a tunnel) is reconnecting."),
    ("busy", "Being tested now."),
    ("off", "Not known yet: not started by Claude and not tested since the last change, or switched off."),
)


@dataclass(frozen=True)
class Health:
    name: str
    state: HealthState
    line: str
    """The plain-words line the row shows: "Working — 14 tools", "Can't start: Node.js is not installed"."""
    finding: Finding | None = None
    """What is wrong (or the last Test's finding), with the steps the app offers."""
    since: float | None = None

    @property
    def light(self) -> str:
        return LIGHT[self.state]


@dataclass(frozen=True)
class HealthChanged:
    name: str
    health: Health


@dataclass(frozen=True)
class Sighting:
    """One dated fact about a connector."""

    time: float
    source: str
    finding: Finding | None = None
    """A failure seen, or None."""
    handshake: bool = False
    started: bool = False
    tools: int | None = None


@dataclass
class _Known:
    """Everything the monitor knows about one connector."""

    connector: Connector
    fingerprint: str
    changed_at: float
    launch: LaunchChanged | None = None
    test: Sighting | None = None
    claude: list[Sighting] = field(default_factory=list)
    bridge: list[Sighting] = field(default_factory=list)
    checking: bool = False
    health: Health | None = None
    sign_in: StoredSignIn | None = None
    """What the keyring holds for an `--oauth` connector's sign-in; None: not looked yet, or cannot tell."""
    sign_in_looked: float | None = None
    """When the keyring was last looked at for it (monotonic); None: never, for this entry."""
    sign_in_wanted: bool = False
    """Look at the keyring at the next poll whatever the time (the log grew, the app asked)."""


def fingerprint(entry: dict[str, Any]) -> str:
    """A one-way fingerprint of an entry's content: a change of any byte that matters changes it."""
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def secret_keys(connector: Connector) -> list[str]:
    parsed = connector.parsed
    if isinstance(parsed, LauncherEntry | ProxyEntry):
        return list(parsed.secrets)
    return []


def tunnel_profile(connector: Connector) -> str | None:
    parsed = connector.parsed
    return parsed.ssh if isinstance(parsed, ProxyEntry) else None


def signs_in(connector: Connector) -> ProxyEntry | None:
    """The entry of a remote connector that signs in with OAuth (`--oauth`), else None."""
    parsed = connector.parsed
    return parsed if isinstance(parsed, ProxyEntry) and parsed.oauth else None


def _about_sign_in(finding: Finding | None) -> bool:
    """A problem only signing in solves (the finding offers the Sign in step)."""
    return finding is not None and any(step.action is Action.SIGN_IN for step in finding.steps)


# -- reading the witnesses ---------------------------------------------------------------------------------------


def launch_sightings(connector: Connector, record: ConnectorStatus | None, state: RunState | None) -> list[Sighting]:
    """What a launcher's (or bridge's) status record says."""
    if record is None or state is None:
        return []
    started = record.started or 0.0
    ended = record.ended or started
    keys = secret_keys(connector)
    if state is RunState.RUNNING:
        return [Sighting(started, "launcher", started=True)]
    if state is RunState.FAILED:
        reason = record.reason or ""
        if reason.startswith("missing secret"):
            names = reason.removeprefix("missing secrets").removeprefix("missing secret").replace(",", " ").split()
            finding = vd.needs_secret(names or keys)
        elif reason.startswith("command not found"):
            finding = vd.not_installed(reason.split(":", 1)[-1].strip())
        elif reason.startswith("keyring unavailable"):
            finding = vd.from_diagnosis(_keyring_problem(), _empty_report(connector), keys)
        elif isinstance(connector.parsed, ProxyEntry):
            finding = vd.remote_problem(reason, keys)
        else:
            finding = vd.stops_at_start(record.stderr_tail or [reason])
        return [Sighting(ended, "launcher", finding)]
    if state is RunState.CRASHED or (state is RunState.EXITED and record.exit_code not in (0, None)):
        tail = record.stderr_tail
        if keys and says_refused(" ".join(tail)):
            finding = vd.secret_refused(keys, next((t for t in reversed(tail) if says_refused(t)), ""))
        elif ended - started < EARLY_EXIT_S:
            finding = vd.stops_at_start(tail)
        else:
            finding = vd.stopped_unexpectedly(tail)
        return [Sighting(ended, "launcher", finding)]
    return []  # exited 0 or stopped: Claude ended it, which says nothing about whether it works


def _keyring_problem() -> Any:
    from plugboard.core.probe.diagnosis import Diagnosis
    from plugboard.core.probe.supervisor import ReasonKind

    return Diagnosis(ReasonKind.KEYRING_UNAVAILABLE, "", "")


def _empty_report(connector: Connector) -> Any:
    from plugboard.core.probe.doctor import DoctorReport

    return DoctorReport(name=connector.name, command=[connector.command, *connector.args])


def _server_message(text: str) -> dict[str, Any] | None:
    """The JSON of a "Message from server: {...}" line of Claude's log, or None."""
    marker = "Message from server:"
    at = text.find(marker)
    if at < 0:
        return None
    with contextlib.suppress(ValueError):
        message = json.loads(text[at + len(marker) :].strip())
        return message if isinstance(message, dict) else None
    return None


def claude_sightings(entries: Iterable[ClaudeLogEntry]) -> list[Sighting]:
    """What Claude Desktop's log of one connector says: its starts, the server's handshake answers, failures."""
    found: list[Sighting] = []
    for entry in entries:
        when = entry.time or 0.0
        text = entry.text
        message = _server_message(text)
        if message is not None:
            result = message.get("result")
            if isinstance(result, dict) and ("serverInfo" in result or "protocolVersion" in result):
                found.append(Sighting(when, "claude", handshake=True))
            elif isinstance(result, dict) and isinstance(result.get("tools"), list):
                found.append(Sighting(when, "claude", handshake=True, tools=len(result["tools"])))
            continue
        finding = vd.from_claude_log(text)
        if finding is None and entry.level == ERROR:
            finding = Finding(
                Code.CLAUDE_PROBLEM,
                "Claude Desktop reported a problem with it",
                "Claude Desktop wrote an error about this connector in its log.",
                (Step(Action.OPEN_LOG, "Open the log"), Step(Action.TEST, "Test it")),
                (f"Claude Desktop wrote: {text[:300]}",),
            )
        if finding is not None:
            found.append(Sighting(when, "claude", finding))
        elif "server started and connected" in text.lower() or "initializing server" in text.lower():
            found.append(Sighting(when, "claude", started=True))
    return found


def bridge_sightings(connector: Connector, raw: bytes) -> list[Sighting]:
    """What the bridge noted in Plugboard's connector log (only a `plugboard proxy` entry writes such notes)."""
    if not isinstance(connector.parsed, ProxyEntry):
        return []
    keys = secret_keys(connector)
    found: list[Sighting] = []
    for line in stamped_lines(raw.splitlines(), "launcher"):
        if line.stream != "plugboard":
            continue
        if line.text.startswith("initialized:"):
            found.append(Sighting(line.time, "bridge", handshake=True))
        elif line.level == ERROR:
            found.append(Sighting(line.time, "bridge", vd.remote_problem(line.text, keys)))
    return found


def read_claude_log(logs_dir: Path | None, name: str, max_bytes: int = HEALTH_TAIL_BYTES) -> list[ClaudeLogEntry]:
    if logs_dir is None:
        return []
    mcp = logs_dir / MCP_LOG
    entries = [e for e in parse_lines(read_tail(mcp, max_bytes), mcp) if e.server == name]
    own = server_log_path(logs_dir, name)
    entries += parse_lines(read_tail(own, max_bytes), own, default_server=name)
    entries.sort(key=lambda e: e.time or 0.0)
    return entries


# -- the rules ---------------------------------------------------------------------------------------------------


def tunnel_trouble(state: TunnelState | None) -> str | None:
    """Plain words for a tunnel that is not up (None when it is up or unknown)."""
    if state is None or state.kind in (StateKind.UP, StateKind.IDLE):
        return None
    return vd.tunnel_words(f"tunnel {state.describe()}")


def assess(
    connector: Connector,
    sightings: Sequence[Sighting],
    *,
    changed_at: float = 0.0,
    checking: bool = False,
    tunnel: TunnelState | None = None,
    sign_in: StoredSignIn | None = None,
) -> Health:
    """The connector's health from what was seen since `changed_at` (see the module docstring for the rules);
    `sign_in` is what the keyring holds for an `--oauth` connector (None: not known)."""
    name = connector.name
    if checking:
        return Health(name, HealthState.CHECKING, "Testing…")
    if not connector.enabled:
        return Health(name, HealthState.OFF, "Switched off")
    problem = connector.problem
    if problem is not None:
        # Nothing Claude or a Test sees can change this: the entry itself names no program to start.
        cannot = vd.not_startable(problem, connector.address)
        return Health(name, HealthState.FAILING, cannot.headline, cannot)
    seen = [s for s in sightings if s.time >= changed_at]
    if sign_in is not None and sign_in.usable:
        # Signed in (or renewed) since: what said "sign in" before that is answered.
        seen = [s for s in seen if not (_about_sign_in(s.finding) and s.time < (sign_in.since or 0.0))]
    elif sign_in is not None and signs_in(connector) is not None:
        said = [s for s in seen if s.finding is not None and s.finding.code is Code.SIGN_IN]
        newest = max(said, key=lambda s: s.time, default=None)
        asked = newest.finding if newest is not None and newest.finding else vd.sign_in_needed(sign_in.host)
        return Health(name, HealthState.SIGN_IN, asked.headline, asked, newest.time if newest else None)
    failures = [s for s in seen if s.finding is not None and not s.finding.ok]
    handshakes = [s for s in seen if s.handshake]
    failure = max(failures, key=lambda s: s.time, default=None)
    handshake = max(handshakes, key=lambda s: s.time, default=None)
    trouble = tunnel_trouble(tunnel)
    if failure is not None and (handshake is None or failure.time >= handshake.time):
        finding = failure.finding
        assert finding is not None
        if finding.code is Code.UNREACHABLE and trouble and ":" not in finding.headline:
            finding = replace(finding, headline=f"{finding.headline}: {trouble}")
        state = HealthState.SIGN_IN if finding.code is Code.SIGN_IN else HealthState.FAILING
        return Health(name, state, finding.headline, finding, failure.time)
    if handshake is not None:
        tools = next((s.tools for s in sorted(handshakes, key=lambda s: -s.time) if s.tools is not None), None)
        working = next((s.finding for s in sorted(handshakes, key=lambda s: -s.time) if s.finding), None)
        working = working or vd.working(tools)
        if trouble:
            line = f"Worked, but {trouble}"
            return Health(name, HealthState.WARNING, line, working, handshake.time)
        return Health(name, HealthState.WORKING, vd.working(tools).headline, working, handshake.time)
    if trouble:
        return Health(name, HealthState.WARNING, f"Waiting for its server: {trouble}")
    starts = [s for s in seen if s.started]
    if starts:
        return Health(name, HealthState.STARTED, "Started by Claude — not tested yet", None, starts[-1].time)
    return Health(name, HealthState.UNKNOWN, "Not started by Claude yet")


# -- the monitor -------------------------------------------------------------------------------------------------

Listener = Callable[[HealthChanged], None]


class HealthMonitor:
    """Follows the health of a set of connectors; `subscribe` for `HealthChanged` events."""

    def __init__(
        self,
        logs_dir: Path | None = None,
        dirs: PlugboardDirs | None = None,
        *,
        poll_s: float = POLL_S,
        launch_poll_s: float | None = None,
    ) -> None:
        self.logs_dir = logs_dir
        self.dirs = dirs or plugboard_dirs()
        self.poll_s = poll_s
        self._lock = threading.RLock()
        self._known: dict[str, _Known] = {}
        self._tunnels: dict[str, TunnelState] = {}
        self._listeners: Listeners[[HealthChanged]] = Listeners("connector health", _log)
        self._sizes: dict[Path, tuple[int, int]] = {}
        self._looked: set[str] = set()
        """Connectors whose logs were read at least once (after that, only when a file grew)."""
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._dirty = False
        self._saved = self._load()
        options = {} if launch_poll_s is None else {"poll_s": launch_poll_s}
        self.launches = LaunchWatcher((), self.dirs, **options)
        self.launches.subscribe(self._launch_changed)

    # -- subscribing ---------------------------------------------------------------------------------------------

    def subscribe(self, callback: Listener) -> Callable[[], None]:
        return self._listeners.subscribe(callback)

    def _emit(self, events: list[HealthChanged]) -> None:
        for event in events:
            self._listeners.emit(event)

    # -- what to follow ------------------------------------------------------------------------------------------

    def track(self, connectors: Iterable[Connector]) -> list[Health]:
        """Follow these connectors (the list as the app shows it now); returns their health at once."""
        now = time.time()
        events: list[HealthChanged] = []
        with self._lock:
            fresh: dict[str, _Known] = {}
            for connector in connectors:
                print_ = fingerprint(connector.entry)
                known = self._known.get(connector.name)
                if known is None:
                    saved = self._saved.get(connector.name, {})
                    if saved.get("fingerprint") == print_:
                        known = _Known(connector, print_, float(saved.get("changed_at", 0.0)))
                        known.test = _test_from_json(saved.get("test"))
                    else:
                        # Never seen, or changed while the app was closed: what was seen before says nothing.
                        changed = 0.0 if not saved else now
                        known = _Known(connector, print_, changed)
                        self._dirty = True
                elif known.fingerprint != print_:
                    known = _Known(connector, print_, now, claude=known.claude, bridge=known.bridge)
                    known.launch = None
                    self._dirty = True
                else:
                    known.connector = connector
                fresh[connector.name] = known
            self._known = fresh
            for known in fresh.values():
                event = self._reassess(known)
                if event is not None:
                    events.append(event)
            healths = [k.health for k in fresh.values() if k.health is not None]
        self.launches.watch(c.connector.name for c in fresh.values() if c.connector.via_plugboard is not None)
        self._wake.set()
        self._emit(events)
        return healths

    def health(self, name: str) -> Health | None:
        with self._lock:
            known = self._known.get(name)
            return known.health if known else None

    # -- what the app tells us -----------------------------------------------------------------------------------

    def set_checking(self, name: str, checking: bool) -> None:
        self._update(name, lambda k: setattr(k, "checking", checking))

    def record_test(self, result: Verdict) -> None:
        """A Test's verdict: a handshake when it worked, its finding when it did not."""
        sighting = Sighting(
            result.time,
            "test",
            finding=result.finding,
            handshake=result.ok,
            tools=result.tools,
        )

        def change(known: _Known) -> None:
            known.test = sighting
            known.checking = False
            self._dirty = True

        self._update(result.name, change)
        self._wake.set()

    def sign_in_seen(self, name: str, stored: StoredSignIn | None) -> None:
        """What the keyring holds for `name`'s sign-in, read by the app right after it signed in (on its worker)."""

        def change(known: _Known) -> None:
            known.sign_in = stored
            known.sign_in_looked = time.monotonic()

        self._update(name, change)

    def recheck_sign_in(self, name: str) -> None:
        """Look at `name`'s sign-in in the keyring at the next poll (on the monitor's thread), and poll now."""
        self._update(name, lambda known: setattr(known, "sign_in_wanted", True))
        self._wake.set()

    def tunnel_changed(self, profile: str, state: TunnelState) -> None:
        """A live tunnel's state (the app's `TunnelSet` events); affects remote connectors using `profile`."""
        with self._lock:
            self._tunnels[profile] = state
            names = [n for n, k in self._known.items() if tunnel_profile(k.connector) == profile]
        for name in names:
            self._update(name, lambda _k: None)

    def _update(self, name: str, change: Callable[[_Known], None]) -> None:
        with self._lock:
            known = self._known.get(name)
            if known is None:
                return
            change(known)
            event = self._reassess(known)
        if event is not None:
            self._emit([event])

    def _launch_changed(self, event: LaunchChanged) -> None:
        self._update(event.name, lambda k: setattr(k, "launch", event))

    # -- assessing -----------------------------------------------------------------------------------------------

    def _sightings(self, known: _Known) -> list[Sighting]:
        found = [*known.claude, *known.bridge]
        if known.test is not None:
            found.append(known.test)
        if known.launch is not None:
            found += launch_sightings(known.connector, known.launch.record, known.launch.state)
        return found

    def _tunnel_state(self, known: _Known) -> TunnelState | None:
        profile = tunnel_profile(known.connector)
        return self._tunnels.get(profile) if profile else None

    def _reassess(self, known: _Known) -> HealthChanged | None:
        health = assess(
            known.connector,
            self._sightings(known),
            changed_at=known.changed_at,
            checking=known.checking,
            tunnel=self._tunnel_state(known),
            sign_in=known.sign_in,
        )
        if health == known.health:
            return None
        known.health = health
        return HealthChanged(known.connector.name, health)

    # -- looking at the files ------------------------------------------------------------------------------------

    def _grew(self, path: Path) -> bool:
        try:
            stat = path.stat()
        except OSError:
            return self._sizes.pop(path, None) is not None
        key = (stat.st_size, stat.st_mtime_ns)
        if self._sizes.get(path) == key:
            return False
        self._sizes[path] = key
        return True

    def poll(self) -> None:
        """Look at the logs once (on the monitor's thread, or a test's)."""
        with self._lock:
            known = list(self._known.values())
        mcp_grew = self.logs_dir is not None and self._grew(self.logs_dir / MCP_LOG)
        for item in known:
            name = item.connector.name
            claude = None
            if self.logs_dir is not None:
                own = server_log_path(self.logs_dir, name)
                if self._grew(own) or mcp_grew or name not in self._looked:
                    claude = claude_sightings(read_claude_log(self.logs_dir, name))
            bridge = None
            if isinstance(item.connector.parsed, ProxyEntry):
                path = self.dirs.connector_log(name)
                if self._grew(path):
                    bridge = bridge_sightings(item.connector, read_tail(path, HEALTH_TAIL_BYTES))
                profile = tunnel_profile(item.connector)
                if profile and profile not in self._tunnels:
                    self._tunnel_from_record(profile)
            looked, stored = self._look_at_sign_in(item, grew=bridge is not None)

            def change(
                k: _Known,
                *,
                claude: list[Sighting] | None = claude,
                bridge: list[Sighting] | None = bridge,
                looked: float | None = looked,
                stored: StoredSignIn | None = stored,
                entry_print: str = item.fingerprint,
            ) -> None:
                if claude is not None:
                    k.claude = claude
                if bridge is not None:
                    k.bridge = bridge
                if looked is not None and k.fingerprint == entry_print:
                    k.sign_in, k.sign_in_looked, k.sign_in_wanted = stored, looked, False

            if claude is not None or bridge is not None or looked is not None:
                self._update(name, change)
            self._looked.add(name)
        if self._dirty:
            self._save()

    def _look_at_sign_in(self, known: _Known, *, grew: bool) -> tuple[float | None, StoredSignIn | None]:
        """(when, what) the keyring holds for an `--oauth` connector's sign-in, when it is time to look; (None,
        None) when it is not. A keyring that cannot be read now is not asked again on a timer (a locked one may
        ask the person to unlock it): only when the log grew, the entry changed or the app asked."""
        entry = signs_in(known.connector)
        if entry is None or not known.connector.enabled:
            return None, None
        now = time.monotonic()
        last = known.sign_in_looked
        due = last is None or grew or known.sign_in_wanted
        if not due and known.sign_in is not None and last is not None:
            due = now - last >= SIGN_IN_RECHECK_S
        if not due:
            return None, None
        from plugboard.core.bridge.oauth.session import stored_sign_in
        from plugboard.core.bridge.oauth.store import CredentialStore

        return now, stored_sign_in(entry, store=CredentialStore(entry.url, dirs=self.dirs))

    def _tunnel_from_record(self, profile: str) -> None:
        from plugboard.core.tunnel.runfile import read_record

        record = read_record(profile, self.dirs)
        if record is None:
            return
        with contextlib.suppress(TypeError, ValueError, KeyError):
            state = record.state
            self.tunnel_changed(profile, TunnelState(StateKind(state["state"]), int(state.get("attempt", 0))))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # a broken look must not end the watching
                _log.exception("health poll failed")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def start(self) -> None:
        self.launches.start()
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="plugboard-health", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop watching; bounded and idempotent."""
        self._stop.set()
        self._wake.set()
        self.launches.close()
        if self._thread is not None:
            self._thread.join(JOIN_S)
        with contextlib.suppress(OSError):
            if self._dirty:
                self._save()

    # -- the file that survives a restart ------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self.dirs.state / HEALTH_FILE

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}

    def _save(self) -> None:
        with self._lock:
            self._dirty = False
            data = dict(self._saved)
            for name, known in self._known.items():
                data[name] = {
                    "fingerprint": known.fingerprint,
                    "changed_at": known.changed_at,
                    "test": _test_to_json(known.test),
                }
            self._saved = data
        ensure_dir(self.path.parent)
        write_atomic(self.path, (json.dumps(data, indent=1) + "\n").encode("utf-8"), mode=0o600)


def _test_to_json(sighting: Sighting | None) -> dict[str, Any] | None:
    if sighting is None or sighting.finding is None:
        return None
    finding = sighting.finding
    return {
        "time": sighting.time,
        "handshake": sighting.handshake,
        "tools": sighting.tools,
        "code": finding.code,
        "headline": finding.headline,
        "advice": finding.advice,
        "steps": [[s.action, s.label, s.target] for s in finding.steps],
    }


def _test_from_json(data: Any) -> Sighting | None:
    if not isinstance(data, dict):
        return None
    with contextlib.suppress(KeyError, TypeError, ValueError):
        finding = Finding(
            Code(data["code"]),
            str(data["headline"]),
            str(data.get("advice", "")),
            tuple(Step(Action(a), str(label), str(target)) for a, label, target in data.get("steps", [])),
        )
        return Sighting(
            float(data["time"]), "test", finding, handshake=bool(data.get("handshake")), tools=data.get("tools")
        )
    return None


__all__ = [
    "LEGEND",
    "Health",
    "HealthChanged",
    "HealthMonitor",
    "HealthState",
    "Sighting",
    "assess",
]
