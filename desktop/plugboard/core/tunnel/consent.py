"""Host-key consent for tunnels run by the app: questions asked on tunnel threads, answered by whoever shows them.

The rules are `hostkeys`': an unknown host needs consent before any login; a changed key is refused, full stop. This
module is the waiting and the bookkeeping around them, Qt-free, so a dialog (gui/host_key_dialog.py) only asks:

- `HostKeyConsent.confirm` is what a `Tunnel` calls on its supervisor thread (`confirm_host_key=consent.confirm`).
  It posts a `Question` to the subscribers and blocks that thread until the question is answered, cancelled or
  `CONSENT_WAIT_S` has passed. The first answer wins (`Question.answer`), so a dialog accepted just after the
  deadline or after a cancel does not count as consent.
- `cancel_all` answers every open question "no" at once (with `closing`, every later one too), and `cancel_for`
  those about one server, so closing a page, a wizard or one tunnel never leaves a thread waiting for an answer
  nobody will give.
- `report_changed` passes a changed key on to the subscribers; `known_hosts()` gives the `KnownHosts` that calls it,
  so the subscriber gets both fingerprints as values, not parsed out of the tunnel's one-line problem.

Subscribers hear `Asked(question)`, `Settled(question)` (answered by anyone, cancelled or expired: close what shows
it), `Changed(problem)` and `Dismissed(host, port)` (a cancel: close the changed-key notices about that server too),
on the thread that caused them; a Qt adapter re-emits them onto the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from plugboard.core.listeners import Listeners
from plugboard.core.paths import plugboard_dirs
from plugboard.core.tunnel.hostkeys import ChangedHostKeyError, KnownHosts, UnknownHostKeyError

log = logging.getLogger(__name__)

# How long a tunnel thread waits for the user to decide about an unknown key. Checking a fingerprint with a
# server's owner can take a few minutes; past this the question is dropped (answered "no") so no thread waits
# forever on a dialog that was, say, hidden behind another window and forgotten. sshd drops a login that has
# not authenticated after its LoginGraceTime (120 s by default); the tunnel then simply reconnects, and the key
# accepted meanwhile is known.
CONSENT_WAIT_S = 600.0

HostKeyProblem = UnknownHostKeyError | ChangedHostKeyError


@dataclass(eq=False)
class Question:
    """One unknown host key waiting for a yes or a no."""

    problem: UnknownHostKeyError
    _answered: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _accepted: bool = False

    def answer(self, accepted: bool) -> bool:
        """Record the answer if none was recorded yet; whether this call's answer is the one that counts."""
        with self._lock:
            if self._answered.is_set():
                return False
            self._accepted = accepted
            self._answered.set()
            return True

    @property
    def answered(self) -> bool:
        return self._answered.is_set()

    @property
    def accepted(self) -> bool:
        with self._lock:
            return self._answered.is_set() and self._accepted

    def wait(self, timeout: float) -> bool:
        return self._answered.wait(timeout)


@dataclass(frozen=True)
class Asked:
    question: Question


@dataclass(frozen=True)
class Settled:
    question: Question


@dataclass(frozen=True)
class Changed:
    problem: ChangedHostKeyError


@dataclass(frozen=True)
class Dismissed:
    """Close what still shows a changed key about this server (`host` None: about every server)."""

    host: str | None = None
    port: int | None = None

    def about(self, problem: HostKeyProblem) -> bool:
        return self.host is None or (problem.host, problem.port) == (self.host, self.port)


ConsentEvent = Asked | Settled | Changed | Dismissed


class HostKeyConsent:
    """Host-key questions from tunnel threads, and the people (or dialogs) who answer them."""

    def __init__(self, *, wait_s: float = CONSENT_WAIT_S) -> None:
        self.wait_s = wait_s
        self._lock = threading.Lock()
        self._open: list[Question] = []
        self._listeners: Listeners[[ConsentEvent]] = Listeners("host-key consent", log)
        self._closed = False

    def subscribe(self, callback: Callable[[ConsentEvent], None]) -> Callable[[], None]:
        """Call `callback(event)` for every event, from the thread that caused it; returns the unsubscribe function."""
        return self._listeners.subscribe(callback)

    def _emit(self, event: ConsentEvent) -> None:
        self._listeners.emit(event)

    # -- called on tunnel threads ---------------------------------------------------------------------------------

    def confirm(self, problem: UnknownHostKeyError) -> bool:
        """Whether the user trusts `problem`'s key; blocks this (non-GUI) thread until answered, cancelled or late."""
        question = Question(problem)
        with self._lock:
            if self._closed:
                return False
            self._open.append(question)
        self._emit(Asked(question))
        if not question.wait(self.wait_s):
            question.answer(False)  # too late: a dialog accepted from now on does not count
        with self._lock:
            if question in self._open:
                self._open.remove(question)
        self._emit(Settled(question))
        return question.accepted

    def report_changed(self, problem: ChangedHostKeyError) -> None:
        """Pass a refused changed key on to the subscribers (does not block)."""
        with self._lock:
            if self._closed:
                return
        self._emit(Changed(problem))

    def known_hosts(self, own_file: Path | None = None, user_file: Path | None = None) -> KnownHosts:
        """The known-hosts check for tunnels asking through this consent: a changed key is also reported here."""
        return ConsentKnownHosts(own_file or plugboard_dirs().known_hosts, self.report_changed, user_file)

    # -- any thread -----------------------------------------------------------------------------------------------

    def waiting(self) -> int:
        """How many questions are waiting for an answer."""
        with self._lock:
            return len(self._open)

    def cancel_all(self, *, closing: bool = False) -> None:
        """Answer every open question "no"; with `closing`, refuse all later ones too (safe to call twice)."""
        with self._lock:
            if closing:
                self._closed = True
        self._cancel(Dismissed())

    def cancel_for(self, host: str, port: int) -> None:
        """Answer "no" to the open questions about one server, e.g. when its tunnel is closed."""
        self._cancel(Dismissed(host, port))

    def close(self) -> None:
        self.cancel_all(closing=True)

    def _cancel(self, dismissed: Dismissed) -> None:
        with self._lock:
            questions = [q for q in self._open if dismissed.about(q.problem)]
        for question in questions:
            question.answer(False)  # wakes `confirm`, which removes it and reports it settled
        self._emit(dismissed)


class ConsentKnownHosts(KnownHosts):
    """`KnownHosts` that also hands a changed key to `on_changed` (the tunnel then fails with "hostkey")."""

    def __init__(
        self,
        own_file: Path,
        on_changed: Callable[[ChangedHostKeyError], None],
        user_file: Path | None = None,
    ) -> None:
        super().__init__(own_file, user_file)
        self._on_changed = on_changed

    def check(self, host: str, port: int, key: paramiko.PKey) -> None:
        try:
            super().check(host, port, key)
        except ChangedHostKeyError as exc:
            self._on_changed(exc)
            raise
