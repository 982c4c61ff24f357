"""The entry shapes Plugboard writes into Claude's `mcpServers` (DESIGN.md), parsed and built here and nowhere else.

    launcher  {"command": PLUGBOARD, "args": ["run", NAME, "--secret", KEY, ..., "--", COMMAND, ARGS...], "env"?: {..}}
    proxy     {"command": PLUGBOARD, "args": ["proxy", NAME, URL, "--ssh", PROFILE, "--header", "K: V", ...,
                                              "--bearer-secret", KEY, "--timeout", S,
                                              "--oauth", "--client-id", ID, "--scope", S]}   (every flag optional)
    bare      anything else: {"command": ..., "args"?: [...], "env"?: {...}}

`parse` turns any entry into one of three typed values and never raises. It reads every spelling the `plugboard`
command itself accepts (`--secret=KEY`, `--ssh=P`, flags in any order, `run NAME COMMAND` without `--`), so an entry
means the same to the launcher, the list, import, export, the catalog, the doctor and the app. Words that do not
parse as ours (an unknown flag, a flag without its value, no server command) make the entry bare: Plugboard never
rewrites an entry it does not understand as if it did.

`to_json` writes the canonical spelling, the one Plugboard has always written: `parse(e).to_json() == e` for every
entry in that spelling (tests/unit/test_entries.py checks it as a property, with keys Plugboard does not own, such as
Claude's `extensionId`, riding along unchanged in `extra`). A bare entry gives back exactly the dict it came from.

`PLUGBOARD` is the stable per-user path of the `plugboard` command (`install.entry_command`: a shim that survives
updates and moves); an entry counts as ours when its command's file name is `plugboard` (or `plugboard.exe`),
wherever it lives, so entries written by another install (an old virtual environment, a moved bundle) are still read
as launcher and proxy entries, and `plugboard relink` can point them at the shim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUN = "run"
PROXY = "proxy"
PROGRAM_NAMES = ("plugboard", "plugboard.exe")
# Keys of an entry that the typed values own; any other key is kept in `extra` as it was.
_OWN_KEYS = ("command", "args", "env")
# Proxy flags that take one value, by flag → field. `--header` may repeat; the others may appear once.
_PROXY_FLAGS = {
    "--ssh": "ssh",
    "--header": "headers",
    "--bearer-secret": "bearer_secret",
    "--timeout": "timeout",
    "--client-id": "client_id",
    "--scope": "scope",
}
# Proxy flags that take no value (argparse `store_true`: `--oauth=x` is a usage error, so such an entry is bare).
_PROXY_SWITCHES = {"--oauth": "oauth"}


def is_plugboard_program(command: str) -> bool:
    """Whether `command` names a `plugboard` program (any install, any folder)."""
    return Path(command.replace("\\", "/")).name.lower() in PROGRAM_NAMES


@dataclass(frozen=True)
class BareEntry:
    """An entry that starts its server directly (or one Plugboard does not understand): kept exactly as written."""

    raw: Mapping[str, Any]
    via = None

    @property
    def command(self) -> str:
        command = self.raw.get("command")
        return command if isinstance(command, str) else ""

    @property
    def args(self) -> tuple[str, ...]:
        args = self.raw.get("args")
        return tuple(a for a in args if isinstance(a, str)) if isinstance(args, list) else ()

    @property
    def env(self) -> dict[str, str]:
        return _string_map(self.raw.get("env"))

    @property
    def server_argv(self) -> list[str]:
        return [self.command, *self.args]

    @property
    def secrets(self) -> tuple[str, ...]:
        return ()

    def to_json(self) -> dict[str, Any]:
        return dict(self.raw)


@dataclass(frozen=True)
class LauncherEntry:
    """`plugboard run NAME [--secret KEY]... -- COMMAND ARGS`: the launcher starts COMMAND with the keyring's KEYs."""

    name: str
    command: str
    args: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    program: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    via = RUN

    @classmethod
    def new(
        cls,
        name: str,
        command: str,
        args: Sequence[str] = (),
        *,
        secrets: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> LauncherEntry:
        """A launcher entry that runs `plugboard` through the per-user shim (`install.entry_command`)."""
        from plugboard.core.install import entry_command

        return cls(name, command, tuple(args), tuple(secrets), dict(env or {}), entry_command())

    @property
    def server_argv(self) -> list[str]:
        """The real server's command line: what the launcher starts."""
        return [self.command, *self.args]

    def to_json(self) -> dict[str, Any]:
        words = [RUN, self.name]
        for key in self.secrets:
            words += ["--secret", key]
        entry: dict[str, Any] = {"command": self.program, "args": [*words, "--", self.command, *self.args]}
        if self.env:
            entry["env"] = dict(self.env)
        entry.update(self.extra)
        return entry


@dataclass(frozen=True)
class ProxyEntry:
    """`plugboard proxy NAME URL [--ssh P] [--header 'K: V']... [--bearer-secret KEY] [--timeout S]
    [--oauth] [--client-id ID] [--scope S]`."""

    name: str
    url: str
    ssh: str | None = None
    headers: tuple[str, ...] = ()
    bearer_secret: str | None = None
    timeout: str | None = None
    """Seconds, as written (`--timeout 30`): kept as text so an entry reads back exactly as it was written."""
    oauth: bool = False
    """The remote server wants an OAuth sign-in (`bridge.oauth`); tokens live in the keyring, never here."""
    client_id: str | None = None
    """A client id registered with the server's authorization server (else the bridge registers one itself)."""
    scope: str | None = None
    """The scopes to ask for, space-separated as written (else the server's challenge names them)."""
    env: Mapping[str, str] = field(default_factory=dict)
    program: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    via = PROXY

    @classmethod
    def new(
        cls,
        name: str,
        url: str,
        *,
        ssh: str | None = None,
        headers: Sequence[str] = (),
        bearer_secret: str | None = None,
        timeout_s: float | None = None,
        oauth: bool = False,
        client_id: str | None = None,
        scope: str | None = None,
    ) -> ProxyEntry:
        """A proxy entry that runs `plugboard` through the per-user shim. Checking the URL and the headers is the
        bridge's job (`bridge.run.proxy_entry`, `bridge.oauth.entry`), before an entry is built. A client id or a
        scope means OAuth: `oauth` is then set whatever was passed."""
        from plugboard.core.install import entry_command

        timeout = f"{timeout_s:g}" if timeout_s else None
        oauth = oauth or bool(client_id) or bool(scope)
        return cls(
            name,
            url,
            ssh,
            tuple(headers),
            bearer_secret,
            timeout,
            oauth,
            client_id or None,
            scope or None,
            program=entry_command(),
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """The keyring secrets the proxy itself reads by flag (header values name theirs: `bridge.headers`)."""
        return (self.bearer_secret,) if self.bearer_secret else ()

    @property
    def server_argv(self) -> list[str]:
        """What Claude starts: the proxy itself."""
        return [self.program, *self.to_json()["args"]]

    def to_json(self) -> dict[str, Any]:
        args = [PROXY, self.name, self.url]
        if self.ssh:
            args += ["--ssh", self.ssh]
        for spec in self.headers:
            args += ["--header", spec]
        if self.bearer_secret:
            args += ["--bearer-secret", self.bearer_secret]
        if self.timeout:
            args += ["--timeout", self.timeout]
        if self.oauth:
            args.append("--oauth")
        if self.client_id:
            args += ["--client-id", self.client_id]
        if self.scope:
            args += ["--scope", self.scope]
        entry: dict[str, Any] = {"command": self.program, "args": args}
        if self.env:
            entry["env"] = dict(self.env)
        entry.update(self.extra)
        return entry


Entry = LauncherEntry | ProxyEntry | BareEntry


def parse(entry: Mapping[str, Any]) -> Entry:
    """The typed form of one `mcpServers` entry. Never raises (see the module docstring)."""
    bare = BareEntry(dict(entry))
    command, args, env = entry.get("command"), entry.get("args"), entry.get("env")
    if not isinstance(command, str) or not is_plugboard_program(command):
        return bare
    if not isinstance(args, list) or len(args) < 2 or not all(isinstance(a, str) for a in args):
        return bare
    if env is not None and _string_map(env) != env:
        return bare
    extra = {k: v for k, v in entry.items() if k not in _OWN_KEYS}
    verb, name, words = args[0], args[1], args[2:]
    if not name or name.startswith("-"):
        return bare  # `plugboard run` / `proxy` would read such a NAME as an option
    if verb == RUN:
        split = split_launcher_words(words)
        if split is None or not split[1]:
            return bare
        secrets, server = split
        return LauncherEntry(name, server[0], tuple(server[1:]), tuple(secrets), dict(env or {}), command, extra)
    if verb == PROXY and words and not words[0].startswith("-"):
        flags = _proxy_flags(words[1:])
        if flags is None:
            return bare
        return ProxyEntry(name, words[0], env=dict(env or {}), program=command, extra=extra, **flags)
    return bare


def split_launcher_words(words: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """(secret keys, server argv) from the words after NAME in `run NAME [--secret KEY]... [--] COMMAND ...`, as
    the launcher reads them: after `--` everything is the server's; without `--` the first word that is not
    `--secret` starts the command. None when a `--secret` has no KEY."""
    secrets: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            return secrets, list(words[i + 1 :])
        if word == "--secret":
            if i + 1 >= len(words):
                return None
            secrets.append(words[i + 1])
            i += 2
        elif word.startswith("--secret="):
            secrets.append(word.removeprefix("--secret="))
            i += 1
        else:
            return secrets, list(words[i:])
    return secrets, []


def _proxy_flags(words: Sequence[str]) -> dict[str, Any] | None:
    found: dict[str, Any] = {"headers": ()}
    i = 0
    while i < len(words):
        if words[i] in _PROXY_SWITCHES:
            found[_PROXY_SWITCHES[words[i]]] = True
            i += 1
            continue
        flag, eq, inline = words[i].partition("=")
        if flag not in _PROXY_FLAGS:
            return None
        if eq:
            value, i = inline, i + 1
        elif i + 1 < len(words):
            value, i = words[i + 1], i + 2
        else:
            return None
        key = _PROXY_FLAGS[flag]
        # As `plugboard proxy` reads them (argparse): headers add up, any other flag given twice keeps its last value.
        found[key] = (*found["headers"], value) if key == "headers" else value
    return found


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
