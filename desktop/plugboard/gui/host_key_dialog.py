"""Host-key consent in the app: the dialog for an unknown or a changed server key, and the bridge that lets a
tunnel's own thread ask the user and wait for the answer.

The rules are the core's (`core.tunnel.hostkeys`): an unknown host is checked after key exchange and before any
login, and needs consent; a changed key is refused, full stop. This module only shows them:

- `HostKeyDialog` for an unknown host shows the SHA256 fingerprint (selectable, monospace) and offers
  "Trust and connect" beside Cancel, with Cancel the default button — Enter must never trust a key by accident.
  For a changed key it shows the old and new fingerprints and where the old one is written, and has no accept
  button at all: the only way forward is the user editing known_hosts, as with OpenSSH.
- `HostKeyConsent` is called by `Tunnel` on its supervisor thread (`confirm_host_key=consent.confirm`). It
  re-emits the question as a Qt signal (queued onto the GUI thread, where the dialog opens non-modally) and
  waits on an Event with a deadline. `cancel_all()` answers every open question "no" at once, so closing a page
  or a wizard never leaves a tunnel thread waiting for a dialog nobody will see.
- `ConsentKnownHosts` is `KnownHosts` that also tells the app about a changed key (the tunnel only reports a
  one-line problem, and the dialog wants both fingerprints as values, not parsed out of a sentence).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from plugboard.core.tunnel.hostkeys import ChangedHostKeyError, KnownHosts, UnknownHostKeyError, host_entry

# How long a tunnel thread waits for the user to decide about an unknown key. Checking a fingerprint with a
# server's owner can take a few minutes; past this the question is dropped (answered "no") so no thread waits
# forever on a dialog that was, say, hidden behind another window and forgotten. sshd drops a login that has
# not authenticated after its LoginGraceTime (120 s by default); the tunnel then simply reconnects, and the key
# accepted meanwhile is known.
CONSENT_WAIT_S = 600.0

HostKeyProblem = UnknownHostKeyError | ChangedHostKeyError


def key_type_label(key_type: str) -> str:
    """`ssh-ed25519` → `ED25519`, `ecdsa-sha2-nistp256` → `ECDSA`, `ssh-rsa` → `RSA` (as ssh-keygen -l says)."""
    if key_type.startswith("ecdsa"):
        return "ECDSA"
    return key_type.removeprefix("ssh-").upper()


class HostKeyDialog(QDialog):
    def __init__(self, problem: HostKeyProblem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.problem = problem
        where = host_entry(problem.host, problem.port)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        layout = QVBoxLayout(self)
        self.buttons = QDialogButtonBox()
        self.trust_button: QPushButton | None = None

        def label(text: str, *, fixed: bool = False) -> QLabel:
            widget = QLabel(text)
            widget.setWordWrap(True)
            widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if fixed:
                widget.setFont(mono)
                widget.setAccessibleName("Fingerprint")
            layout.addWidget(widget)
            return widget

        if isinstance(problem, UnknownHostKeyError):
            self.setWindowTitle("Is this the right server?")
            kind = key_type_label(problem.key_type)
            self.headline = label(f"<b>Plugboard has not connected to {where} before.</b>")
            label(f"The server identifies itself with this {kind} key fingerprint:")
            self.fingerprint = label(problem.fingerprint, fixed=True)
            label(
                "Compare it with the fingerprint your server shows (on the server: "
                f"<tt>ssh-keygen -lf /etc/ssh/ssh_host_{kind.lower()}_key.pub</tt>, or your provider's console). "
                "Trust it only if they match: a different fingerprint means you may not be talking to your server."
            )
            self.trust_button = self.buttons.addButton("&Trust and connect", QDialogButtonBox.ButtonRole.AcceptRole)
            self.trust_button.setAutoDefault(False)
            cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
            self.cancel_button = cancel
        else:
            self.setWindowTitle("The server's identity changed")
            self.headline = label(f"<b>Plugboard refused to connect to {where}: its key changed.</b>")
            label(
                "This happens when a server is rebuilt, and also when someone intercepts the connection. "
                "Nothing was sent to the server."
            )
            self.fingerprint = label(
                f"Known:   {problem.old_fingerprint}\nOffered: {problem.new_fingerprint}",
                fixed=True,
            )
            label(
                f"The known key is written in {problem.source}. If you rebuilt the server, remove its line for "
                f"{where} from that file, then connect again."
            )
            cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
            self.cancel_button = cancel
        cancel.setDefault(True)
        cancel.setFocus()
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.setMinimumWidth(520)

    def text(self) -> str:
        """Everything the dialog says, for tests and screen readers' summaries."""
        return "\n".join(w.text() for w in self.findChildren(QLabel))


@dataclass(eq=False)
class _Question:
    problem: UnknownHostKeyError
    answered: threading.Event = field(default_factory=threading.Event)
    accepted: bool = False


class HostKeyConsent(QObject):
    """Asks the user about host keys on behalf of tunnel threads; lives on (and shows dialogs from) the GUI thread."""

    shown = Signal(object)
    """A `HostKeyDialog` was opened (tests and the window may look at it)."""
    _asked = Signal(object)
    _changed = Signal(object)
    _expired = Signal(object)

    def __init__(self, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self._parent_widget = parent_widget
        self._lock = threading.Lock()
        self._open: dict[_Question, HostKeyDialog | None] = {}
        self._closed = False
        self.dialogs: list[HostKeyDialog] = []
        # Emitted from tunnel threads: Qt queues the call onto this object's (the GUI) thread.
        self._asked.connect(self._show_question)
        self._changed.connect(self._show_changed)
        self._expired.connect(lambda dialog: dialog.reject())

    # -- called on tunnel threads ---------------------------------------------------------------------------------

    def confirm(self, problem: UnknownHostKeyError) -> bool:
        """Ask the user whether to trust `problem`'s key; blocks this (non-GUI) thread until answered or cancelled."""
        question = _Question(problem)
        with self._lock:
            if self._closed:
                return False
            self._open[question] = None
        self._asked.emit(question)
        answered = question.answered.wait(CONSENT_WAIT_S)
        with self._lock:
            dialog = self._open.pop(question, None)
        if not answered and dialog is not None:
            self._expired.emit(dialog)  # closed on the GUI thread; too late to count as consent
        return answered and question.accepted

    def report_changed(self, problem: ChangedHostKeyError) -> None:
        """Show the refusal of a changed key (does not block)."""
        with self._lock:
            if self._closed:
                return
        self._changed.emit(problem)

    def waiting(self) -> int:
        """How many questions are waiting for the user (any thread)."""
        with self._lock:
            return len(self._open)

    # -- GUI thread -----------------------------------------------------------------------------------------------

    def _show_question(self, question: _Question) -> None:
        with self._lock:
            if question not in self._open or question.answered.is_set():
                return  # cancelled before the dialog could open
        dialog = HostKeyDialog(question.problem, self._parent_widget)
        with self._lock:
            self._open[question] = dialog

        def finished(result: int) -> None:
            question.accepted = result == QDialog.DialogCode.Accepted
            question.answered.set()
            if dialog in self.dialogs:
                self.dialogs.remove(dialog)
            dialog.deleteLater()

        dialog.finished.connect(finished)
        self.dialogs.append(dialog)
        dialog.open()
        self.shown.emit(dialog)

    def _show_changed(self, problem: ChangedHostKeyError) -> None:
        with self._lock:
            if self._closed:
                return
        dialog = HostKeyDialog(problem, self._parent_widget)

        def finished(_result: int) -> None:
            if dialog in self.dialogs:
                self.dialogs.remove(dialog)
            dialog.deleteLater()

        dialog.finished.connect(finished)
        self.dialogs.append(dialog)
        dialog.open()
        self.shown.emit(dialog)

    def cancel_all(self, *, closing: bool = False) -> None:
        """Answer every open question "no" and close the dialogs; with `closing`, refuse all later ones too."""
        with self._lock:
            if closing:
                self._closed = True
        self._cancel(lambda _problem: True)

    def cancel_for(self, host: str, port: int) -> None:
        """Answer "no" to the questions (and close the dialogs) about one server, e.g. when its tunnel is closed."""
        self._cancel(lambda problem: (problem.host, problem.port) == (host, port))

    def _cancel(self, about: Callable[[HostKeyProblem], bool]) -> None:
        with self._lock:
            questions = [q for q in self._open if about(q.problem)]
        for question in questions:
            question.accepted = False
            question.answered.set()
        for dialog in list(self.dialogs):
            if about(dialog.problem):
                dialog.reject()


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
