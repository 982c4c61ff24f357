"""The "Remote connector" wizard against a REAL sshd with a real MCP HTTP server behind it (tests/fixtures/sshd.py,
tunnel_targets.py `mcp`): host-key consent through the dialog, the Test that runs `plugboard proxy ... --ssh`
as Claude would, the exact entry Finish writes, and that the key's passphrase reaches the keyring and no file.

Run inside scripts/test-session.sh (the passphrase goes to its Secret Service; the proxy reads it from there).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from fixtures.sshd import SshServer, Target, free_port
from plugboard.core.claude.discovery import discover
from plugboard.core.config.connectors import Connectors
from plugboard.core.install import entry_command
from plugboard.core.secrets import keyring as secrets
from plugboard.core.tunnel.profile import TunnelProfile, load_profiles, save_profile
from plugboard.gui.host_key_dialog import HostKeyDialog
from plugboard.gui.remote_wizard import DEFAULT_URL, RemoteWizard

pytestmark = pytest.mark.usefixtures("user_known_hosts", "secret_service")

# The Test: SSH login, then the doctor starting the proxy (a Python process: imports ~1 s), which opens its own
# tunnel, initializes and lists tools. A few seconds here; a loaded 2-core box can be much slower.
TEST_MS = 90_000
CONSENT_MS = 20_000


@pytest.fixture
def wizard(qtbot, claude_config) -> Iterator[RemoteWizard]:
    claude_config.write_text('{\n  "mcpServers": {}\n}')
    wizard = RemoteWizard(Connectors(discover(str(claude_config))))
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    yield wizard
    if wizard.isVisible():
        wizard.reject()


def click(qtbot, wizard: RemoteWizard, which: QWizard.WizardButton) -> None:
    button = wizard.button(which)
    assert button.isEnabled(), wizard.currentPage().findChild(type(wizard.test_page.problem), "problems").text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def fill(qtbot, wizard: RemoteWizard, sshd: SshServer, key: Path, url: str, *, passphrase: str = "") -> None:
    qtbot.keyClicks(wizard.host, "127.0.0.1")
    wizard.ssh_port.setValue(sshd.port)
    assert wizard.user.text() == "root"
    wizard.key_file.setText(str(key))
    if passphrase:
        qtbot.keyClicks(wizard.passphrase, passphrase)
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.url.text() == DEFAULT_URL
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()  # no name yet
    wizard.url.setText(url)
    qtbot.keyClicks(wizard.name, "catalyst")


def wait_tested(qtbot, wizard: RemoteWizard) -> str:
    qtbot.waitUntil(lambda: wizard.outcome is not None, timeout=TEST_MS)
    return wizard.test_output.toPlainText()


def test_the_wizard_tests_tunnel_and_proxy_then_writes_exactly_the_proxy_entry_and_no_secret_to_a_file(
    qtbot, wizard, sshd, mcp_target: Target, isolated_home
):
    claude_config = wizard.connectors.path
    keys = sshd.keys
    url = f"http://127.0.0.1:{mcp_target.port}/mcp"
    fill(qtbot, wizard, sshd, keys.ed25519_protected, url, passphrase=keys.passphrase)
    with qtbot.waitSignal(wizard.consent_dialogs.shown, timeout=CONSENT_MS) as shown:
        click(qtbot, wizard, QWizard.WizardButton.NextButton)
    dialog: HostKeyDialog = shown.args[0]
    assert dialog.fingerprint.text().startswith("SHA256:")
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()  # testing
    assert dialog.trust_button is not None
    qtbot.mouseClick(dialog.trust_button, Qt.MouseButton.LeftButton)

    output = wait_tested(qtbot, wizard)
    assert wizard.outcome is not None and wizard.outcome.ok, output
    assert "The tunnel works." in output
    # Two logins: the wizard's own tunnel, then the proxy's, which the doctor started as Claude would.
    assert sshd.wait_log("Accepted publickey", count=2)
    assert output.rstrip().endswith("It works. The server offers 1 tool: add")
    assert json.loads(claude_config.read_text())["mcpServers"] == {}  # nothing written before Finish

    click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    assert wizard.added == "catalyst" and not wizard.isVisible()
    assert json.loads(claude_config.read_text())["mcpServers"] == {
        "catalyst": {"command": entry_command(), "args": ["proxy", "catalyst", url, "--ssh", "catalyst"]}
    }
    assert load_profiles() == {
        "catalyst": TunnelProfile(
            name="catalyst",
            host="127.0.0.1",
            port=sshd.port,
            user="root",
            auth="key",
            key_file=str(keys.ed25519_protected),
            remote_port=mcp_target.port,
        )
    }
    assert secrets.get_secret("tunnel:catalyst", "passphrase") == keys.passphrase
    files = [claude_config, *claude_config.parent.rglob("*"), *isolated_home.rglob("*")]
    for path in files:
        if path.is_file():
            assert keys.passphrase.encode() not in path.read_bytes(), path


def test_a_key_the_server_does_not_accept_is_explained_and_cancel_leaves_nothing_behind(
    qtbot, wizard, sshd, user_known_hosts, claude_config
):
    user_known_hosts.write_text(sshd.known_hosts_line())
    # The passphrase-protected key without its passphrase: the login cannot happen.
    fill(qtbot, wizard, sshd, sshd.keys.ed25519_protected, DEFAULT_URL)
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    output = wait_tested(qtbot, wizard)
    assert wizard.outcome is not None and not wizard.outcome.ok
    assert f"The server refused the login as root@127.0.0.1:{sshd.port}: key " in output
    assert "is protected by a passphrase" in output
    assert "authorized_keys" in output
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    assert wizard.test_page.problem.text() == "Finish is possible once the test passes."
    assert "catalyst" in load_profiles()  # the test saved it...

    click(qtbot, wizard, QWizard.WizardButton.CancelButton)
    assert load_profiles() == {}  # ...and Cancel took it back
    assert json.loads(claude_config.read_text())["mcpServers"] == {}


def test_a_remote_port_with_nothing_listening_says_the_mcp_server_is_not_answering(
    qtbot, wizard, sshd, user_known_hosts
):
    user_known_hosts.write_text(sshd.known_hosts_line())
    url = f"http://127.0.0.1:{free_port()}/mcp"
    fill(qtbot, wizard, sshd, sshd.keys.ed25519, url)
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    output = wait_tested(qtbot, wizard)
    assert f"The SSH login works, but nothing answers at {url} on the server" in output
    assert "Is the MCP server running there, and on that port?" in output
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()


def test_the_service_page_refuses_a_name_already_used_and_an_https_address(qtbot, wizard, sshd, claude_config):
    wizard.connectors.add("catalyst", {"command": "uvx", "args": ["x"]})
    fill(qtbot, wizard, sshd, sshd.keys.ed25519, DEFAULT_URL)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert wizard.service_page.problem.text() == 'A connector called "catalyst" already exists; pick another name.'
    wizard.name.setText("catalyst2")
    wizard.url.setText("https://127.0.0.1:5000/mcp")
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert wizard.service_page.problem.text().startswith("The address starts with http://")
    wizard.url.setText(DEFAULT_URL)
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()


@pytest.fixture
def bearer_backend() -> Iterator[tuple[int, str]]:
    """tests/servers/http_mcp.py answering only `Authorization: Bearer <token>` (401 otherwise): (port, token)."""
    import subprocess
    import sys

    token = "backend-api-key-7f3a"
    script = Path(__file__).parents[1] / "servers" / "http_mcp.py"
    proc = subprocess.Popen(
        [sys.executable, str(script), "--bearer", token], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield port, token
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_the_wizard_offers_the_tunnel_just_made_takes_its_name_and_keeps_the_api_key_in_the_keychain(
    qtbot, sshd, bearer_backend, claude_config, isolated_home
):
    port, token = bearer_backend
    claude_config.write_text('{\n  "mcpServers": {}\n}')
    mine = TunnelProfile(
        name="droplet",
        host="127.0.0.1",
        port=sshd.port,
        user="root",
        auth="key",
        key_file=str(sshd.keys.ed25519),
        remote_port=5000,
    )
    save_profile(mine)  # made on the Remote page a moment ago
    wizard = RemoteWizard(Connectors(discover(str(claude_config))), tunnel="droplet")
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    assert wizard.through.currentData() == "droplet"
    assert not wizard.host.isEnabled()  # its own profile says where and how
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    url = f"http://127.0.0.1:{port}/mcp"
    wizard.url.setText(url)
    qtbot.keyClicks(wizard.name, "droplet")  # the tunnel's own name is fine for its connector
    qtbot.keyClicks(wizard.api_key, token)
    with qtbot.waitSignal(wizard.consent_dialogs.shown, timeout=CONSENT_MS) as shown:
        click(qtbot, wizard, QWizard.WizardButton.NextButton)
    qtbot.mouseClick(shown.args[0].trust_button, Qt.MouseButton.LeftButton)
    output = wait_tested(qtbot, wizard)
    assert wizard.outcome is not None and wizard.outcome.ok, output
    assert "Using your tunnel droplet" in output
    click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    assert json.loads(claude_config.read_text())["mcpServers"] == {
        "droplet": {
            "command": entry_command(),
            "args": ["proxy", "droplet", url, "--ssh", "droplet", "--bearer-secret", "API_KEY"],
        }
    }
    assert load_profiles() == {"droplet": mine}  # the user's tunnel is used, not rewritten
    assert secrets.get_secret("droplet", "API_KEY") == token
    for path in [claude_config, *isolated_home.rglob("*")]:
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
