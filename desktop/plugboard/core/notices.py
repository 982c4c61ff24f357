"""Things the core did on its own that a person must hear about, as plain-Python events.

Some protections act without being asked: putting back a connector that was switched on but has vanished from
Claude's file (Claude Desktop wrote its older copy over it), say. Whoever shows messages subscribes here — the
`plugboard` command prints each notice as one line on stderr, the app shows it — and the core only `emit`s.
Listeners are called on the emitting thread (the app marshals them onto its GUI thread itself).

At the bottom of the core (no imports), so any layer may emit and the command line may subscribe without loading
anything heavy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    text: str
    """One sentence in plain words, the next step included where there is one."""
    kind: str
    """What happened, for code that filters: "restored" (connectors put back), "restore-failed"."""
    names: tuple[str, ...] = ()
    """The connectors it is about."""


Listener = Callable[[Notice], None]

_listeners: list[Listener] = []
_guard = threading.Lock()


def subscribe(listener: Listener) -> Callable[[], None]:
    """Call `listener` with every notice from now on; returns the function that stops it."""
    with _guard:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _guard:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe


def emit(notice: Notice) -> None:
    with _guard:
        listeners = list(_listeners)
    for listener in listeners:
        listener(notice)
