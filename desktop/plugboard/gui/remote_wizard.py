"""The "Remote connector" wizard: an MCP server on the user's own server (a droplet), reached over SSH, made into
a connector for Claude Desktop in three steps.

1. Server: host, SSH port, user, key file (a file picker) and the key's passphrase (kept in the keyring under
   `tunnel:NAME`, never in a file).
2. Service: the MCP URL as the server itself sees it (default `http://127.0.0.1:5000/mcp`) and the connector's
   name (the tunnel profile gets the same name).
3. Test, on a worker thread (`check_remote`): store the passphrase, save the tunnel profile, bring the tunnel up
   (an unknown host key is shown in the consent dialog), then run the doctor on exactly the entry Finish will
   write — `plugboard proxy NAME URL --ssh NAME`, started the way Claude Desktop starts it — and show the tools
   it offers, or the problem in plain words. Finish is possible only after a passing test, and writes that same
   entry with `Connectors.add`.

Why the doctor runs the proxy rather than talking to the tunnel directly: the entry is what Claude runs, with
the proxy's own tunnel in its own process; testing it end to end catches what a shortcut would miss (the
keyring seen from a child process, the host key in Plugboard's known_hosts, the proxy's Host header).

Step 1 also offers the tunnels the user already has (the one just made on the Remote page is chosen first):
picking one skips the server fields, and the entry goes through it (`--ssh THAT-NAME`); its profile is not
touched, and the connector may take the tunnel's own name. Step 2 takes the backend's API key, if it wants one:
kept in the keychain as `<connector>/API_KEY`, and the entry carries `--bearer-secret API_KEY`.

Cancel removes the tunnel profile (and passphrase) the wizard's test saved: nothing half-made stays behind (a
tunnel the user already had is never removed).
The rules (what is checked, what is written) are `core.probe.remote`'s; this module only asks and shows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from plugboard.core.config.adding import name_problems
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import PlugboardError
from plugboard.core.probe.remote import (
    DEFAULT_BEARER_KEY,
    DEFAULT_URL,
    CheckOutcome,
    RemotePlan,
    check_remote,
    url_problem,
)
from plugboard.core.secrets import keyring as secrets
from plugboard.core.tunnel.consent import HostKeyConsent
from plugboard.core.tunnel.profile import PASSPHRASE_KEY, TunnelProfile, delete_profile, load_profiles
from plugboard.gui.fit import browse_for_key, fit_to_screen, scrolling
from plugboard.gui.host_key_dialog import ConsentDialogs
from plugboard.gui.widgets import buddy_label, linkify
from plugboard.gui.worker import Workers


class _Page(QWizardPage):
    """A page whose Next/Finish follows `complete()` and whose problems show in one label."""

    def __init__(
        self,
        title: str,
        subtitle: str,
        complete: Callable[[], str | None],
        on_enter: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self._on_enter = on_enter
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self._complete = complete
        self.problem = QLabel()
        self.problem.setObjectName("problems")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problems")
        self.body = QWidget()
        """The page's fields: they scroll when the screen is short, the wizard's buttons stay under them."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scrolling(self.body), 1)
        layout.addWidget(self.problem)

    def initializePage(self) -> None:
        if self._on_enter is not None:
            self._on_enter()

    def isComplete(self) -> bool:
        problem = self._complete()
        self.problem.setText(problem or "")
        return problem is None

    def changed(self) -> None:
        self.completeChanged.emit()


class RemoteWizard(QWizard):
    progress = Signal(str)

    def __init__(self, connectors: Connectors, parent: QWidget | None = None, *, tunnel: str | None = None) -> None:
        """`tunnel`: an existing tunnel to offer first (the one the user selected or just made)."""
        super().__init__(parent)
        self.connectors = connectors
        self.setWindowTitle("Remote connector")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.added: str | None = None
        self.outcome: CheckOutcome | None = None
        self.saved_profile: str | None = None
        """The tunnel profile this wizard's test saved (replaced on a re-test, removed on Cancel)."""
        self.testing = False
        self.stored_key: tuple[str, str] | None = None
        """(connector, KEY) of the API key this wizard's test put in the keychain (removed on Cancel)."""
        self.workers = Workers(self)
        self.consent = HostKeyConsent()
        self.consent_dialogs = ConsentDialogs(self.consent, self)
        self.known_hosts = self.consent.known_hosts()
        self.progress.connect(self._progress)

        # -- 1. the server -----------------------------------------------------------------------------------------
        self.through = QComboBox()
        self.through.setAccessibleName("Reach the server through")
        self.through.setAccessibleDescription("A tunnel you already have, or a new one made from the fields below")
        self.through.addItem("A new tunnel to this server", None)
        try:
            existing = sorted(load_profiles())
        except PlugboardError:
            existing = []
        for name in existing:
            self.through.addItem(f"My tunnel “{name}”", name)
        if tunnel in existing:
            self.through.setCurrentIndex(self.through.findData(tunnel))
        elif existing:
            self.through.setCurrentIndex(1)
        self.host = QLineEdit()
        self.host.setAccessibleName("Server address")
        self.host.setPlaceholderText("for example 203.0.113.7 or droplet.example.com")
        self.ssh_port = QSpinBox()
        self.ssh_port.setRange(1, 65535)
        self.ssh_port.setValue(22)
        self.ssh_port.setAccessibleName("SSH port")
        self.user = QLineEdit("root")
        self.user.setAccessibleName("User")
        self.key_file = QLineEdit()
        self.key_file.setAccessibleName("Key file")
        self.key_file.setPlaceholderText("for example ~/.ssh/id_ed25519")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_key)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Key passphrase")
        self.passphrase.setPlaceholderText("leave empty if the key has none; kept in the keychain")
        self.server_page = _Page(
            "Your server",
            "Where the MCP server runs, and how you log in to it with SSH.",
            self._server_problem,
        )
        host_row = QHBoxLayout()
        host_row.addWidget(self.host, 1)
        host_row.addWidget(QLabel("port"))
        host_row.addWidget(self.ssh_port)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_file, 1)
        key_row.addWidget(browse)
        server_form = QFormLayout(self.server_page.body)
        server_form.addRow(buddy_label("&Through", self.through), self.through)
        server_form.addRow(buddy_label("Server &address", self.host), host_row)
        server_form.addRow("&User", self.user)
        server_form.addRow(buddy_label("&Key file", self.key_file), key_row)
        server_form.addRow("&Passphrase", self.passphrase)
        for widget in (self.host, self.user, self.key_file):
            widget.textChanged.connect(self.server_page.changed)
        self._server_fields = (self.host, self.ssh_port, self.user, self.key_file, browse, self.passphrase)
        self.through.currentIndexChanged.connect(self._through_changed)

        # -- 2. the service ----------------------------------------------------------------------------------------
        self.url = QLineEdit(DEFAULT_URL)
        self.url.setAccessibleName("MCP address on the server")
        self.name = QLineEdit()
        self.name.setAccessibleName("Connector name")
        self.name.setPlaceholderText("the name Claude shows, for example catalyst")
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setAccessibleName("API key")
        self.api_key.setAccessibleDescription("The key your MCP server asks for, if any; kept in the keychain")
        self.api_key.setPlaceholderText("only if your server asks for one; kept in the keychain")
        self.service_page = _Page(
            "The MCP server",
            "Its address as the server itself sees it; Plugboard reaches it through an SSH tunnel.",
            self._service_problem,
        )
        service_form = QFormLayout(self.service_page.body)
        service_form.addRow("MCP &address", self.url)
        service_form.addRow("Connector na&me", self.name)
        service_form.addRow(buddy_label("API &key", self.api_key), self.api_key)
        for widget in (self.url, self.name):
            widget.textChanged.connect(self.service_page.changed)

        # -- 3. the test -------------------------------------------------------------------------------------------
        self.test_page = _Page(
            "Test",
            "Plugboard opens the tunnel and starts the connector the way Claude Desktop will.",
            self._test_problem,
            on_enter=self.run_test,
        )
        self.test_output = QTextBrowser()  # read-only; addresses in the result are links
        self.test_output.setOpenExternalLinks(True)
        self.test_output.setAccessibleName("Test result")
        self.test_button = QPushButton("&Test again")
        self.test_button.clicked.connect(self.run_test)
        test_layout = QVBoxLayout(self.test_page.body)
        test_layout.setContentsMargins(0, 0, 0, 0)
        test_layout.addWidget(self.test_output, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        test_layout.addLayout(buttons)
        self.test_page.setFinalPage(True)
        self.test_page.setCommitPage(False)

        for page in (self.server_page, self.service_page, self.test_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Add connector")
        self._through_changed()
        for edit in self.findChildren(QLineEdit):
            edit.installEventFilter(self)
        fit_to_screen(self, 640, 480)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Alt+letter in a field is a command (Alt+N is Next), never text: when the button it names is disabled
        (Next before the page is complete), Qt hands the key to the field, which typed an "n" into the address."""
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.modifiers() == Qt.KeyboardModifier.AltModifier
            and event.text().isalnum()
        ):
            return True
        return super().eventFilter(watched, event)

    # -- reading ---------------------------------------------------------------------------------------------------

    def chosen_tunnel(self) -> str | None:
        data = self.through.currentData()
        return str(data) if data is not None else None

    def _through_changed(self, _index: int = 0) -> None:
        new = self.chosen_tunnel() is None
        for widget in self._server_fields:
            widget.setEnabled(new)
        self.server_page.changed()
        self.service_page.changed()

    def plan(self) -> RemotePlan:
        return RemotePlan(
            tunnel=self.chosen_tunnel(),
            bearer_key=DEFAULT_BEARER_KEY,
            bearer_value=self.api_key.text().strip(),
            name=self.name.text().strip(),
            host=self.host.text().strip(),
            port=self.ssh_port.value(),
            user=self.user.text().strip(),
            key_file=self.key_file.text().strip(),
            url=self.url.text().strip(),
            passphrase=self.passphrase.text(),
        )

    def _server_problem(self) -> str | None:
        if self.chosen_tunnel() is not None:
            return None  # the tunnel's own profile says where and how
        plan = self.plan()
        if not plan.host:
            return "Enter the server's address."
        if not plan.user:
            return "Enter the user you log in as (often root on a droplet)."
        if not plan.key_file:
            return "Choose the private key you log in with."
        if not Path(plan.key_file).expanduser().is_file():
            return f"There is no key file at {plan.key_file}."
        return None

    def _service_problem(self) -> str | None:
        plan = self.plan()
        if (problem := url_problem(plan.url)) is not None:
            return problem
        if problems := name_problems(plan.name):
            return " ".join(problems)
        try:
            TunnelProfile(name=plan.name, host="-", user="-", remote_port=1)
        except PlugboardError:
            return "Use letters, digits, '.', '_' or '-' for the name (up to 64 characters)."
        try:
            names = {c.name for c in self.connectors.all()}
        except PlugboardError as exc:
            return exc.plain
        if plan.name in names:
            return f'A connector called "{plan.name}" already exists; pick another name.'
        if plan.tunnel is None and plan.name != self.saved_profile:
            try:
                if plan.name in load_profiles():
                    return f'A tunnel called "{plan.name}" already exists; pick another name.'
            except PlugboardError as exc:
                return exc.plain
        return None

    def _test_problem(self) -> str | None:
        if self.testing:
            return "Testing…"
        if self.outcome is None or not self.outcome.ok:
            return "Finish is possible once the test passes."
        return None

    def _browse_key(self) -> None:
        browse_for_key(self, self.key_file)

    # -- testing ---------------------------------------------------------------------------------------------------

    def run_test(self) -> None:
        if self.testing:
            return
        plan = self.plan()
        if self.saved_profile is not None and (plan.tunnel is not None or self.saved_profile != plan.name):
            self._forget_profile()  # the name or the way changed since the last test: leave nothing behind
        replace = self.saved_profile == plan.name
        self.testing = True
        self.outcome = None
        self.test_button.setEnabled(False)
        self.test_output.clear()
        self.test_page.changed()
        logs_dir = self.connectors.discovery.logs_dir

        def work() -> CheckOutcome:
            return check_remote(
                plan,
                confirm_host_key=self.consent.confirm,
                known_hosts=self.known_hosts,
                consent_pending=lambda: bool(self.consent.waiting()),
                progress=self.progress.emit,
                logs_dir=logs_dir,
                replace_profile=replace,
            )

        if plan.tunnel is None:
            self.saved_profile = plan.name
        if plan.bearer_value:
            self.stored_key = (plan.name, plan.bearer_key)
        self.workers.start(
            "remote-test", work, self._tested, lambda message: self._tested(CheckOutcome(False, message))
        )

    def _progress(self, line: str) -> None:
        self.test_output.append(linkify(line))

    def _tested(self, outcome: CheckOutcome) -> None:
        self.testing = False
        self.outcome = outcome
        self.test_output.append("")
        self.test_output.append(linkify(outcome.text))
        self.test_button.setEnabled(True)
        self.test_page.changed()

    # -- finishing -------------------------------------------------------------------------------------------------

    def accept(self) -> None:
        outcome = self.outcome
        if outcome is None or not outcome.ok or outcome.entry is None:
            return
        name = self.plan().name
        try:
            self.connectors.add(name, outcome.entry)
        except PlugboardError as exc:
            self.test_page.problem.setText(exc.plain)
            return
        self.added = name
        super().accept()

    def _forget_profile(self) -> None:
        name, self.saved_profile = self.saved_profile, None
        if name is None:
            return
        try:
            delete_profile(name)
            secrets.delete_secret(f"tunnel:{name}", PASSPHRASE_KEY)
        except PlugboardError:
            pass  # already gone, or no keyring: nothing of ours is left to remove

    def done(self, result: int) -> None:
        self.consent_dialogs.close()
        self.workers.join()
        if self.added is None:
            self._forget_profile()
            if self.stored_key is not None:
                with contextlib.suppress(PlugboardError):
                    secrets.delete_secret(*self.stored_key)
        super().done(result)
