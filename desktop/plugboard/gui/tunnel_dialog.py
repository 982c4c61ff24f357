"""Add or edit a tunnel profile in a form, with two shortcuts: import a `~/.ssh/config` Host alias, or paste the
`ssh -L ...` command line a server's README gives.

The core does the reading (`core.tunnel.sshconfig.from_ssh_config` / `from_ssh_command`) and the checking
(`TunnelProfile` refuses what cannot work, with a sentence); this form fills its fields from what the core
returns and shows the core's sentences. A key passphrase or a password typed here goes to the keyring under
`tunnel:NAME` (the profile never holds it); left empty when editing, the stored one is kept.

The name of an existing profile is fixed here: the proxy entries in Claude's config name the profile, so
renaming it would silently break them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from plugboard.core.errors import PlugboardError
from plugboard.core.secrets import keyring as secrets
from plugboard.core.tunnel.profile import (
    AUTH_METHODS,
    PASSPHRASE_KEY,
    PASSWORD_KEY,
    TunnelProfile,
    save_profile,
)
from plugboard.core.tunnel.sshconfig import (
    default_ssh_config_path,
    from_ssh_command,
    from_ssh_config,
    ssh_config_aliases,
)
from plugboard.gui.fit import browse_for_key, fit_to_screen, scrolling
from plugboard.gui.widgets import buddy_label
from plugboard.gui.worker import Workers

AUTH_LABELS = {"agent": "ssh-agent", "key": "Key file", "password": "Password"}
# The usual place of the MCP backend on a trader's droplet (issue 7: default http://127.0.0.1:5000/mcp).
DEFAULT_REMOTE_PORT = 5000


class TunnelDialog(QDialog):
    def __init__(
        self,
        profile: TunnelProfile | None = None,
        *,
        taken: set[str] | None = None,
        ssh_config: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.original = profile
        self.taken = set(taken or ()) - ({profile.name} if profile else set())
        self.ssh_config = ssh_config if ssh_config is not None else default_ssh_config_path()
        self.saved: TunnelProfile | None = None
        self.workers = Workers(self)
        self.setWindowTitle("Edit tunnel" if profile else "Add tunnel")

        # -- shortcuts -------------------------------------------------------------------------------------------
        self.alias = QComboBox()
        self.alias.setAccessibleName("Host from your SSH config")
        self.alias.addItems(ssh_config_aliases(self.ssh_config))
        self.alias_button = QPushButton("Fill in")
        self.alias_button.clicked.connect(self.import_alias)
        if not self.alias.count():
            self.alias.setPlaceholderText(f"no hosts in {self.ssh_config}")
            self.alias.setEnabled(False)
            self.alias_button.setEnabled(False)
        self.command = QLineEdit()
        self.command.setAccessibleName("Pasted ssh command")
        self.command.setPlaceholderText("for example ssh -L 5000:127.0.0.1:5000 root@203.0.113.7")
        self.command_button = QPushButton("Fill in")
        self.command_button.clicked.connect(self.import_command)
        self.command.returnPressed.connect(self.import_command)
        shortcuts = QGroupBox("Start from")
        shortcut_form = QFormLayout(shortcuts)
        alias_row = QHBoxLayout()
        alias_row.addWidget(self.alias, 1)
        alias_row.addWidget(self.alias_button)
        command_row = QHBoxLayout()
        command_row.addWidget(self.command, 1)
        command_row.addWidget(self.command_button)
        shortcut_form.addRow("SSH config host", alias_row)
        shortcut_form.addRow("ssh command", command_row)

        # -- the profile -----------------------------------------------------------------------------------------
        self.name = QLineEdit()
        self.name.setAccessibleName("Tunnel name")
        self.host = QLineEdit()
        self.host.setAccessibleName("Server")
        self.host.setPlaceholderText("for example 203.0.113.7 or droplet.example.com")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(22)
        self.port.setAccessibleName("SSH port")
        self.user = QLineEdit()
        self.user.setAccessibleName("User")
        self.auth = QComboBox()
        self.auth.setAccessibleName("Sign in with")
        for method in AUTH_METHODS:
            self.auth.addItem(AUTH_LABELS[method], method)
        self.key_file = QLineEdit()
        self.key_file.setAccessibleName("Key file")
        self.key_browse = QPushButton("Browse…")
        self.key_browse.clicked.connect(self._browse_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_file, 1)
        key_row.addWidget(self.key_browse)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Passphrase or password")
        self.secret_label = buddy_label("&Passphrase", self.secret)
        self.remote_host = QLineEdit("127.0.0.1")
        self.remote_host.setAccessibleName("Remote host, as the server sees it")
        self.remote_port = QSpinBox()
        self.remote_port.setRange(1, 65535)
        self.remote_port.setValue(DEFAULT_REMOTE_PORT)
        self.remote_port.setAccessibleName("Remote port")
        self.local_port = QSpinBox()
        self.local_port.setRange(0, 65535)
        self.local_port.setSpecialValueText("automatic")
        self.local_port.setAccessibleName("Local port")
        self.jump = QLineEdit()
        self.jump.setAccessibleName("Jump host")
        self.jump.setPlaceholderText("optional, for example user@bastion:22")
        self.auto_start = QCheckBox("Connect when Plugboard starts")
        remote_row = QHBoxLayout()
        remote_row.addWidget(self.remote_host, 1)
        remote_row.addWidget(QLabel(":"))
        remote_row.addWidget(self.remote_port)
        server_row = QHBoxLayout()
        server_row.addWidget(self.host, 1)
        server_row.addWidget(QLabel("port"))
        server_row.addWidget(self.port)

        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow(buddy_label("&Server", self.host), server_row)
        form.addRow("&User", self.user)
        form.addRow("Sign &in with", self.auth)
        form.addRow(buddy_label("&Key file", self.key_file), key_row)
        form.addRow(self.secret_label, self.secret)
        form.addRow(buddy_label("&Remote service", self.remote_host), remote_row)
        form.addRow("&Local port", self.local_port)
        form.addRow("&Jump host", self.jump)
        form.addRow("", self.auto_start)

        self.problem = QLabel()
        self.problem.setObjectName("problems")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problems")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        body = QWidget()
        fields = QVBoxLayout(body)
        fields.setContentsMargins(0, 0, 0, 0)
        fields.addWidget(shortcuts)
        fields.addLayout(form)
        fields.addStretch(1)
        # The fields scroll; what the form says and its buttons stay in reach under them.
        layout = QVBoxLayout(self)
        layout.addWidget(scrolling(body), 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.auth.currentIndexChanged.connect(lambda _i: self._auth_changed())
        fit_to_screen(self, 560, body.sizeHint().height() + self.buttons.sizeHint().height() + 40)

        if profile is not None:
            self.fill(profile)
            self.name.setReadOnly(True)
            self.name.setToolTip("Connectors name their tunnel, so a tunnel keeps its name.")
        else:
            self.auth.setCurrentIndex(AUTH_METHODS.index("key"))
        self._auth_changed()

    # -- filling ---------------------------------------------------------------------------------------------------

    def fill(self, profile: TunnelProfile, *, keep_name: bool = False) -> None:
        if not (keep_name and self.name.text().strip()):
            self.name.setText(profile.name)
        self.host.setText(profile.host)
        self.port.setValue(profile.port)
        self.user.setText(profile.user)
        self.auth.setCurrentIndex(AUTH_METHODS.index(profile.auth))
        self.key_file.setText(profile.key_file or "")
        self.remote_host.setText(profile.remote_host)
        self.remote_port.setValue(profile.remote_port)
        self.local_port.setValue(profile.local_port)
        self.jump.setText(profile.jump or "")
        self.auto_start.setChecked(profile.auto_start)
        self._auth_changed()

    def _suggested_name(self, fallback: str) -> str:
        name = self.name.text().strip()
        if name:
            return name
        cleaned = "".join(c if c.isalnum() or c in "._-" else "-" for c in fallback).strip("-.") or "tunnel"
        return cleaned[:64]

    def import_alias(self) -> None:
        alias = self.alias.currentText()
        if not alias:
            return
        name = self._suggested_name(alias)
        try:
            try:
                profile = from_ssh_config(name, alias, config_path=self.ssh_config)
            except PlugboardError:
                # No LocalForward in the alias: keep the remote service shown in the form.
                forward = f"{self.local_port.value()}:{self.remote_host.text().strip()}:{self.remote_port.value()}"
                profile = from_ssh_config(name, alias, forward=forward, config_path=self.ssh_config)
        except PlugboardError as exc:
            self.problem.setText(exc.plain)
            return
        self.fill(profile, keep_name=True)
        self.problem.setText(f"Filled in from Host {alias} in {self.ssh_config}.")

    def import_command(self) -> None:
        text = self.command.text().strip()
        if not text:
            return
        try:
            profile = from_ssh_command("pasted", text, config_path=self.ssh_config)
        except (PlugboardError, ValueError) as exc:  # ValueError: shlex on unbalanced quotes
            self.problem.setText(f"Cannot read that ssh command: {exc}")
            return
        name = self.name.text().strip() or self._suggested_name(profile.host)
        self.fill(profile.with_changes(name=name))
        self.problem.setText("Filled in from the ssh command.")

    def _browse_key(self) -> None:
        browse_for_key(self, self.key_file)

    def _auth_changed(self) -> None:
        method = self.auth.currentData()
        uses_key = method == "key"
        self.key_file.setEnabled(uses_key)
        self.key_browse.setEnabled(uses_key)
        self.secret.setEnabled(method != "agent")
        self.secret_label.setText("Pass&word" if method == "password" else "&Passphrase")
        stored = self.original is not None and self.original.auth == method and method != "agent"
        if method == "agent":
            self.secret.setPlaceholderText("the agent holds the key")
        elif stored:
            self.secret.setPlaceholderText("stored in the keychain (type to replace)")
        elif uses_key:
            self.secret.setPlaceholderText("leave empty if the key has none")
        else:
            self.secret.setPlaceholderText("kept in the keychain, never in a file")

    # -- saving ----------------------------------------------------------------------------------------------------

    def profile(self) -> TunnelProfile:
        """The profile the form describes (raises PlugboardError with a sentence when it cannot work)."""
        name = self.name.text().strip()
        if not name:
            raise PlugboardError("Give the tunnel a name.")
        if not self.host.text().strip():
            raise PlugboardError("Enter the server's address.")
        if not self.user.text().strip():
            raise PlugboardError("Enter the user to log in as (often root on a droplet).")
        if name in self.taken:
            raise PlugboardError(f'A tunnel called "{name}" already exists; pick another name.')
        base = self.original or TunnelProfile(name=name, host="-", user="-", remote_port=1)
        key_file = self.key_file.text().strip()
        return base.with_changes(
            name=name,
            host=self.host.text().strip(),
            port=self.port.value(),
            user=self.user.text().strip(),
            auth=self.auth.currentData(),
            key_file=str(Path(key_file).expanduser()) if key_file else None,
            remote_host=self.remote_host.text().strip() or "127.0.0.1",
            remote_port=self.remote_port.value(),
            local_port=self.local_port.value(),
            jump=self.jump.text().strip() or None,
            auto_start=self.auto_start.isChecked(),
        )

    def save(self) -> None:
        """Check the form here, then store on a worker (the keychain and the profile store's lock); close when done."""
        if self.workers.busy():
            return
        try:
            profile = self.profile()
            if profile.auth == "key" and not Path(profile.key_file or "").is_file():
                raise PlugboardError(f"There is no key file at {profile.key_file}.")
            secret = self.secret.text()
            had_password = self.original is not None and self.original.auth == "password"
            if profile.auth == "password" and not secret and not had_password:
                raise PlugboardError("Enter the password; it is kept in the keychain.")
        except PlugboardError as exc:
            self.problem.setText(exc.plain)
            return
        key = None
        if secret and profile.auth != "agent":
            key = PASSWORD_KEY if profile.auth == "password" else PASSPHRASE_KEY
        replace_existing = self.original is not None
        self.buttons.setEnabled(False)
        self.problem.setText("Saving…")

        def work() -> TunnelProfile:
            if key is None:
                save_profile(profile, replace_existing=replace_existing)
                return profile
            # The new secret goes in first (a tunnel started from the saved profile must find it); a profile that
            # cannot be saved puts the old secret back, so a failed save changes nothing.
            old = secrets.get_secret(profile.secret_connector, key)
            secrets.set_secret(profile.secret_connector, key, secret)
            try:
                save_profile(profile, replace_existing=replace_existing)
            except BaseException:
                if old is None:
                    secrets.delete_secret(profile.secret_connector, key)
                else:
                    secrets.set_secret(profile.secret_connector, key, old)
                raise
            return profile

        def saved(stored: TunnelProfile) -> None:
            self.buttons.setEnabled(True)
            self.secret.clear()
            self.saved = stored
            self.accept()

        def failed(message: str) -> None:
            self.buttons.setEnabled(True)
            self.problem.setText(message)

        self.workers.start("save", work, saved, failed)

    def done(self, result: int) -> None:
        self.workers.join()
        super().done(result)
