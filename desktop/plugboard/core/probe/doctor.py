"""`plugboard doctor`: start one connector in isolation, talk MCP to it, and say plainly what works and what not.

For a connector (`examine`): check the entry's own rules (`diagnosis.check_entry`), start the server with a
`Supervisor` (the launcher's secret and command resolution, working directory `/` as Claude may use), wait for
the initialize answer, list tools, resources, resource templates and prompts (each only if the server
advertised it, following `nextCursor` pages), ping, and stop it. The report carries the server's name and
version, the negotiated protocol version, names and counts, timings in milliseconds, every `Diagnosis`, the
last stderr lines, and the last error Claude Desktop itself logged for the connector (`logs.claude_desktop`).

`ok` means: the server became ready and no problem was found. A server that works but prints to stdout is not
ok (Claude shows errors for it).

A server that starts and lists its tools has not yet shown that its credentials work (a search server with a fake
key still offers its tools). So `examine` may be given a `CheckCall`: one harmless, read-only tool call that needs
the credentials (the catalog names it per server, `clients.catalog.CatalogItem.check`). A call the server answers
with an error is a problem: `credentials-refused` when its words say the key or token was refused (401, 403,
"unauthorized", "invalid api key", ...), `check-failed` otherwise.

Listing answers are checked against the SDK's result models (`mcp_types`); an answer that does not validate is a
problem of its own ("invalid-answer"), not a crash of doctor.
"""

from __future__ import annotations

import platform
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugboard.core import install
from plugboard.core.config.connectors import Connector
from plugboard.core.config.form import ConnectorForm
from plugboard.core.config.relink import Link
from plugboard.core.errors import PlugboardError
from plugboard.core.logs.claude_desktop import ClaudeLogEntry, last_error
from plugboard.core.logs.model import iso_time
from plugboard.core.probe import diagnosis as dx
from plugboard.core.probe import supervisor as sv

# A server that keeps handing out cursors is broken; 100 pages is far beyond any real listing.
MAX_PAGES = 100
# Doctor waits as long as Claude does for the first answer (supervisor.INITIALIZE_TIMEOUT_S explains 60 s); the
# CLI lets users shorten it with --timeout.
DOCTOR_INITIALIZE_TIMEOUT_S = sv.INITIALIZE_TIMEOUT_S
# A bit more than the supervisor needs to give up on its own, so the supervisor, not this wait, reports it.
SETTLE_MARGIN_S = 5.0
# How often a cancellable examination looks at its cancel flag while the server starts (an app closing mid-Test
# should not wait for a minute-long start): a fifth of a second is not noticed by anyone.
CANCEL_POLL_S = 0.2

# The credential check is one small read-only call; a real API answers in a second or two, 30 s allows a slow one.
CHECK_TIMEOUT_S = 30.0
# Words with which servers and APIs say that a key or token was not accepted (matched case-insensitively).
_REFUSED_RE = re.compile(
    r"\b(401|403)\b|unauthori[sz]ed|forbidden|invalid[ _-]?(api[ _-]?)?(key|token|credential)|bad credentials|"
    r"(token|key|credential)s? (is |was |are )?(invalid|expired|revoked|not valid|rejected|refused)|"
    r"authenticat\w* (failed|error|required)|not authenticated|access denied|permission denied",
    re.IGNORECASE,
)


def says_refused(text: str) -> bool:
    """Whether `text` (an API's error, a server's last lines) says that a key or token was not accepted."""
    return _REFUSED_RE.search(text) is not None


@dataclass(frozen=True)
class CheckCall:
    """A harmless read-only tool call that proves a server's credentials (the catalog's `check`)."""

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckOutcome:
    tool: str
    ok: bool
    text: str = ""
    """What the server answered when it failed (its own words, first line), else empty."""


# (capability, method, result key, mcp_types model name, report field, what to show of an item)
_LISTINGS = (
    ("tools", "tools/list", "tools", "ListToolsResult", "tools", "name"),
    ("resources", "resources/list", "resources", "ListResourcesResult", "resources", "uri"),
    (
        "resources",
        "resources/templates/list",
        "resourceTemplates",
        "ListResourceTemplatesResult",
        "templates",
        "uriTemplate",
    ),
    ("prompts", "prompts/list", "prompts", "ListPromptsResult", "prompts", "name"),
)


@dataclass
class DoctorReport:
    name: str
    command: list[str]
    ok: bool = False
    state: sv.ServerState = sv.ServerState.IDLE
    reason: sv.Reason = field(default_factory=lambda: sv.Reason(sv.ReasonKind.IDLE, "not started"))
    server_name: str | None = None
    server_version: str | None = None
    protocol_version: str | None = None
    tools: list[str] | None = None  # None: not offered by the server
    resources: list[str] | None = None
    templates: list[str] | None = None
    prompts: list[str] | None = None
    ping_ok: bool | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    problems: list[dx.Diagnosis] = field(default_factory=list)
    stderr_tail: list[str] = field(default_factory=list)
    claude_last_error: ClaudeLogEntry | None = None
    check: CheckOutcome | None = None
    """The credential check's outcome, when one was asked for and the server got that far."""

    def to_json(self) -> dict[str, Any]:
        error = self.claude_last_error
        out: dict[str, Any] = {
            "name": self.name,
            "ok": self.ok,
            "command": self.command,
            "state": self.state,
            "reason": self.reason.to_json(),
            "server": {"name": self.server_name, "version": self.server_version},
            "protocol_version": self.protocol_version,
            "tools": _listing_json(self.tools),
            "resources": _listing_json(self.resources),
            "resource_templates": _listing_json(self.templates),
            "prompts": _listing_json(self.prompts),
            "ping": self.ping_ok,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "problems": [p.to_json() for p in self.problems],
            "stderr_tail": self.stderr_tail,
            "claude_last_error": None
            if error is None
            else {
                "time": iso_time(error.time) if error.time else None,
                "text": error.text,
                "file": str(error.file),
                "diagnosis": dx.diagnose_claude_error(error).to_json(),
            },
        }
        if self.check is not None:  # only when a check was asked for: the plain report's keys stay as they were
            out["credential_check"] = {"tool": self.check.tool, "ok": self.check.ok, "text": self.check.text}
        return out


def _listing_json(names: list[str] | None) -> dict[str, Any] | None:
    return None if names is None else {"count": len(names), "names": names}


def _ms(seconds: float) -> float:
    return seconds * 1000.0


def list_all(supervisor: sv.Supervisor, method: str, key: str, model: str, show: str) -> list[str]:
    """Every item of a paginated listing (following `nextCursor`), as the `show` field of each."""
    import mcp_types

    validator = getattr(mcp_types, model)
    names: list[str] = []
    cursor: str | None = None
    seen: set[str] = set()
    for _page in range(MAX_PAGES):
        result = supervisor.request(method, {"cursor": cursor} if cursor else None)
        validator.model_validate(result)
        names += [str(item.get(show, "?")) for item in result.get(key, []) if isinstance(item, dict)]
        cursor = result.get("nextCursor") or None
        if cursor is None or cursor in seen:
            break
        seen.add(cursor)
    return names


def server_spec(connector: Connector) -> sv.ServerSpec:
    """The `ServerSpec` to start for a connector, as Claude (through the launcher, if used) would."""
    command, *args = connector.server_command
    return sv.ServerSpec(connector.name, command, args, secrets=connector.secret_keys, env=connector.env)


def examine_connector(
    connector: Connector,
    *,
    logs_dir: Path | None = None,
    initialize_timeout_s: float = DOCTOR_INITIALIZE_TIMEOUT_S,
    check: CheckCall | None = None,
    cancel: threading.Event | None = None,
) -> DoctorReport:
    """`examine` a connector of Claude's config as Claude would start it. The server itself is started with this
    install's launcher; whether the `plugboard` the entry names still leads anywhere is checked from the entry."""
    report = examine(
        server_spec(connector),
        entry_command=[connector.command, *connector.args],
        via_plugboard=connector.via_plugboard,
        logs_dir=logs_dir,
        initialize_timeout_s=initialize_timeout_s,
        check=check,
        cancel=cancel,
    )
    if connector.problem is not None:
        report.problems.insert(0, dx.not_startable(connector.problem, connector.address))
        report.ok = False
    if connector.via_plugboard:
        link = Link(connector.name, connector.enabled, connector.command, install.link_state(connector.command))
        if link.stale:
            report.problems.insert(0, dx.stale_plugboard(link.explain(), link.state == "missing"))
            report.ok = False
    return report


def examine_form(
    form: ConnectorForm, *, initialize_timeout_s: float | None = None, check: CheckCall | None = None
) -> DoctorReport:
    """`examine` the connector form as it is, before it is saved: typed secret values are used before the keyring's."""
    from plugboard.core.secrets import keyring as secrets

    typed = {v.key: v.value for v in form.env if v.secret and v.value}

    def get_secret(connector: str, key: str) -> str | None:
        return typed.get(key) or secrets.get_secret(connector, key)

    plain = {v.key: v.value for v in form.env if not v.secret}
    spec = sv.ServerSpec(form.name or "new", form.command, list(form.args), secrets=form.secret_keys, env=plain)
    options: dict[str, Any] = {} if initialize_timeout_s is None else {"initialize_timeout_s": initialize_timeout_s}
    return examine(spec, get_secret=get_secret, check=check, **options)


def examine(
    spec: sv.ServerSpec,
    *,
    entry_command: list[str] | None = None,
    via_plugboard: str | None = None,
    logs_dir: Path | None = None,
    system: str | None = None,
    initialize_timeout_s: float = DOCTOR_INITIALIZE_TIMEOUT_S,
    get_secret: Callable[[str, str], str | None] | None = None,
    stdin_grace_s: float | None = None,
    check: CheckCall | None = None,
    cancel: threading.Event | None = None,
) -> DoctorReport:
    """Start `spec` in isolation, probe it, stop it; `entry_command` is the entry as written (for rule checks).
    `cancel` set while the server starts stops the examination early (the app is closing)."""
    system = system or platform.system()
    written = entry_command or spec.argv
    report = DoctorReport(name=spec.name, command=list(written))
    report.problems += dx.check_entry(written[0], written[1:], system=system, via_plugboard=via_plugboard)
    extra: dict[str, Any] = {} if stdin_grace_s is None else {"stdin_grace_s": stdin_grace_s}
    supervisor = sv.Supervisor(spec, initialize_timeout_s=initialize_timeout_s, get_secret=get_secret, **extra)
    started = time.monotonic()
    try:
        supervisor.start()
        if cancel is None:
            supervisor.wait_settled(initialize_timeout_s + SETTLE_MARGIN_S)
        else:
            deadline = time.monotonic() + initialize_timeout_s + SETTLE_MARGIN_S
            while not cancel.is_set() and time.monotonic() < deadline:
                if supervisor.wait_settled(min(CANCEL_POLL_S, max(0.0, deadline - time.monotonic()))):
                    break
        report.timings_ms["start"] = _ms(time.monotonic() - started)
        run = supervisor.run
        if supervisor.state is sv.ServerState.READY and run is not None:
            report.timings_ms["initialize"] = _ms(run.ready_after_s or 0.0)
            _probe(supervisor, run, report)
            if check is not None and supervisor.state is sv.ServerState.READY and not (cancel and cancel.is_set()):
                _check(supervisor, check, report)
    finally:
        stopping = time.monotonic()
        supervisor.stop()
        report.timings_ms["shutdown"] = _ms(time.monotonic() - stopping)
        report.timings_ms["total"] = _ms(time.monotonic() - started)
    run = supervisor.run
    # The reason that explains the run: READY's if it got there (a later "stopped" is ours), else the final one.
    reason = supervisor.reason
    ready_seen = run is not None and run.ready_after_s is not None
    if ready_seen and reason.kind is sv.ReasonKind.STOP_REQUESTED:
        report.state = sv.ServerState.READY
        report.reason = sv.Reason(sv.ReasonKind.INITIALIZED, "the server answered initialize (stopped again by doctor)")
    else:
        report.state, report.reason = supervisor.state, reason
    if run is not None:
        report.stderr_tail = list(run.stderr_tail)
        if run.argv:
            report.problems += dx.check_gui_path(written[0], run.argv[0], system=system, via_plugboard=via_plugboard)
    failure = reason if not ready_seen else sv.Reason(sv.ReasonKind.INITIALIZED, "")
    report.problems += dx.diagnose(failure, run, spec)
    error = last_error(logs_dir, spec.name)
    if error is not None:
        report.claude_last_error = error
    report.ok = ready_seen and not report.problems
    return report


def _probe(supervisor: sv.Supervisor, run: sv.RunInfo, report: DoctorReport) -> None:
    info = run.server_info
    report.server_name = str(info["name"]) if info.get("name") else None
    report.server_version = str(info["version"]) if info.get("version") else None
    report.protocol_version = run.protocol_version
    capabilities = run.capabilities
    for capability, method, key, model, attribute, show in _LISTINGS:
        if capability not in capabilities:
            continue
        began = time.monotonic()
        try:
            names = list_all(supervisor, method, key, model, show)
        except sv.RequestError as exc:
            if method == "resources/templates/list" and exc.code == -32601:
                continue  # optional even for servers that offer resources
            report.problems.append(_invalid(method, str(exc)))
            continue
        except sv.RequestTimeout as exc:
            report.problems.append(_invalid(method, str(exc)))
            continue
        except sv.ServerGone as exc:
            report.problems.append(_invalid(method, str(exc)))
            return
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            report.problems.append(_invalid(method, str(exc).splitlines()[0]))
            continue
        setattr(report, attribute, names)
        report.timings_ms[attribute] = _ms(time.monotonic() - began)
    began = time.monotonic()
    try:
        supervisor.request("ping")
        report.ping_ok = True
    except PlugboardError as exc:
        report.ping_ok = False
        report.problems.append(_invalid("ping", str(exc)))
    report.timings_ms["ping"] = _ms(time.monotonic() - began)


def _check(supervisor: sv.Supervisor, check: CheckCall, report: DoctorReport) -> None:
    """Run the credential check; an error answer is a problem that names what the server said. A server that does
    not offer the tool (another version than the catalog knows) is not checked rather than called broken."""
    if report.tools is None or check.tool not in report.tools:
        return
    began = time.monotonic()
    text = ""
    try:
        result = supervisor.request(
            "tools/call", {"name": check.tool, "arguments": dict(check.arguments)}, timeout=CHECK_TIMEOUT_S
        )
        if result.get("isError"):
            parts = [str(c.get("text", "")) for c in result.get("content", []) if isinstance(c, dict)]
            text = " ".join(p for p in parts if p).strip() or "the server reported an error"
    except sv.RequestError as exc:
        text = exc.message or str(exc)
    except (sv.RequestTimeout, sv.ServerGone) as exc:
        text = str(exc)
    report.timings_ms["check"] = _ms(time.monotonic() - began)
    first = text.strip().splitlines()[0][:200] if text.strip() else ""
    report.check = CheckOutcome(check.tool, not text, first)
    if not text:
        return
    if says_refused(text):
        report.problems.append(
            dx.Diagnosis(
                dx.DiagnosisCode.CREDENTIALS_REFUSED,
                f"The server starts, but its service refused the credentials ({check.tool}: {first}).",
                "Store a valid key or token for this connector and test it again.",
                evidence=[f"{check.tool}: {first}"],
            )
        )
    else:
        report.problems.append(
            dx.Diagnosis(
                dx.DiagnosisCode.CHECK_FAILED,
                f"The server starts, but its check call {check.tool} failed: {first}",
                "Read what the server said below; the service may be down or the settings wrong.",
                evidence=[f"{check.tool}: {first}"],
            )
        )


def _invalid(method: str, text: str) -> dx.Diagnosis:
    return dx.Diagnosis(
        dx.DiagnosisCode.INVALID_ANSWER,
        f"The server did not give a usable answer to {method}.",
        "Update the server, or report this to its authors with the details below.",
        evidence=[text],
    )


def render(report: DoctorReport) -> str:
    """The human form `plugboard doctor` prints."""
    lines = [f"{report.name}: {'OK' if report.ok else 'PROBLEMS FOUND'}"]
    lines.append(f"  command: {' '.join(report.command)}")
    if report.server_name or report.protocol_version:
        who = " ".join(x for x in (report.server_name, report.server_version) if x) or "(unnamed)"
        lines.append(f"  server: {who}, protocol {report.protocol_version}")
    else:
        lines.append(f"  state: {report.state} ({dx.without_doctor_hint(report.reason.text)})")
    for label, names in (
        ("tools", report.tools),
        ("resources", report.resources),
        ("resource templates", report.templates),
        ("prompts", report.prompts),
    ):
        if names is not None:
            shown = ", ".join(names[:20]) + (f", … ({len(names) - 20} more)" if len(names) > 20 else "")
            shown = shown or "(none)"
            lines.append(f"  {label} ({len(names)}): {shown}")
    if report.ping_ok is not None:
        lines.append(f"  ping: {'answered' if report.ping_ok else 'no answer'}")
    if report.check is not None:
        lines.append(f"  credential check ({report.check.tool}): {'passed' if report.check.ok else 'failed'}")
    if report.timings_ms:
        lines.append("  timings: " + ", ".join(f"{k} {v:.0f} ms" for k, v in report.timings_ms.items()))
    for problem in report.problems:
        lines.append(f"  problem: {problem.summary}")
        lines.append(f"    what to do: {problem.fix}")
        lines += [f"    | {line}" for line in problem.evidence]
    error = report.claude_last_error
    if error is not None:
        stamp = iso_time(error.time) if error.time else "?"
        lines.append(f"  last error in Claude Desktop's log ({stamp}): {error.text}")
        explained = dx.diagnose_claude_error(error)
        lines.append(f"    {explained.summary} {explained.fix}")
    return "\n".join(lines)
