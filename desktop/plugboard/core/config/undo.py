"""One-step undo for the app: each change made through the GUI records how to reverse it.

Undo is by meaning, not by restoring a file backup: a backup of Claude's file alone would lose a connector that
was parked in Plugboard's store in between. Reversal uses the same connector operations as everything else, so it
keeps the same guarantees (disable ↔ enable stays byte-exact).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from plugboard.core.config.connectors import Connector, Connectors


@dataclass(frozen=True)
class Undo:
    label: str
    """What undoing does, for the button's tooltip: 'Undo: disable "github"'."""
    apply: Callable[[Connectors], None]


def after_toggle(name: str, now_enabled: bool) -> Undo:
    if now_enabled:
        return Undo(f'disable "{name}" again', lambda c: c.disable(name))
    return Undo(f'enable "{name}" again', lambda c: c.enable(name))


def after_add(name: str) -> Undo:
    return Undo(f'remove "{name}" again', lambda c: c.remove(name))


def after_remove(before: Connector, index: int) -> Undo:
    def put_back(connectors: Connectors) -> None:
        connectors.add(before.name, before.entry, index=index)
        if not before.enabled:
            connectors.disable(before.name)

    return Undo(f'bring "{before.name}" back', put_back)


def after_edit(before: Connector, new_name: str) -> Undo:
    def revert(connectors: Connectors) -> None:
        if new_name != before.name:
            connectors.remove(new_name)
            connectors.add(before.name, before.entry)
        else:
            connectors.replace(before.name, before.entry)

    return Undo(f'undo the changes to "{before.name}"', revert)
