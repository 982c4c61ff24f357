"""The Connectors page's small questions, each a non-modal dialog the page opens and answers through `finished`:

- `RemoveDialog`: remove a connector, and (ticked when it has any) delete its saved secrets from the keychain too;
- `RepairDialog`: what a repair of Claude's file would change, applied only when the person agrees;
- `LauncherDialog`: turning an entry Claude starts directly into one Plugboard starts — an explicit, explained
  choice, never a side effect of saving;
- `SecretDialog`: set (or replace) one secret; the value is trimmed of the spaces and line breaks around it, and the
  page says so.

They only ask: the page does the work on a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.probe.verdict import secret_words


def _label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class _Question(QDialog):
    def __init__(self, title: str, yes: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.body = QVBoxLayout(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.yes = self.buttons.addButton(yes, QDialogButtonBox.ButtonRole.AcceptRole)
        self.yes.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def finish_layout(self) -> None:
        self.body.addWidget(self.buttons)
        self.setMinimumWidth(380)


class RemoveDialog(_Question):
    def __init__(self, name: str, secret_keys: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__("Remove connector", "Remove", parent)
        self.body.addWidget(
            _label(f"Remove “{name}”? Claude will no longer have it. Undo brings it back, with its secrets.")
        )
        self.delete_secrets = QCheckBox()
        if secret_keys:
            words = ", ".join(secret_words(k) for k in secret_keys)
            self.delete_secrets.setText(f"Also delete {words} from the keychain")
            self.delete_secrets.setChecked(True)
            self.body.addWidget(self.delete_secrets)
        else:
            self.delete_secrets.hide()
        self.finish_layout()


class RepairDialog(_Question):
    def __init__(self, problem: str, actions: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__("Repair Claude's settings file", "Repair", parent)
        self.body.addWidget(_label(problem))
        changes = "\n".join(f"• {a[:1].upper()}{a[1:]}" for a in actions)
        self.changes = _label(f"Plugboard will:\n{changes}")
        self.body.addWidget(self.changes)
        self.body.addWidget(
            _label("Nothing else changes, and Plugboard keeps a copy of the file as it is now (Backups…).")
        )
        self.finish_layout()


class LauncherDialog(_Question):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__("Let Plugboard start it", "Let Plugboard start it", parent)
        self.body.addWidget(
            _label(
                f"Claude Desktop starts “{name}” itself. If Plugboard starts it instead, Plugboard finds the "
                "program wherever it is installed, hands it the secrets from your keychain, and records why it "
                "stops, so this list can tell you."
            )
        )
        self.body.addWidget(
            _label(
                "Claude's settings then name Plugboard's small launcher in front of the same program. It keeps "
                "working when the Plugboard window is closed, and Undo turns it back."
            )
        )
        self.finish_layout()


class SecretDialog(_Question):
    def __init__(self, name: str, key: str, parent: QWidget | None = None) -> None:
        super().__init__("Set a secret", "Save in the keychain", parent)
        self.name = name
        self.key = key
        self.body.addWidget(
            _label(f"Paste {secret_words(key)} for “{name}”. It is kept in your keychain, never in a file.")
        )
        self.value = QLineEdit()
        self.value.setEchoMode(QLineEdit.EchoMode.Password)
        self.value.setAccessibleName(f"{secret_words(key)} for {name}")
        self.value.setPlaceholderText(key)
        self.body.addWidget(self.value)
        self.yes.setEnabled(False)
        self.value.textChanged.connect(lambda text: self.yes.setEnabled(bool(text.strip())))
        self.finish_layout()
