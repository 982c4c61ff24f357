"""Host-key consent in the app: the dialog for an unknown or a changed server key, and the adapter that shows the
core's questions (`core.tunnel.consent.HostKeyConsent`) as dialogs.

The rules are the core's (`core.tunnel.hostkeys`, `core.tunnel.consent`): an unknown host is checked after key
exchange and before any login, and needs consent; a changed key is refused, full stop; a question waits with a
deadline and can be cancelled. This module only asks:

- `HostKeyDialog` for an unknown host shows the SHA256 fingerprint (selectable, monospace) and offers
  "Trust and connect" beside Cancel, with Cancel the default button — Enter must never trust a key by accident.
  For a changed key it shows the old and new fingerprints and where the old one is written, and has no accept
  button at all: the only way forward is the user editing known_hosts, as with OpenSSH.
- `ConsentDialogs` subscribes to a `HostKeyConsent`, re-emits its events as a Qt signal (queued onto the GUI thread,
  where each dialog opens non-modally), answers a question with the dialog's result, and closes a dialog whose
  question was settled elsewhere (cancelled, or past its deadline).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from plugboard.core.tunnel.consent import (
    Asked,
    Changed,
    ConsentEvent,
    Dismissed,
    HostKeyConsent,
    HostKeyProblem,
    Question,
    Settled,
)
from plugboard.core.tunnel.hostkeys import UnknownHostKeyError, host_entry


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


class ConsentDialogs(QObject):
    """Shows `consent`'s questions and changed keys as dialogs over `parent_widget`; lives on the GUI thread."""

    shown = Signal(object)
    """A `HostKeyDialog` was opened (tests and the window may look at it)."""
    _arrived = Signal(object)

    def __init__(self, consent: HostKeyConsent, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self.consent = consent
        self._parent_widget = parent_widget
        self.dialogs: list[HostKeyDialog] = []
        self._asking: dict[Question, HostKeyDialog] = {}
        self._closed = False
        # Events come from tunnel threads: Qt queues the call onto this object's (the GUI) thread.
        self._arrived.connect(self._on_event)
        self._unsubscribe = consent.subscribe(self._arrived.emit)

    def close(self) -> None:
        """Answer every open question "no", refuse later ones, close the dialogs and stop listening (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.consent.cancel_all(closing=True)
        self._unsubscribe()
        for dialog in list(self.dialogs):
            dialog.reject()

    def _on_event(self, event: ConsentEvent) -> None:
        if self._closed:
            return
        if isinstance(event, Asked):
            if not event.question.answered:  # cancelled before the dialog could open
                self._ask(event.question)
        elif isinstance(event, Settled):
            dialog = self._asking.pop(event.question, None)
            if dialog is not None:
                dialog.reject()  # answered elsewhere (cancelled, or too late): the dialog has nothing left to ask
        elif isinstance(event, Changed):
            self._open(HostKeyDialog(event.problem, self._parent_widget), None)
        elif isinstance(event, Dismissed):
            for dialog in list(self.dialogs):
                if event.about(dialog.problem):
                    dialog.reject()

    def _ask(self, question: Question) -> None:
        dialog = HostKeyDialog(question.problem, self._parent_widget)
        self._asking[question] = dialog
        self._open(dialog, question)

    def _open(self, dialog: HostKeyDialog, question: Question | None) -> None:
        def finished(result: int) -> None:
            if question is not None:
                self._asking.pop(question, None)
                question.answer(result == QDialog.DialogCode.Accepted)
            if dialog in self.dialogs:
                self.dialogs.remove(dialog)
            dialog.deleteLater()

        dialog.finished.connect(finished)
        self.dialogs.append(dialog)
        dialog.open()
        self.shown.emit(dialog)
