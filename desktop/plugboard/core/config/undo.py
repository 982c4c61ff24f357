"""The app's undo history: each change made through the app records how to reverse it, several steps deep.

Undo is by meaning, not by restoring a file backup: a backup of Claude's file alone would lose a connector that was
parked in Plugboard's store in between. Reversal uses the same connector operations as everything else, so it keeps
the same guarantees (disable ↔ enable stays byte-exact). The steps cover every change the app makes: a switch, an
add, an edit, a remove (with the keychain secrets it deleted, held in memory only, never in a file), a restore of a
backup, an import and an apply of staged switches.

A restore is undone by writing back the bytes the file held before it, and only if the file still holds what the
restore wrote (`claude_file.write_bytes(expected=...)`): a file changed since is never overwritten by an undo.

`History` keeps the newest `DEPTH` steps; `forget(name)` drops the steps that would bring back a connector's old
entry (after its plaintext secrets moved to the keychain, undoing must not put them back in the file).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from plugboard.core.config import claude_file
from plugboard.core.config.connectors import Connector, Connectors

# Enough for an afternoon's tidying; a step is a few hundred bytes.
DEPTH = 30


@dataclass(frozen=True)
class Step:
    label: str
    """What was done, for people: 'switched off "github"'; the undo button says "Undo: switched off github"."""
    apply: Callable[[Connectors], None]
    """Reverses the change (runs on a worker: it writes Claude's file)."""
    names: tuple[str, ...] = ()
    """The connectors this step would write back."""
    when: float = field(default_factory=time.time)

    def holds(self, name: str) -> bool:
        return name in self.names


class History:
    """The newest `depth` steps, newest last."""

    def __init__(self, depth: int = DEPTH) -> None:
        self.depth = depth
        self._steps: list[Step] = []

    def push(self, step: Step | None) -> None:
        if step is None:
            return
        self._steps.append(step)
        del self._steps[: -self.depth]

    def pop(self) -> Step | None:
        return self._steps.pop() if self._steps else None

    def peek(self) -> Step | None:
        return self._steps[-1] if self._steps else None

    def steps(self) -> list[Step]:
        """Newest first."""
        return list(reversed(self._steps))

    def forget(self, name: str) -> int:
        """Drop the steps that would write back an old entry of `name`; how many were dropped."""
        before = len(self._steps)
        self._steps = [s for s in self._steps if not s.holds(name)]
        return before - len(self._steps)

    def clear(self) -> None:
        self._steps.clear()

    def __len__(self) -> int:
        return len(self._steps)

    def __bool__(self) -> bool:
        return bool(self._steps)


def after_toggle(name: str, now_enabled: bool) -> Step:
    if now_enabled:
        return Step(f'switched on "{name}"', lambda c: c.disable(name), (name,))
    return Step(f'switched off "{name}"', lambda c: c.enable(name), (name,))


def after_add(name: str) -> Step:
    return Step(f'added "{name}"', lambda c: c.remove(name), (name,))


def after_remove(before: Connector, index: int, secrets: Mapping[str, str] | None = None) -> Step:
    """`secrets`: the keychain values the remove deleted (KEY → value), put back first on undo. Memory only."""
    kept = dict(secrets or {})

    def put_back(connectors: Connectors) -> None:
        if kept:
            from plugboard.core.secrets.keyring import set_secret

            for key, value in kept.items():
                set_secret(before.name, key, value)
        connectors.add(before.name, before.entry, index=index)
        if not before.enabled:
            connectors.disable(before.name)

    return Step(f'removed "{before.name}"', put_back, (before.name,))


def after_edit(before: Connector, new_name: str) -> Step:
    def revert(connectors: Connectors) -> None:
        if new_name != before.name:
            connectors.remove(new_name)
            connectors.add(before.name, before.entry)
        else:
            connectors.replace(before.name, before.entry)

    return Step(f'changed "{before.name}"', revert, (before.name, new_name))


def after_restore(before: bytes | None, after: bytes, backup_label: str) -> Step:
    """A restore wrote `after` over `before`: undoing writes `before` back, if the file still holds `after`."""

    def revert(connectors: Connectors) -> None:
        if before is None:
            return
        claude_file.write_bytes(connectors.path, before, connectors.dirs, reason="before-undo", expected=after)

    return Step(f"restored {backup_label}", revert)


def after_import(added: Iterable[str]) -> Step | None:
    names = tuple(added)
    if not names:
        return None

    def revert(connectors: Connectors) -> None:
        present = {c.name for c in connectors.all()}
        for name in names:
            if name in present:
                connectors.remove(name)

    shown = ", ".join(f'"{n}"' for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return Step(f"imported {shown}", revert, names)


def after_apply(changes: Mapping[str, bool]) -> Step | None:
    """Staged switches written by an apply (name → the position written)."""
    applied = dict(changes)
    if not applied:
        return None

    def revert(connectors: Connectors) -> None:
        for name, wanted in applied.items():
            if wanted:
                connectors.disable(name)
            else:
                connectors.enable(name)

    count = len(applied)
    return Step(f"applied {count} switch{'es' if count != 1 else ''}", revert, tuple(applied))
