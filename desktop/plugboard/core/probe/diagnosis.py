"""Plain-language diagnosis: turning what the supervisor saw into "what is wrong" and "what to do".

Every `Diagnosis` has a stable `code` (scripts and the GUI key on it), a one-sentence `summary` a non-technical
user can read, `evidence` (the lines that prove it: the offending stdout line, the last stderr lines, the folders
searched) and a `fix`. The cases are FACTS.md §A "Why local servers fail":

- command-not-found: where we looked and what to install (`resolve.CommandNotFound` carries both);
- crash-at-start: the exit code and the server's last stderr lines;
- stdout-pollution: the first non-JSON line the server printed on stdout;
- initialize-timeout: no answer to initialize in time;
- protocol-mismatch: the version the server spoke and the ones we support;
- missing-secret: which keyring entries to set, and the command that sets them;
- relative-path: a relative path in the entry, or a "No such file" about a relative path after a crash, with
  the working directory `/` explained;
- windows-npx: on Windows `npx` must run as `cmd /c npx ...` in a plain entry (the launcher does that itself).

Entry rules (`check_entry`) take `system` as a parameter so Windows rules are tested on any machine.
Nothing here starts processes; `doctor` does, and calls these functions on the outcome.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from plugboard.core.entries import ProxyEntry
from plugboard.core.entries import parse as parse_entry
from plugboard.core.logs.claude_desktop import ClaudeLogEntry
from plugboard.core.probe import supervisor as sv
from plugboard.core.probe.supervisor import ReasonKind

# How many of the server's last stderr lines a crash diagnosis shows: enough for a Python traceback's end.
EVIDENCE_LINES = 8


class DiagnosisCode(StrEnum):
    """The codes only a diagnosis gives. Where a diagnosis names exactly what the supervisor saw, its code is the
    supervisor's `ReasonKind` itself (command-not-found, missing-secret, relative-path, ...), not a copy of it."""

    CRASH_AT_START = "crash-at-start"
    NOT_STARTABLE = "not-startable"  # the entry names no program (a `{"url": …}` entry)
    STDOUT_POLLUTION = "stdout-pollution"
    WINDOWS_NPX = "windows-npx"
    REMOTE_UNREACHABLE = "remote-unreachable"
    CRASHED = "crashed"
    CLAUDE_ERROR = "claude-error"
    GUI_PATH = "gui-path"
    INVALID_ANSWER = "invalid-answer"  # doctor: a listing the server answered with something that is not MCP
    CREDENTIALS_REFUSED = "credentials-refused"  # doctor's credential check: the service refused the key or token
    CHECK_FAILED = "check-failed"  # doctor's credential check failed for another reason
    STALE_PLUGBOARD = "stale-plugboard"  # the entry starts a Plugboard that is gone or another copy (relink)


Code = ReasonKind | DiagnosisCode

# The PATH a macOS app opened from the Dock or Finder gets (launchd's default), FACTS.md §A 1.
MACOS_GUI_PATH = ("/usr/bin", "/bin", "/usr/sbin", "/sbin")

_SCRIPT_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".json", ".sh", ".jar", ".rb", ".pl", ".toml", ".yaml", ".yml")
# "No such file or directory: 'x'" (Python), "ENOENT: no such file or directory, open 'x'" (Node),
# "can't open file 'x'" (python script.py).
_MISSING_FILE_RE = re.compile(
    r"(?:No such file or directory(?: \(os error 2\))?[:,]?\s*(?:open\s+|stat\s+|lstat\s+|scandir\s+)?"
    r"|can't open file\s+)['\"]([^'\"]+)['\"]",
    re.IGNORECASE,
)
# Options with which a program sets its own working directory, making relative paths after them safe.
_DIRECTORY_OPTIONS = frozenset({"--directory", "--cwd", "--prefix", "-C", "--project"})
_SPAWN_ENOENT_RE = re.compile(r"spawn\s+(\S+)\s+ENOENT", re.IGNORECASE)


@dataclass(frozen=True)
class Diagnosis:
    code: Code
    summary: str
    fix: str
    evidence: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "summary": self.summary, "fix": self.fix, "evidence": list(self.evidence)}


_DOCTOR_HINT = re.compile(r" Check with `plugboard doctor [^`]*`\.?")


def _is_absolute(path: str) -> bool:
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute() or path.startswith("~")


def _is_relative_file(arg: str) -> bool:
    if not arg or arg.startswith(("-", "@")) or "://" in arg or "=" in arg or _is_absolute(arg):
        return False
    return arg.startswith(("./", "../", ".\\", "..\\")) or arg.lower().endswith(_SCRIPT_SUFFIXES)


def _relative_fix(path: str) -> str:
    return (
        f"Claude Desktop starts servers with the working directory `/`, so `{path}` means `/{path.lstrip('./')}`. "
        "Use the absolute path (for Python servers, the venv's interpreter and an absolute script path, or "
        "`uv --directory /abs/path run ...`)."
    )


def stale_plugboard(explanation: str, missing: bool) -> Diagnosis:
    """The entry names a `plugboard` that is gone, or another copy (core/config/relink.py finds them)."""
    why = (
        "Claude Desktop cannot start it: that copy of Plugboard was moved or deleted."
        if missing
        else "Claude Desktop starts that copy, not this one, and it breaks when that copy goes."
    )
    return Diagnosis(
        DiagnosisCode.STALE_PLUGBOARD,
        f"{explanation[0].upper()}{explanation[1:]}. {why}",
        "Run `plugboard relink` (or press Relink in the app), then restart Claude Desktop.",
    )


def not_startable(problem: str, address: str | None) -> Diagnosis:
    """The entry names no program at all (`config.claude_file.not_startable`): nothing can start it."""
    if address is not None:
        fix = (
            "Run `plugboard repair` (or press “Connect it through Plugboard” in the app): it becomes a "
            "`plugboard proxy` connector, its token in the keyring. Then restart Claude Desktop."
        )
    else:
        fix = "Edit it to name the program to start, or remove it (`plugboard remove NAME`)."
    # The address rides in the evidence: the Test's card offers to connect it (`verdict.from_diagnosis`).
    return Diagnosis(DiagnosisCode.NOT_STARTABLE, f"{problem}.", fix, [address] if address else [])


def check_entry(command: str, args: Sequence[str], *, system: str, via_plugboard: str | None = None) -> list[Diagnosis]:
    """Problems visible in the entry itself, before anything runs."""
    found: list[Diagnosis] = []
    program = PureWindowsPath(command).name if system.lower().startswith("win") else PurePosixPath(command).name
    stem = program.lower().removesuffix(".cmd").removesuffix(".exe")
    if system.lower().startswith("win") and via_plugboard is None and stem in ("npx", "npm", "pnpm", "yarn"):
        found.append(
            Diagnosis(
                DiagnosisCode.WINDOWS_NPX,
                f"On Windows, Claude Desktop cannot start `{program}` directly: it is a batch file.",
                f'Change the entry to "command": "cmd", "args": ["/c", "{stem}", ...], or let Plugboard run it '
                "(its launcher adds `cmd /c` itself).",
                evidence=[" ".join([command, *args])],
            )
        )
    if any(a in _DIRECTORY_OPTIONS for a in args):
        return found  # `uv --directory /abs run x.py`: the program changes directory itself
    relative = [command] if ("/" in command or "\\" in command) and not _is_absolute(command) else []
    relative += [a for a in args if _is_relative_file(a)]
    if relative:
        found.append(
            Diagnosis(
                ReasonKind.RELATIVE_PATH,
                f"The entry uses the relative path `{relative[0]}`, which depends on the working directory.",
                _relative_fix(relative[0]),
                evidence=[" ".join([command, *args])],
            )
        )
    return found


def check_gui_path(command: str, found: str, *, system: str, via_plugboard: str | None = None) -> list[Diagnosis]:
    """A plain entry naming a bare program that only a login shell's PATH finds: Claude Desktop on macOS will
    say `spawn {command} ENOENT` although doctor (started from a terminal) can run it."""
    if via_plugboard is not None or system != "Darwin" or "/" in command:
        return []
    folder = str(PurePosixPath(found).parent)
    if folder in MACOS_GUI_PATH:
        return []
    return [
        Diagnosis(
            DiagnosisCode.GUI_PATH,
            f"`{command}` is found at {found}, but Claude Desktop, opened from the Dock, only searches "
            f"{':'.join(MACOS_GUI_PATH)} and will not find it.",
            f"Put the absolute path {found} in the entry, or let Plugboard run the connector (its launcher finds "
            "the program itself).",
            evidence=[f"{command} -> {found}"],
        )
    ]


def _tail(lines: Sequence[str]) -> list[str]:
    return [line for line in lines if line.strip()][-EVIDENCE_LINES:]


def _missing_relative_file(lines: Sequence[str]) -> str | None:
    for line in reversed(lines):
        for match in _MISSING_FILE_RE.finditer(line):
            path = match.group(1)
            if not _is_absolute(path):
                return path
    return None


def _is_plugboard_proxy(spec: sv.ServerSpec) -> bool:
    return Path(spec.command).name.lower() in ("plugboard", "plugboard.exe") and spec.args[:1] == ["proxy"]


def diagnose(reason: sv.Reason, run: sv.RunInfo | None, spec: sv.ServerSpec) -> list[Diagnosis]:
    """What went wrong, from the supervisor's final reason and the run it describes. Empty when all was well."""
    tail = list(run.stderr_tail) if run else list(reason.detail.get("stderr_tail", []))
    noise = list(run.stdout_noise) if run else list(reason.detail.get("stdout_noise", []))
    found: list[Diagnosis] = []
    kind = reason.kind
    if kind is ReasonKind.COMMAND_NOT_FOUND:
        searched = [str(s) for s in reason.detail.get("searched", [])]
        command = str(reason.detail.get("command", spec.command))
        from plugboard.core.launch.resolve import INSTALL_HINTS

        hint = INSTALL_HINTS.get(command.lower().removesuffix(".exe").removesuffix(".cmd"))
        install = f"Install {hint}" if hint else f"Install the program that provides `{command}`"
        found.append(
            Diagnosis(
                ReasonKind.COMMAND_NOT_FOUND,
                f"The program `{command}` is not installed, or not anywhere Plugboard looked "
                f"(PATH and {len(searched)} usual install folders).",
                f"{install}, or put the program's absolute path in the connector's command.",
                evidence=["searched PATH", *(f"searched {s}" for s in searched)],
            )
        )
    elif kind is ReasonKind.MISSING_SECRET:
        keys = [str(k) for k in reason.detail.get("keys", spec.secrets)]
        commands = [f"plugboard secret set {spec.name} {k}" for k in keys]
        found.append(
            Diagnosis(
                ReasonKind.MISSING_SECRET,
                f"The connector needs {'the secret' if len(keys) == 1 else 'the secrets'} {', '.join(keys)}, "
                "which the keyring does not have.",
                "Set it in Plugboard (Secrets), or run " + "; ".join(f"`{c}`" for c in commands) + " (value on stdin).",
                evidence=[f"keyring entry plugboard / {spec.name}/{k}: not set" for k in keys],
            )
        )
    elif kind is ReasonKind.KEYRING_UNAVAILABLE:
        found.append(
            Diagnosis(
                ReasonKind.KEYRING_UNAVAILABLE, "Plugboard cannot read the system keyring.", reason.text, [reason.text]
            )
        )
    elif kind is ReasonKind.RELATIVE_PATH:
        found.append(
            Diagnosis(
                ReasonKind.RELATIVE_PATH,
                f"The command `{spec.command}` is a relative path, which depends on the working directory.",
                _relative_fix(spec.command),
                evidence=[reason.text],
            )
        )
    elif kind is ReasonKind.CANNOT_START:
        found.append(
            Diagnosis(ReasonKind.CANNOT_START, "The server's program could not be started.", reason.text, [reason.text])
        )
    elif kind is ReasonKind.EXIT_BEFORE_READY:
        relative = _missing_relative_file(tail)
        how = f"exit code {reason.exit_code}" if reason.exit_code is not None else f"signal {reason.signal}"
        if relative is not None:
            found.append(
                Diagnosis(
                    ReasonKind.RELATIVE_PATH,
                    f"The server stopped at start ({how}) because it could not find `{relative}`, a path relative "
                    "to its working directory.",
                    _relative_fix(relative),
                    evidence=_tail(tail),
                )
            )
        else:
            found.append(
                Diagnosis(
                    DiagnosisCode.CRASH_AT_START,
                    f"The server stopped right after starting ({how}), before it answered Claude.",
                    "Read its last lines below: they usually name a missing setting, package or file. Fix that, "
                    "then run `plugboard doctor` again.",
                    evidence=_tail(tail) or ["(the server wrote nothing to stderr)"],
                )
            )
    elif kind is ReasonKind.INITIALIZE_TIMEOUT:
        found.append(
            Diagnosis(
                ReasonKind.INITIALIZE_TIMEOUT,
                f"The server started but did not answer within {reason.detail.get('timeout_s', '?')} s "
                "(no reply to MCP initialize).",
                "It may be waiting for something (a network service, a login prompt, a download), or it is not an "
                "MCP stdio server. Check its last lines below and its documentation for the right command.",
                evidence=_tail(tail) or ["(the server wrote nothing to stderr)"],
            )
        )
    elif kind is ReasonKind.PROTOCOL_MISMATCH:
        supported = ", ".join(str(v) for v in reason.detail.get("supported", []))
        found.append(
            Diagnosis(
                ReasonKind.PROTOCOL_MISMATCH,
                f"The server speaks MCP protocol version {reason.detail.get('server_version') or '(none)'}, which "
                "Plugboard and Claude Desktop do not support.",
                f"Update the server to a version that supports one of: {supported}.",
                evidence=[reason.text],
            )
        )
    elif kind is ReasonKind.BAD_INITIALIZE and _is_plugboard_proxy(spec):
        # Our own bridge answered: its message already says what is wrong with the remote side, in words.
        said = without_doctor_hint(re.sub(r"^.*?error -?\d+: (?:[^:]+: )?", "", reason.text)).rstrip(" .")
        bridge = parse_entry({"command": spec.command, "args": list(spec.args)})
        tunnel = (
            f" `plugboard tunnel status {bridge.ssh}` shows whether the SSH side is up."
            if isinstance(bridge, ProxyEntry) and bridge.ssh
            else ""
        )
        found.append(
            Diagnosis(
                DiagnosisCode.REMOTE_UNREACHABLE,
                f"Plugboard's bridge could not reach the remote server ({said}).",
                f"Check the address and that the MCP server runs there.{tunnel} `plugboard logs {spec.name}` has "
                "the bridge's own log.",
                evidence=[without_doctor_hint(line) for line in (reason.text, *_tail(tail))],
            )
        )
    elif kind is ReasonKind.BAD_INITIALIZE:
        found.append(
            Diagnosis(
                ReasonKind.BAD_INITIALIZE,
                "The server answered the MCP handshake with an error or a malformed reply.",
                "Update the server, or report this to its authors with the details below.",
                evidence=[reason.text, *_tail(tail)],
            )
        )
    elif kind in (ReasonKind.EXIT, ReasonKind.SIGNALLED) and reason.exit_code != 0:
        found.append(
            Diagnosis(
                DiagnosisCode.CRASHED,
                f"The server stopped while running ({reason.text}).",
                "Read its last lines below for the cause.",
                evidence=_tail(tail),
            )
        )
    if noise:
        found.append(
            Diagnosis(
                DiagnosisCode.STDOUT_POLLUTION,
                "The server printed text that is not MCP to stdout, which Claude Desktop reads as protocol "
                "messages (it shows “Unexpected token … is not valid JSON”).",
                "The server must write its logs to stderr; update it or report this to its authors. "
                f"The first offending line: {noise[0]!r}",
                evidence=noise,
            )
        )
    return found


def diagnose_claude_error(entry: ClaudeLogEntry, resolved: Mapping[str, str] | None = None) -> Diagnosis:
    """Explain the last error Claude Desktop logged for the connector."""
    when = entry.time
    from plugboard.core.logs.model import iso_time

    stamp = iso_time(when) if when else "?"
    spawn = _SPAWN_ENOENT_RE.search(entry.text)
    if spawn:
        program = spawn.group(1)
        found = (resolved or {}).get(program)
        where = f" Plugboard found it at {found}." if found else ""
        return Diagnosis(
            DiagnosisCode.CLAUDE_ERROR,
            f"Claude Desktop could not find `{program}` when it started this connector: apps opened from the "
            "Dock, Start menu or launcher do not get your terminal's PATH.",
            f"Put the absolute path of `{program}` in the entry, or let Plugboard run the connector (its launcher "
            f"finds the program itself).{where}",
            evidence=[f"{stamp} {entry.text}  ({entry.file})"],
        )
    return Diagnosis(
        DiagnosisCode.CLAUDE_ERROR,
        "Claude Desktop logged an error for this connector.",
        "See the line below; `plugboard logs NAME` shows the context.",
        evidence=[f"{stamp} {entry.text}  ({entry.file})"],
    )


def without_doctor_hint(text: str) -> str:
    """`text` without the bridge's "Check with `plugboard doctor NAME`" (said to Claude's user; inside doctor's own
    report it only repeats itself)."""
    return _DOCTOR_HINT.sub("", text)
