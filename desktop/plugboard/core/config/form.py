"""The connector form's rules, Qt-free: what a person fills in ↔ the entry written to Claude's config.

A person thinks in "command, arguments, environment variables, some of them secret". Claude's file gets a launcher
entry (`plugboard run NAME [--secret KEY]... -- COMMAND ARGS`, DESIGN.md) whose secret values live in the keyring
only; a plain entry written by hand or another tool opens in the form the same way.
`ConnectorForm` converts both ways, validates as the user types (`problems`), and saves (`save`): secrets to the
keyring first, then the entry, so Claude never starts a launcher entry whose secret is not there yet.

`plugboard add` fills the same form from its flags (`--env`, `--secret`, `--plain`) and asks the same `problems`, so
the command line and the app refuse the same things in the same words (the rules themselves: `adding`). `plain` is
the command line's `--plain`: a bare entry Claude starts directly.

Editing keeps an entry's shape (issue 13): a form opened on an entry Claude starts directly stays `plain` (turning it
into a launcher entry is the person's explicit choice: `plain = False`), a bridge entry (`plugboard proxy …`) is
written back as it is, and a `plugboard` program is never wrapped in the launcher (`plugboard run X -- plugboard
proxy …` would start the bridge inside the launcher). Keys Plugboard does not own (Claude's `extensionId`) ride
along in `extra`. `unchanged` says whether saving would change anything, so Save with no change writes nothing.
Pasted secret values are trimmed of surrounding whitespace (`trimmed`, `adding.trim_secret`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from plugboard.core.config.adding import (
    empty_secret_problem,
    name_problems,
    plain_problems,
    trim_secret,
    variable_problems,
)
from plugboard.core.config.connectors import Connector, Connectors
from plugboard.core.errors import PlugboardError


@dataclass
class EnvVar:
    key: str
    value: str = ""
    secret: bool = False


@dataclass
class ConnectorForm:
    name: str = ""
    command: str = ""
    args: list[str] = field(default_factory=list)
    env: list[EnvVar] = field(default_factory=list)
    plain: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    """Keys of the entry Plugboard does not own (Claude's `extensionId`, ...), written back as they were."""

    @classmethod
    def from_connector(cls, connector: Connector) -> ConnectorForm:
        from plugboard.core.entries import LauncherEntry

        parsed = connector.parsed
        env = [EnvVar(k, v) for k, v in connector.env.items()]
        env += [EnvVar(key, "", secret=True) for key in connector.secret_keys]
        extra = {k: v for k, v in connector.entry.items() if k not in ("command", "args", "env")}
        if isinstance(parsed, LauncherEntry):
            command, *args = connector.server_command or [""]
            return cls(connector.name, command, list(args), env, plain=False, extra=extra)
        # Claude starts it directly (a bare entry, or Plugboard's bridge): it stays so unless the person chooses.
        return cls(connector.name, connector.command, connector.args, env, plain=True, extra=extra)

    @property
    def wraps_plugboard(self) -> bool:
        """The command is a `plugboard` program itself: never put inside the launcher."""
        from plugboard.core.entries import is_plugboard_program

        return is_plugboard_program(self.command)

    def unchanged(self, connector: Connector) -> bool:
        """Saving this form over `connector` would change nothing (no new secret value typed either)."""
        if any(v.secret and v.value for v in self.env):
            return False
        return self == ConnectorForm.from_connector(connector)

    def trimmed(self) -> tuple[ConnectorForm, list[str]]:
        """The form with its typed secret values trimmed (`adding.trim_secret`), and the keys that were."""
        keys: list[str] = []
        env: list[EnvVar] = []
        for var in self.env:
            value, changed = trim_secret(var.value) if var.secret and var.value else (var.value, False)
            if changed:
                keys.append(var.key)
            env.append(replace(var, value=value))
        return replace(self, env=env), keys

    @property
    def secret_keys(self) -> list[str]:
        return [v.key for v in self.env if v.secret]

    def entry(self) -> dict[str, Any]:
        """A launcher entry (PATH repair, status and log for every connector), or with `plain` the bare command."""
        from plugboard.core.entries import LauncherEntry

        plain = {v.key: v.value for v in self.env if not v.secret}
        if self.plain or self.wraps_plugboard:
            entry: dict[str, Any] = {"command": self.command, "args": list(self.args)}
            if plain:
                entry["env"] = plain
            entry.update(self.extra)
            return entry
        launcher = LauncherEntry.new(self.name, self.command, self.args, secrets=self.secret_keys, env=plain)
        return replace(launcher, extra=dict(self.extra)).to_json()

    def problems(
        self,
        *,
        resolve: Callable[[str], object] | None = None,
        has_secret: Callable[[str, str], bool] | None = None,
        taken: Callable[[str], bool] | None = None,
    ) -> list[str]:
        """Every reason the form cannot be saved yet, as sentences; empty when it can."""
        found = name_problems(self.name)
        if not found and taken is not None and taken(self.name):
            found.append(f'A connector called "{self.name}" already exists.')
        if not self.command.strip():
            found.append("Say which program to run.")
        elif resolve is not None:
            try:
                resolve(self.command)
            except PlugboardError as exc:
                found.append(_sentence(str(exc)))
        found += variable_problems((v.key, v.secret) for v in self.env)
        found += plain_problems(self.plain, self.secret_keys)
        for var in self.env:
            if not var.secret or self.plain:
                continue
            if var.value and not var.value.strip():
                found.append(empty_secret_problem(var.key))  # typed, but only spaces
            elif not var.value and self._unset(var.key, has_secret):
                found.append(empty_secret_problem(var.key))
        return found

    def _unset(self, key: str, has_secret: Callable[[str, str], bool] | None) -> bool:
        """A secret left empty here has no value in the keyring either (unknown without `has_secret` or a name)."""
        return has_secret is not None and not name_problems(self.name) and not has_secret(self.name, key)

    def save(self, connectors: Connectors, original: str | None = None) -> bool:
        """Store new secret values, then write the entry: add, or replace `original` (renaming when it changed).
        Returns whether anything was written: a form saved without a change writes nothing."""
        from plugboard.core.secrets import keyring as secrets

        if original is not None and self.unchanged(connectors.get(original)):
            return False
        for var in self.env:
            if var.secret and var.value:
                secrets.set_secret(self.name, var.key, var.value)
        entry = self.entry()
        if original is None:
            connectors.add(self.name, entry)
        elif original == self.name:
            connectors.replace(self.name, entry)
        else:
            connectors.add(self.name, entry)
            connectors.remove(original)
        return True


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else text
