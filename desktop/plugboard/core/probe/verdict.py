"""What a Test found, in the app's words: a headline, what to do (with the steps a button can take), details folded.

`plugboard doctor` speaks to people at a terminal and may say PATH, stdout or an exit code. The app may not: its
users chose an app to avoid those words. So this module turns a `DoctorReport` (and the other things the health
model reads: a launcher's failure reason, a line of Claude Desktop's log, a proxy's note, a tunnel's state) into a
`Finding`: a headline for the row and the card ("Can't start: Node.js is not installed", "The GitHub token was
refused", "Your server is unreachable: the tunnel is reconnecting"), one or two sentences of advice, and `Step`s —
each an `Action` the app offers as a button (set the token, open the log, install the runtime, let Plugboard start
it, edit, test again). `details` are for the curious, folded away in the app: what the server offers and the last
lines it wrote, in its own words (they are its words, not ours).

Every sentence written here is checked by tests/unit/probe/test_verdict.py against `TECHNICAL_WORDS`.
Qt-free and pure: no process, file or keyring is touched.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePosixPath, PureWindowsPath

from plugboard.core.probe import diagnosis as dx
from plugboard.core.probe.diagnosis import DiagnosisCode
from plugboard.core.probe.doctor import DoctorReport, says_refused
from plugboard.core.probe.supervisor import ReasonKind

# Words the app never shows in its own sentences (issue 13); tests assert none of our texts contain them.
TECHNICAL_WORDS = ("PATH", "stdout", "stderr", "exit code", "JSON-RPC", "--", "ENOENT", "initialize", "argv")
# How many of the server's last lines the folded details show: enough to read an error's end.
DETAIL_LINES = 8


class Action(StrEnum):
    """What a button on a result does; the app maps each to one of its own actions."""

    SET_SECRET = "set-secret"  # noqa: S105 - an action name; target: the secret's KEY
    OPEN_LOG = "open-log"
    INSTALL = "install"  # target: the download page
    USE_LAUNCHER = "use-launcher"  # let Plugboard start a connector Claude starts directly
    EDIT = "edit"
    TEST = "test"
    OPEN_REMOTE = "open-remote"  # the Remote page: the tunnel and the server's address
    SIGN_IN = "sign-in"  # sign the connector in to its server in the browser (`plugboard login NAME`)
    CONNECT_REMOTE = "connect-remote"  # turn a `{"url": …}` entry into a `plugboard proxy` connector


@dataclass(frozen=True)
class Step:
    action: Action
    label: str
    target: str = ""


class Code(StrEnum):
    """What a finding is about, for code that must tell findings apart (tests, the tray)."""

    WORKING = "working"
    NEEDS_SECRET = "needs-secret"  # noqa: S105 - a finding code, not a secret
    SECRET_REFUSED = "secret-refused"  # noqa: S105 - a finding code, not a secret
    NOT_INSTALLED = "not-installed"
    NO_KEYCHAIN = "no-keychain"
    UNREACHABLE = "unreachable"
    WRONG_OUTPUT = "wrong-output"
    STOPS_AT_START = "stops-at-start"
    NO_ANSWER = "no-answer"
    INCOMPATIBLE = "incompatible"
    FOLDER_PATH = "folder-path"
    WINDOWS_START = "windows-start"
    CLAUDE_CANNOT_FIND = "claude-cannot-find"
    CHECK_FAILED = "check-failed"
    STOPPED = "stopped"
    CLAUDE_PROBLEM = "claude-problem"
    SIGN_IN = "sign-in"  # the remote server wants the person to sign in (again): no usable sign-in is kept
    NOT_STARTABLE = "not-startable"  # the entry names no program (a `{"url": …}` entry): Claude cannot start it


@dataclass(frozen=True)
class Finding:
    code: Code
    headline: str
    advice: str = ""
    steps: tuple[Step, ...] = ()
    details: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code is Code.WORKING


@dataclass(frozen=True)
class Verdict:
    """One Test of one connector, as the card shows it."""

    name: str
    finding: Finding
    tools: int | None = None
    time: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.finding.ok

    @property
    def headline(self) -> str:
        return self.finding.headline


@dataclass(frozen=True)
class Runtime:
    label: str
    url: str


# The programs a connector usually needs, by the name it is called with: what people call them and where to get
# them (the catalog's `RUNTIMES` say the same for its items; this one also knows programs the catalog does not use).
RUNTIMES = {
    "npx": Runtime("Node.js", "https://nodejs.org/en/download"),
    "npm": Runtime("Node.js", "https://nodejs.org/en/download"),
    "node": Runtime("Node.js", "https://nodejs.org/en/download"),
    "uvx": Runtime("uv", "https://docs.astral.sh/uv/getting-started/installation/"),
    "uv": Runtime("uv", "https://docs.astral.sh/uv/getting-started/installation/"),
    "python": Runtime("Python", "https://www.python.org/downloads/"),
    "python3": Runtime("Python", "https://www.python.org/downloads/"),
    "docker": Runtime("Docker Desktop", "https://www.docker.com/products/docker-desktop/"),
    "bunx": Runtime("Bun", "https://bun.sh"),
    "deno": Runtime("Deno", "https://deno.com"),
}
# Brand words at the start of a secret's name, as people write them ("GITHUB_TOKEN" → "the GitHub token").
_BRANDS = {
    "GITHUB": "GitHub",
    "GITLAB": "GitLab",
    "BRAVE": "Brave",
    "SLACK": "Slack",
    "NOTION": "Notion",
    "LINEAR": "Linear",
    "SENTRY": "Sentry",
    "OPENAI": "OpenAI",
    "ANTHROPIC": "Anthropic",
    "GOOGLE": "Google",
    "STRIPE": "Stripe",
    "AWS": "AWS",
    "JIRA": "Jira",
    "DATABASE": "database",
}
_SECRET_KINDS = (("TOKEN", "token"), ("PASSWORD", "password"), ("KEY", "key"), ("URI", "address"), ("URL", "address"))
_SPAWN_RE = re.compile(r"spawn\s+(\S+)\s+ENOENT", re.IGNORECASE)


def program_name(command: str) -> str:
    """`/usr/local/bin/npx`, `C:\\...\\npx.cmd` → `npx`."""
    name = PureWindowsPath(command).name if "\\" in command else PurePosixPath(command).name
    return name.lower().removesuffix(".exe").removesuffix(".cmd")


def secret_words(key: str) -> str:
    """How a person calls secret `key`: "the GitHub token", "the Brave key", "the API key", "the password"."""
    parts = key.upper().split("_")
    kind = next((word for marker, word in _SECRET_KINDS if marker in parts), "secret")
    brand = _BRANDS.get(parts[0]) if parts else None
    if brand is None and parts and parts[0] == "API":
        brand = "API"
    return f"the {brand} {kind}" if brand else f"the {kind}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _log_step() -> Step:
    return Step(Action.OPEN_LOG, "Open the log")


def _set_secret_step(key: str) -> Step:
    return Step(Action.SET_SECRET, f"Set {secret_words(key)}…", key)


def not_installed(program: str) -> Finding:
    runtime = RUNTIMES.get(program_name(program))
    if runtime is None:
        return Finding(
            Code.NOT_INSTALLED,
            f"Can't start: the program “{program_name(program)}” is not on this computer",
            "Install the program this connector runs (its documentation says how), or edit the connector to "
            "name the program's full location.",
            (Step(Action.EDIT, "Edit…"), Step(Action.TEST, "Test again")),
        )
    return Finding(
        Code.NOT_INSTALLED,
        f"Can't start: {runtime.label} is not installed",
        f"This connector needs {runtime.label}. Install it, then test again.",
        (Step(Action.INSTALL, f"Get {runtime.label}", runtime.url), Step(Action.TEST, "Test again")),
    )


CONNECT_REMOTE_LABEL = "Connect it through Plugboard"


def not_startable(problem: str, address: str | None) -> Finding:
    """An entry Claude Desktop cannot start at all (`claude_file.not_startable` says why). One naming a web address
    is fixed in one click: Plugboard's bridge connects Claude to it (`clients.remote_entries`)."""
    if address is not None:
        return Finding(
            Code.NOT_STARTABLE,
            problem,
            "Claude Desktop only starts programs on this computer. Plugboard can connect Claude to this web "
            "address for you: any password or token in it moves to the keychain, and a copy of the file is kept.",
            (Step(Action.CONNECT_REMOTE, CONNECT_REMOTE_LABEL),),
        )
    return Finding(
        Code.NOT_STARTABLE,
        problem,
        "Edit it to name the program to start, or remove it. The other connectors are not affected.",
        (Step(Action.EDIT, "Edit…"),),
    )


def needs_secret(keys: Sequence[str]) -> Finding:
    key = keys[0] if keys else ""
    words = secret_words(key) if key else "its secret"
    return Finding(
        Code.NEEDS_SECRET,
        f"Needs {words}",
        f"Plugboard keeps {words} in your keychain, and it is not there yet. Set it, then test again.",
        tuple(_set_secret_step(k) for k in keys) or (Step(Action.EDIT, "Edit…"),),
    )


def secret_refused(keys: Sequence[str], said: str = "", *, remote: bool = False) -> Finding:
    key = keys[0] if keys else ""
    words = secret_words(key) if key else ("the key" if remote else "the token")
    where = "Your server" if remote else "The service"
    steps = tuple(_set_secret_step(k) for k in keys) or (Step(Action.EDIT, "Edit…"),)
    return Finding(
        Code.SECRET_REFUSED,
        f"{_cap(words)} was refused",
        f"{where} did not accept {words}. It may be mistyped, expired or lack a permission; set a new one, then "
        "test again.",
        (*steps, Step(Action.TEST, "Test again")),
        (f"What it said: {said}",) if said else (),
    )


def unreachable(tunnel: str | None = None, said: str = "") -> Finding:
    headline = "Your server is unreachable" + (f": {tunnel}" if tunnel else "")
    return Finding(
        Code.UNREACHABLE,
        headline,
        "Plugboard could not reach the server this connector uses. Check that the server is running and its "
        "address is right" + (", and look at the tunnel on the Remote page." if tunnel else "."),
        (Step(Action.OPEN_REMOTE, "Open Remote"), _log_step(), Step(Action.TEST, "Test again")),
        (f"What it said: {said}",) if said else (),
    )


def wrong_output(first_line: str = "") -> Finding:
    return Finding(
        Code.WRONG_OUTPUT,
        "It prints messages Claude can't read",
        "This server writes its own messages where Claude expects answers, so Claude shows errors for it. "
        "Update the server, or tell its authors.",
        (_log_step(),),
        (f"It printed: {first_line}",) if first_line else (),
    )


def stops_at_start(tail: Iterable[str] = ()) -> Finding:
    lines = [line for line in tail if line.strip()][-DETAIL_LINES:]
    return Finding(
        Code.STOPS_AT_START,
        "Stops as soon as it starts",
        "The server quit before it could talk to Claude. Its last messages usually say why (a missing setting, "
        "file or package).",
        (_log_step(), Step(Action.EDIT, "Edit…"), Step(Action.TEST, "Test again")),
        tuple(["What the server said last:", *lines]) if lines else (),
    )


def stopped_unexpectedly(tail: Iterable[str] = ()) -> Finding:
    lines = [line for line in tail if line.strip()][-DETAIL_LINES:]
    return Finding(
        Code.STOPPED,
        "Stopped unexpectedly",
        "The server quit while Claude was using it. Its last messages usually say why.",
        (_log_step(), Step(Action.TEST, "Test again")),
        tuple(["What the server said last:", *lines]) if lines else (),
    )


def claude_cannot_find(program: str) -> Finding:
    name = program_name(program)
    runtime = RUNTIMES.get(name)
    what = runtime.label if runtime else f"“{name}”"
    return Finding(
        Code.CLAUDE_CANNOT_FIND,
        f"Claude Desktop can't find {what}",
        f"Claude Desktop starts this connector itself and does not look where {what} is installed. Let Plugboard "
        "start it: Plugboard finds the program and records why it stops.",
        (Step(Action.USE_LAUNCHER, "Let Plugboard start it…"), _log_step()),
    )


def working(tools: int | None, prompts: int | None = None, details: Sequence[str] = ()) -> Finding:
    if tools:
        headline = f"Working — {tools} tool{'s' if tools != 1 else ''}"
    elif prompts:
        headline = f"Working — {prompts} prompt{'s' if prompts != 1 else ''}"
    else:
        headline = "Working"
    return Finding(Code.WORKING, headline, "Claude can use it.", (), tuple(details))


# Why a sign-in is needed, as the bridge says it (`bridge.oauth.errors`, `bridge.signin`, `bridge.explain`); the
# first that matches wins. The words of the finding follow the reason.
NEEDED, ENDED, MORE_PERMISSIONS, UNFINISHED = "needed", "ended", "more-permissions", "unfinished"
_SIGN_IN_SAYINGS = (
    ("asks for more permissions", MORE_PERMISSIONS),
    ("has ended (revoked or expired)", ENDED),
    ("refused the sign-in", ENDED),
    ("signing in did not complete", UNFINISHED),
    ("nobody finished signing in", UNFINISHED),
    ("needs you to sign in to", NEEDED),
)
_SIGN_IN_HOST_RE = re.compile(
    r"(?:sign in to|signing in to|sign-in to|sign-in server) (\S+?)(?: for |[:;,]? |[:;,]?$)|(\S+) asks for more", re.I
)
_SIGN_IN_FAILED_RE = re.compile(r"Signing in to \S+ for .* failed: ", re.I)


def sign_in_needed(host: str = "", why: str = NEEDED, said: str = "") -> Finding:
    """The remote server wants the person to sign in (again); the step signs in in the browser."""
    to = f" to {host}" if host else ""
    first = ("Sign in needed", f"This connector's server asks you to sign in{to} first.")
    headline, reason = {
        NEEDED: first,
        ENDED: ("Sign in needed: your sign-in ended", f"Your sign-in{to} ended or was withdrawn."),
        MORE_PERMISSIONS: (
            "Sign in needed: it asks for more permissions",
            f"{host or 'Its server'} asks for more permissions than you granted.",
        ),
        UNFINISHED: ("Sign in needed: the last sign-in did not finish", f"Signing in{to} did not finish."),
    }.get(why, first)
    return Finding(
        Code.SIGN_IN,
        headline,
        f"{reason} Sign in opens your browser; Plugboard keeps the sign-in in your keychain and renews it by itself.",
        (Step(Action.SIGN_IN, "Sign in…"), _log_step()),
        (f"What it said: {said}",) if said else (),
    )


def sign_in_unreachable(host: str = "", said: str = "") -> Finding:
    """The server the connector signs in with cannot be reached: the network first, then sign in again."""
    where = host or "the sign-in server"
    return Finding(
        Code.UNREACHABLE,
        "Can't reach the sign-in server",
        f"Plugboard could not reach {where}, where this connector signs in. Check the network connection, then "
        "sign in again.",
        (Step(Action.SIGN_IN, "Sign in…"), _log_step()),
        (f"What it said: {said}",) if said else (),
    )


def sign_in_problem(text: str) -> Finding | None:
    """The sign-in finding for a bridge sentence about signing in (`[error] initialize: "notes" needs you to sign in
    to …`), or None when `text` is about something else."""
    lowered = text.lower()
    found = _SIGN_IN_HOST_RE.search(text)
    host = (found.group(1) or found.group(2)).strip("\"'`") if found else ""
    said = re.sub(r"^\[error\]\s*\S+:\s*", "", _remote_said(text))
    if "cannot reach the sign-in server" in lowered:
        return sign_in_unreachable(host, said)
    why = next((reason for saying, reason in _SIGN_IN_SAYINGS if saying in lowered), None)
    if why is None and _SIGN_IN_FAILED_RE.search(text):
        why = UNFINISHED
    return sign_in_needed(host, why, said) if why is not None else None


def _remote_said(text: str) -> str:
    """The bridge's own sentence from an error it answered with ("...: the remote MCP server is unreachable: …")."""
    said = re.sub(r"^.*?error -?\d+: (?:[^:]+: )?", "", text)
    return said.split(" Check with")[0].split(". Is it running?")[0].strip(" .")


def tunnel_words(text: str) -> str | None:
    """A tunnel's state, as the bridge or a tunnel describes it, in plain words (None when it is up or unnamed)."""
    lowered = text.lower()
    if "tunnel" not in lowered:
        return None
    if "reconnecting" in lowered:
        return "the tunnel is reconnecting"
    if "connecting" in lowered:
        return "the tunnel is still connecting"
    if "failed (auth)" in lowered or "failed (hostkey)" in lowered:
        return (
            "the tunnel could not log in to the server"
            if "auth" in lowered
            else "the server's identity is not confirmed"
        )
    if "failed (port)" in lowered:
        return "a port the tunnel needs is taken"
    if "failed" in lowered:
        return "the tunnel cannot reach the server"
    if "stopped" in lowered:
        return "the tunnel is off"
    return None


def remote_problem(text: str, keys: Sequence[str]) -> Finding:
    """A bridge's failure sentence (its log note, its error answer) as a finding."""
    signing = sign_in_problem(text)
    if signing is not None:
        return signing
    said = _remote_said(text)
    if "refused our credentials" in text or "requires credentials" in text:
        return secret_refused(keys, said, remote=True)
    if "missing secret" in text or "not in the keyring" in text:
        return needs_secret(keys)
    return unreachable(tunnel_words(text), said)


def from_diagnosis(problem: dx.Diagnosis, report: DoctorReport, secrets: Sequence[str]) -> Finding:
    code = problem.code
    tail = report.stderr_tail
    if code is ReasonKind.COMMAND_NOT_FOUND:
        return not_installed(report.command[0] if report.command else "")
    if code is ReasonKind.MISSING_SECRET:
        keys = [line.split("/")[-1].split(":")[0] for line in problem.evidence] or list(secrets)
        return needs_secret(keys)
    if code is DiagnosisCode.NOT_STARTABLE:
        return not_startable(problem.summary.removesuffix("."), problem.evidence[0] if problem.evidence else None)
    if code is DiagnosisCode.CREDENTIALS_REFUSED:
        said = report.check.text if report.check else ""
        return secret_refused(secrets, said)
    if code is DiagnosisCode.CHECK_FAILED:
        said = report.check.text if report.check else ""
        return Finding(
            Code.CHECK_FAILED,
            "Starts, but its first real request failed",
            "The server runs, yet asking it one small question failed. The service may be down, or a setting is wrong.",
            (Step(Action.EDIT, "Edit…"), _log_step(), Step(Action.TEST, "Test again")),
            (f"What it said: {said}",) if said else (),
        )
    if code is ReasonKind.KEYRING_UNAVAILABLE:
        return Finding(
            Code.NO_KEYCHAIN,
            "Can't open your keychain",
            "Plugboard keeps this connector's secrets in your computer's keychain, and it could not open it. Unlock "
            "the keychain (or sign in again), then test again.",
            (Step(Action.TEST, "Test again"),),
        )
    if code is DiagnosisCode.REMOTE_UNREACHABLE:
        return remote_problem(" ".join(problem.evidence[:1]), secrets)
    if code is DiagnosisCode.STDOUT_POLLUTION:
        return wrong_output(problem.evidence[0] if problem.evidence else "")
    if code in (DiagnosisCode.CRASH_AT_START, ReasonKind.CANNOT_START):
        if secrets and says_refused(" ".join(tail)):
            return secret_refused(secrets, next((t for t in reversed(tail) if says_refused(t)), ""))
        return stops_at_start(tail)
    if code is ReasonKind.RELATIVE_PATH:
        return Finding(
            Code.FOLDER_PATH,
            "A file it needs is given by a partial location",
            "Its settings name a file without saying which folder it is in, and Claude starts connectors from an "
            "unknown folder. Edit it and give the file's full location.",
            (Step(Action.EDIT, "Edit…"),),
            tuple(t for t in tail[-DETAIL_LINES:]),
        )
    if code is ReasonKind.INITIALIZE_TIMEOUT:
        return Finding(
            Code.NO_ANSWER,
            "Starts, but never answers",
            "The server started and then said nothing for a minute. It may be waiting for a login or a download, "
            "or it is not a connector at all.",
            (_log_step(), Step(Action.EDIT, "Edit…"), Step(Action.TEST, "Test again")),
            tuple(t for t in tail[-DETAIL_LINES:]),
        )
    if code in (ReasonKind.PROTOCOL_MISMATCH, ReasonKind.BAD_INITIALIZE, DiagnosisCode.INVALID_ANSWER):
        return Finding(
            Code.INCOMPATIBLE,
            "Answers in a way Claude can't use",
            "This server speaks a version Claude does not understand, or answers wrongly. Update it, or tell its "
            "authors.",
            (_log_step(),),
        )
    if code is DiagnosisCode.WINDOWS_NPX:
        return Finding(
            Code.WINDOWS_START,
            "Can't start on Windows as written",
            "On Windows this connector needs a small change to start. Let Plugboard start it, and it makes the "
            "change itself.",
            (Step(Action.USE_LAUNCHER, "Let Plugboard start it…"),),
        )
    if code is DiagnosisCode.GUI_PATH:
        return claude_cannot_find(report.command[0] if report.command else "")
    if code is DiagnosisCode.CRASHED:
        return stopped_unexpectedly(tail)
    return Finding(Code.CLAUDE_PROBLEM, "Something is wrong", problem.summary, (_log_step(),))


# The order in which a report's problems are told: the one to fix first comes first.
_PRIORITY = (
    DiagnosisCode.NOT_STARTABLE,  # nothing else matters while the entry names no program
    ReasonKind.MISSING_SECRET,
    ReasonKind.KEYRING_UNAVAILABLE,
    ReasonKind.COMMAND_NOT_FOUND,
    DiagnosisCode.CREDENTIALS_REFUSED,
    DiagnosisCode.REMOTE_UNREACHABLE,
    DiagnosisCode.STDOUT_POLLUTION,
    ReasonKind.RELATIVE_PATH,
    DiagnosisCode.CRASH_AT_START,
    ReasonKind.CANNOT_START,
    ReasonKind.INITIALIZE_TIMEOUT,
    ReasonKind.PROTOCOL_MISMATCH,
    ReasonKind.BAD_INITIALIZE,
    DiagnosisCode.CHECK_FAILED,
    DiagnosisCode.INVALID_ANSWER,
    DiagnosisCode.CRASHED,
    DiagnosisCode.WINDOWS_NPX,
    DiagnosisCode.GUI_PATH,
)


def verdict(report: DoctorReport, secrets: Sequence[str] = ()) -> Verdict:
    """The card for one Test; `secrets` are the keys the connector takes from the keychain (for "set the token")."""
    tools = len(report.tools) if report.tools is not None else None
    offers = []
    if report.tools:
        offers.append("Tools: " + ", ".join(report.tools[:30]) + (" …" if len(report.tools) > 30 else ""))
    if report.prompts:
        offers.append("Prompts: " + ", ".join(report.prompts[:30]))
    if report.server_name:
        offers.append("Server: " + " ".join(x for x in (report.server_name, report.server_version) if x))
    if report.ok:
        prompts = len(report.prompts) if report.prompts is not None else None
        return Verdict(report.name, working(tools, prompts, offers), tools)
    problems = sorted(report.problems, key=lambda p: _PRIORITY.index(p.code) if p.code in _PRIORITY else len(_PRIORITY))
    if not problems:
        return Verdict(report.name, stops_at_start(report.stderr_tail), tools)
    finding = from_diagnosis(problems[0], report, secrets)
    if offers and finding.code is not Code.NEEDS_SECRET:
        finding = Finding(finding.code, finding.headline, finding.advice, finding.steps, (*finding.details, *offers))
    return Verdict(report.name, finding, tools)


def from_claude_log(text: str) -> Finding | None:
    """A failure line of Claude Desktop's own log for a connector it starts, or None when the line says nothing we
    recognise as a failure."""
    spawn = _SPAWN_RE.search(text)
    if spawn:
        return claude_cannot_find(spawn.group(1))
    lowered = text.lower()
    if "is not valid json" in lowered or "unexpected token" in lowered:
        return wrong_output(text)
    if "remote mcp server" in lowered:
        return remote_problem(text, ())
    if "transport closed unexpectedly" in lowered or "server disconnected" in lowered:
        return stopped_unexpectedly([text])
    return None
