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

Cancel removes the tunnel profile (and passphrase) the wizard's test saved: nothing half-made stays behind.
`check_remote` and `proxy_entry` import no Qt, so the CLI could share them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from plugboard.core import secrets
from plugboard.core.connectors import Connector, Connectors
from plugboard.core.errors import PlugboardError
from plugboard.core.launcher import plugboard_executable
from plugboard.core.paths import plugboard_dirs
from plugboard.core.tunnel.hostkeys import KnownHosts, UnknownHostKeyError
from plugboard.core.tunnel.profile import PASSPHRASE_KEY, TunnelProfile, delete_profile, load_profiles, save_profile
from plugboard.core.tunnel.state import TunnelState
from plugboard.core.tunnel.tunnel import Tunnel, keyring_secret
from plugboard.gui.host_key_dialog import ConsentKnownHosts, HostKeyConsent
from plugboard.gui.tunnel_dialog import buddy_label
from plugboard.gui.worker import Worker

DEFAULT_URL = "http://127.0.0.1:5000/mcp"
# Bringing the test tunnel up: TCP connect + SSH handshake + login to a droplet across an ocean takes a few
# seconds; 30 s also covers one quick retry after a dropped first attempt. Time spent in the host-key dialog
# does not count.
TUNNEL_UP_S = 30.0
# The doctor's wait for the proxy's initialize answer. The proxy waits up to 15 s for its own tunnel
# (proxy_run.TUNNEL_FIRST_UP_S) before its first relay, so 30 s is the tunnel plus a slow server start; the
# CLI's doctor waits as long as Claude (60 s), but a wizard that hangs a minute on a typo feels broken.
DOCTOR_INITIALIZE_S = 30.0
# How often the test looks whether a host-key question is still open while waiting for the tunnel.
WAIT_STEP_S = 0.5
# Closing the wizard waits this long for a running test; a test always ends within its own deadlines.
WORKER_JOIN_S = 2.0


def proxy_entry(name: str, url: str, profile: str) -> dict[str, Any]:
    """The Claude config entry for a remote MCP server behind an SSH tunnel (DESIGN.md entry shapes)."""
    return {"command": plugboard_executable(), "args": ["proxy", name, url, "--ssh", profile]}


def url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme != "http":
        return "The address starts with http:// (the SSH tunnel already encrypts the connection)."
    try:
        port = parts.port
    except ValueError:
        return "The port in the address is not a number."
    if not parts.hostname:
        return "The address names no host (as the server sees it, usually 127.0.0.1)."
    if port is None:
        return "Add the port the MCP server listens on, such as :5000."
    return None


@dataclass(frozen=True)
class RemotePlan:
    """What the wizard collected; `passphrase` stays out of repr so it never reaches a log line."""

    name: str
    host: str
    port: int
    user: str
    key_file: str
    url: str
    passphrase: str = field(default="", repr=False)

    def profile(self) -> TunnelProfile:
        parts = urlsplit(self.url)
        return TunnelProfile(
            name=self.name,
            host=self.host,
            port=self.port,
            user=self.user,
            auth="key",
            key_file=str(Path(self.key_file).expanduser()),
            remote_host=parts.hostname or "127.0.0.1",
            remote_port=parts.port or 80,
        )

    def entry(self) -> dict[str, Any]:
        return proxy_entry(self.name, self.url, self.name)


@dataclass
class CheckOutcome:
    ok: bool
    text: str
    tools: list[str] = field(default_factory=list)
    entry: dict[str, Any] | None = None


def _tunnel_trouble(plan: RemotePlan, state: TunnelState) -> str:
    problem = state.problem
    where = f"{plan.user}@{plan.host}:{plan.port}"
    if problem is None:
        return f"The tunnel did not come up within {TUNNEL_UP_S:.0f} s ({state.describe()})."
    if problem.kind == "auth":
        return (
            f"The server refused the login as {where}: {problem.message}\n"
            "Check the user name, and that this key's .pub line is in ~/.ssh/authorized_keys on the server "
            "(and the passphrase, if the key has one)."
        )
    if problem.kind == "hostkey":
        if "CHANGED" in problem.message:
            return f"Plugboard refused the server because its key changed: {problem.message}"
        return "You did not trust the server's fingerprint, so Plugboard did not log in. Test again to decide anew."
    if problem.kind == "remote":
        return (
            f"The SSH login works, but nothing answers at {plan.url} on the server: {problem.message}\n"
            "Is the MCP server running there, and on that port?"
        )
    if problem.kind == "port":
        return f"A local port problem stopped the tunnel: {problem.message}"
    return (
        f"Plugboard cannot reach {plan.host}:{plan.port}: {problem.message}\n"
        "Check the address and the SSH port, and that the server is running."
    )


def check_remote(
    plan: RemotePlan,
    *,
    confirm_host_key: Callable[[UnknownHostKeyError], bool],
    known_hosts: KnownHosts,
    consent_pending: Callable[[], bool],
    progress: Callable[[str], None],
    logs_dir: Path | None = None,
    replace_profile: bool = False,
) -> CheckOutcome:
    """Save the profile, bring its tunnel up once, then run the doctor on the proxy entry. Blocking."""
    from plugboard.core.doctor import examine_connector

    profile = plan.profile()
    if plan.passphrase:
        progress("Keeping the key's passphrase in the keychain…")
        secrets.set_secret(profile.secret_connector, PASSPHRASE_KEY, plan.passphrase)
    save_profile(profile, replace_existing=replace_profile)
    progress(f"Saved tunnel {profile.name}: {profile.describe()}")
    progress(f"Connecting to {plan.user}@{plan.host}:{plan.port}…")
    tunnel = Tunnel(profile, get_secret=keyring_secret, confirm_host_key=confirm_host_key, known_hosts=known_hosts)
    try:
        tunnel.start()
        deadline = time.monotonic() + TUNNEL_UP_S
        while True:
            state = tunnel.wait_for(lambda s: s.kind in ("up", "reconnecting") or s.final, WAIT_STEP_S)
            if state.kind in ("up", "reconnecting") or state.final:
                break
            if consent_pending():
                deadline = time.monotonic() + TUNNEL_UP_S  # the user is reading the fingerprint
            elif time.monotonic() >= deadline:
                break
    finally:
        tunnel.close()
    if state.kind != "up":
        return CheckOutcome(False, _tunnel_trouble(plan, state))
    progress("The tunnel works.")
    entry = plan.entry()
    progress(f"Starting the connector as Claude Desktop will ({' '.join(entry['args'])}) and asking what it offers…")
    report = examine_connector(
        Connector(plan.name, True, entry), logs_dir=logs_dir, initialize_timeout_s=DOCTOR_INITIALIZE_S
    )
    if report.ok:
        tools = report.tools or []
        listed = ", ".join(tools) if tools else "no tools"
        noun = "tool" if len(tools) == 1 else "tools"
        return CheckOutcome(True, f"It works. The server offers {len(tools)} {noun}: {listed}", tools, entry)
    lines = ["The tunnel works, but the MCP server did not answer through it as it should."]
    lines += [f"{p.summary} {p.fix}" for p in report.problems] or [report.reason.text]
    tail = [line for line in report.stderr_tail if line.strip()][-5:]
    if tail:
        lines.append("Last lines from the connector:")
        lines += [f"  {line}" for line in tail]
    return CheckOutcome(False, "\n".join(lines), report.tools or [], entry)


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

    def __init__(self, connectors: Connectors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.connectors = connectors
        self.setWindowTitle("Remote connector")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.added: str | None = None
        self.outcome: CheckOutcome | None = None
        self.saved_profile: str | None = None
        """The tunnel profile this wizard's test saved (replaced on a re-test, removed on Cancel)."""
        self.testing = False
        self._workers: list[Worker] = []
        self.consent = HostKeyConsent(self)
        self.known_hosts = ConsentKnownHosts(plugboard_dirs().known_hosts, on_changed=self.consent.report_changed)
        self.progress.connect(self._progress)

        # -- 1. the server -----------------------------------------------------------------------------------------
        self.host = QLineEdit()
        self.host.setAccessibleName("Server address")
        self.host.setPlaceholderText("203.0.113.7 or droplet.example.com")
        self.ssh_port = QSpinBox()
        self.ssh_port.setRange(1, 65535)
        self.ssh_port.setValue(22)
        self.ssh_port.setAccessibleName("SSH port")
        self.user = QLineEdit("root")
        self.user.setAccessibleName("User")
        self.key_file = QLineEdit()
        self.key_file.setAccessibleName("Key file")
        self.key_file.setPlaceholderText(str(Path.home() / ".ssh" / "id_ed25519"))
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
        server_form = QFormLayout(self.server_page)
        server_form.addRow(buddy_label("Server &address", self.host), host_row)
        server_form.addRow("&User", self.user)
        server_form.addRow(buddy_label("&Key file", self.key_file), key_row)
        server_form.addRow("&Passphrase", self.passphrase)
        server_form.addRow(self.server_page.problem)
        for widget in (self.host, self.user, self.key_file):
            widget.textChanged.connect(self.server_page.changed)

        # -- 2. the service ----------------------------------------------------------------------------------------
        self.url = QLineEdit(DEFAULT_URL)
        self.url.setAccessibleName("MCP address on the server")
        self.name = QLineEdit()
        self.name.setAccessibleName("Connector name")
        self.name.setPlaceholderText("the name Claude shows, e.g. catalyst")
        self.service_page = _Page(
            "The MCP server",
            "Its address as the server itself sees it; Plugboard reaches it through an SSH tunnel.",
            self._service_problem,
        )
        service_form = QFormLayout(self.service_page)
        service_form.addRow("MCP &address", self.url)
        service_form.addRow("Connector &name", self.name)
        service_form.addRow(self.service_page.problem)
        for widget in (self.url, self.name):
            widget.textChanged.connect(self.service_page.changed)

        # -- 3. the test -------------------------------------------------------------------------------------------
        self.test_page = _Page(
            "Test",
            "Plugboard opens the tunnel and starts the connector the way Claude Desktop will.",
            self._test_problem,
            on_enter=self.run_test,
        )
        self.test_output = QPlainTextEdit()
        self.test_output.setReadOnly(True)
        self.test_output.setAccessibleName("Test result")
        self.test_button = QPushButton("&Test again")
        self.test_button.clicked.connect(self.run_test)
        test_layout = QVBoxLayout(self.test_page)
        test_layout.addWidget(self.test_output, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        test_layout.addLayout(buttons)
        test_layout.addWidget(self.test_page.problem)
        self.test_page.setFinalPage(True)
        self.test_page.setCommitPage(False)

        for page in (self.server_page, self.service_page, self.test_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Add connector")
        self.resize(640, 480)

    # -- reading ---------------------------------------------------------------------------------------------------

    def plan(self) -> RemotePlan:
        return RemotePlan(
            name=self.name.text().strip(),
            host=self.host.text().strip(),
            port=self.ssh_port.value(),
            user=self.user.text().strip(),
            key_file=self.key_file.text().strip(),
            url=self.url.text().strip(),
            passphrase=self.passphrase.text(),
        )

    def _server_problem(self) -> str | None:
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
        if not plan.name:
            return "Give the connector a name; Claude shows it."
        try:
            TunnelProfile(name=plan.name, host="-", user="-", remote_port=1)
        except PlugboardError:
            return "Use letters, digits, '.', '_' or '-' for the name (up to 64 characters)."
        try:
            names = {c.name for c in self.connectors.all()}
        except PlugboardError as exc:
            return str(exc)
        if plan.name in names:
            return f'A connector called "{plan.name}" already exists; pick another name.'
        if plan.name != self.saved_profile:
            try:
                if plan.name in load_profiles():
                    return f'A tunnel called "{plan.name}" already exists; pick another name.'
            except PlugboardError as exc:
                return str(exc)
        return None

    def _test_problem(self) -> str | None:
        if self.testing:
            return "Testing…"
        if self.outcome is None or not self.outcome.ok:
            return "Finish is possible once the test passes."
        return None

    def _browse_key(self) -> None:
        start = self.key_file.text() or str(Path.home() / ".ssh")
        path, _filter = QFileDialog.getOpenFileName(self, "Choose your private key", start)
        if path:
            self.key_file.setText(path)

    # -- testing ---------------------------------------------------------------------------------------------------

    def run_test(self) -> None:
        if self.testing:
            return
        plan = self.plan()
        if self.saved_profile is not None and self.saved_profile != plan.name:
            self._forget_profile()  # the name changed since the last test: do not leave the old one behind
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

        self.saved_profile = plan.name
        worker = Worker("remote-test", work, self)
        worker.done.connect(self._tested)
        worker.failed.connect(lambda message: self._tested(CheckOutcome(False, message)))
        self._workers = [w for w in self._workers if w.is_running()] + [worker]
        worker.start()

    def _progress(self, line: str) -> None:
        self.test_output.appendPlainText(line)

    def _tested(self, outcome: CheckOutcome) -> None:
        self.testing = False
        self.outcome = outcome
        self.test_output.appendPlainText("")
        self.test_output.appendPlainText(outcome.text)
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
            self.test_page.problem.setText(str(exc))
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
        self.consent.cancel_all(closing=True)
        for worker in self._workers:
            worker.join(WORKER_JOIN_S)
        if self.added is None:
            self._forget_profile()
        super().done(result)
