"""The Remote page against a REAL tunnel to the test sshd (tests/fixtures/sshd.py): the states it shows (up,
reconnecting then up after the SSH session process is killed, failed on a wrong key), traffic counters, the
host-key consent dialog, and adding tunnels from a pasted ssh command or an ssh config Host alias.

Run inside scripts/test-session.sh (the keyring tests need its Secret Service).
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QWizard

from fixtures.sshd import SshServer, Target
from plugboard.core.claude.discovery import discover
from plugboard.core.config.connectors import Connectors
from plugboard.core.paths import plugboard_dirs
from plugboard.core.secrets import keyring as secrets
from plugboard.core.tunnel.profile import TunnelProfile, load_profiles, save_profile
from plugboard.core.tunnel.state import TunnelState
from plugboard.gui.host_key_dialog import HostKeyDialog
from plugboard.gui.remote_page import RemotePage
from plugboard.gui.tunnels_model import STATE, TRAFFIC, light

pytestmark = pytest.mark.usefixtures("user_known_hosts")

# SSH handshake + key login to a loopback sshd on a loaded 2-core box: well under a second normally.
UP_MS = 20_000
# Killed session → noticed at once (EOF) → backoff (first delay ~1 s with jitter) → new login.
RECOVER_MS = 30_000
# Waiting for an echo through the tunnel.
ECHO_TIMEOUT_S = 10.0


def fingerprints(*pub_files: Path) -> dict[str, str]:
    """ssh-keygen's own SHA256 fingerprints, keyed by its type label (ED25519, ECDSA, RSA)."""
    found = {}
    for pub in pub_files:
        out = subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True, check=True, timeout=30)
        _bits, fp, *_comment, kind = out.stdout.split()
        found[kind.strip("()")] = fp
    return found


def profile_for(sshd: SshServer, target: Target, **changes: object) -> TunnelProfile:
    profile = TunnelProfile(
        name="droplet",
        host="127.0.0.1",
        port=sshd.port,
        user="root",
        auth="key",
        key_file=str(sshd.keys.ed25519),
        remote_port=target.port,
        keepalive_interval_s=1.0,
        keepalive_count=3,
    )
    return profile.with_changes(**changes)


@pytest.fixture
def known(sshd: SshServer, user_known_hosts: Path) -> SshServer:
    user_known_hosts.write_text(sshd.known_hosts_line())
    return sshd


@pytest.fixture
def make_page(qtbot, claude_config) -> Iterator[Callable[..., RemotePage]]:
    pages: list[RemotePage] = []

    def make(**kwargs: object) -> RemotePage:
        page = RemotePage(Connectors(discover(str(claude_config))), **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(page)
        page.resize(900, 400)
        page.show()
        qtbot.waitExposed(page)
        pages.append(page)
        loaded(qtbot, page)
        return page

    yield make
    for page in pages:
        page.shutdown()


def loaded(qtbot, page: RemotePage) -> RemotePage:
    """Wait until the page shows its newest reload (the profiles and their users are read on a worker)."""
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    return page


def state_text(page: RemotePage, name: str = "droplet") -> str:
    row = page.model.find(name)
    assert row is not None
    return str(page.model.index(row, STATE).data())


def row_state(page: RemotePage, name: str = "droplet") -> TunnelState | None:
    row = page.model.find(name)
    assert row is not None
    return page.model.row(row).state


def shown_texts(page: RemotePage) -> list[str]:
    """Every phrase the state column showed, in order."""
    texts: list[str] = []
    page.state_shown.connect(lambda name, _state: texts.append(state_text(page, name)))
    return texts


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def echo(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=ECHO_TIMEOUT_S) as sock:
        sock.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    return got


def test_a_tunnel_shows_up_then_reconnecting_and_up_again_after_its_ssh_session_is_killed(
    qtbot, known, echo_target, make_page
):
    save_profile(profile_for(known, echo_target))
    page = make_page()
    texts = shown_texts(page)
    notices: list[tuple[str, str, bool]] = []
    page.notice.connect(lambda *notice: notices.append(notice))
    assert state_text(page) == "Stopped"
    page.select("droplet")
    assert page.connect_button.isEnabled() and not page.disconnect_button.isEnabled()
    click(qtbot, page.connect_button)
    qtbot.waitUntil(lambda: state_text(page).startswith("Up on 127.0.0.1:"), timeout=UP_MS)
    assert texts[0] == "Connecting…"
    assert light(row_state(page)) == "up"
    assert page.disconnect_button.isEnabled() and not page.connect_button.isEnabled()

    port = page.live.get("droplet").local_port
    assert port is not None
    assert echo(port, b"x" * 1500) == b"x" * 1500
    traffic_cell = page.model.index(0, TRAFFIC)
    qtbot.waitUntil(lambda: traffic_cell.data() == "↑ 1.5 kB  ↓ 1.5 kB", timeout=5000)

    assert known.signal_sessions(signal.SIGKILL) >= 1
    qtbot.waitUntil(lambda: any(t.startswith("Reconnecting") for t in texts), timeout=RECOVER_MS)
    reconnecting = next(t for t in texts if t.startswith("Reconnecting"))
    assert re.match(r"Reconnecting \(attempt 1, next try in \d+ s\): the SSH connection closed", reconnecting)
    qtbot.waitUntil(lambda: texts[-1] == f"Up on 127.0.0.1:{port}", timeout=RECOVER_MS)
    assert known.wait_log("Accepted publickey", count=2)
    assert notices == [
        ("Tunnel droplet dropped", "the SSH connection closed. Plugboard is reconnecting.", True),
        ("Tunnel droplet is back", f"Up again on 127.0.0.1:{port}.", False),
    ]
    # The local port and the counters outlive the reconnect.
    assert echo(port, b"y" * 500) == b"y" * 500
    qtbot.waitUntil(lambda: traffic_cell.data() == "↑ 2.0 kB  ↓ 2.0 kB", timeout=5000)


def test_a_wrong_key_shows_failed_with_the_login_refused(qtbot, known, echo_target, make_page, tmp_path):
    stranger = tmp_path / "id_stranger"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)],
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    save_profile(profile_for(known, echo_target, key_file=str(stranger)))
    page = make_page()
    notices: list[tuple[str, str, bool]] = []
    page.notice.connect(lambda *notice: notices.append(notice))
    page.connect_tunnel("droplet")
    qtbot.waitUntil(lambda: state_text(page).startswith("Failed"), timeout=UP_MS)
    assert state_text(page).startswith("Failed (login refused): root@127.0.0.1:")
    assert light(row_state(page)) == "bad"
    assert notices[-1][0] == "Tunnel droplet failed" and notices[-1][2]
    page.select("droplet")
    assert page.details.text().startswith(f"droplet: {state_text(page)}\n")  # the whole reason, not elided
    assert page.connect_button.isEnabled()  # a failed tunnel can be tried again


def test_auto_start_tunnels_come_up_with_the_page_and_disconnect_frees_the_port(qtbot, known, echo_target, make_page):
    save_profile(profile_for(known, echo_target, auto_start=True))
    save_profile(profile_for(known, echo_target, name="manual"))
    page = make_page()
    qtbot.waitUntil(lambda: state_text(page).startswith("Up on"), timeout=UP_MS)
    assert state_text(page, "manual") == "Stopped"
    port = page.live.get("droplet").local_port
    assert port is not None
    page.select("droplet")
    click(qtbot, page.disconnect_button)
    qtbot.waitUntil(lambda: state_text(page) == "Stopped", timeout=UP_MS)
    assert light(row_state(page)) == "off"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # released


def test_an_unknown_server_asks_for_consent_showing_its_sha256_fingerprint_with_cancel_as_default(
    qtbot, sshd, echo_target, make_page
):
    save_profile(profile_for(sshd, echo_target))
    page = make_page()
    with qtbot.waitSignal(page.consent_dialogs.shown, timeout=UP_MS) as shown:
        page.connect_tunnel("droplet")
    dialog: HostKeyDialog = shown.args[0]
    assert dialog.isVisible()
    expected = fingerprints(*(Path(f"{k}.pub") for k in sshd.keys.host_keys))
    kind = "ED25519" if dialog.problem.key_type == "ssh-ed25519" else dialog.problem.key_type
    assert dialog.fingerprint.text() == expected[kind]
    assert f"[127.0.0.1]:{sshd.port}" in dialog.text()
    assert dialog.cancel_button.isDefault()
    assert dialog.trust_button is not None and not dialog.trust_button.isDefault()
    assert state_text(page).startswith("Connecting")  # nothing logs in while the user decides
    assert not sshd.wait_log("Accepted publickey", timeout=0.2)

    click(qtbot, dialog.trust_button)
    qtbot.waitUntil(lambda: state_text(page).startswith("Up on"), timeout=UP_MS)
    own = plugboard_dirs().known_hosts.read_text()
    assert own.startswith(f"[127.0.0.1]:{sshd.port} {dialog.problem.key_type} ")


def test_cancelling_the_consent_dialog_fails_the_tunnel_on_its_host_key(qtbot, sshd, echo_target, make_page):
    save_profile(profile_for(sshd, echo_target))
    page = make_page()
    with qtbot.waitSignal(page.consent_dialogs.shown, timeout=UP_MS) as shown:
        page.connect_tunnel("droplet")
    click(qtbot, shown.args[0].cancel_button)
    qtbot.waitUntil(lambda: state_text(page).startswith("Failed"), timeout=UP_MS)
    assert state_text(page).startswith("Failed (host key): [127.0.0.1]:")
    assert not plugboard_dirs().known_hosts.exists()


def test_a_changed_host_key_is_shown_refused_with_old_and_new_fingerprints_and_no_accept_button(
    qtbot, sshd, echo_target, make_page, user_known_hosts
):
    # A "known" ed25519 key for this host that is not the server's: exactly what a rebuilt server looks like.
    impostor = Path(f"{sshd.keys.ed25519}.pub").read_text().split()[1]
    user_known_hosts.write_text(f"[127.0.0.1]:{sshd.port} ssh-ed25519 {impostor}\n")
    save_profile(profile_for(sshd, echo_target))
    page = make_page()
    with qtbot.waitSignal(page.consent_dialogs.shown, timeout=UP_MS) as shown:
        page.connect_tunnel("droplet")
    dialog: HostKeyDialog = shown.args[0]
    old = fingerprints(Path(f"{sshd.keys.ed25519}.pub"))["ED25519"]
    new = fingerprints(Path(f"{sshd.keys.host_keys[0]}.pub"))["ED25519"]
    assert dialog.fingerprint.text() == f"Known:   {old}\nOffered: {new}"
    assert str(user_known_hosts) in dialog.text()
    roles = [dialog.buttons.buttonRole(b) for b in dialog.buttons.buttons()]
    assert roles == [QDialogButtonBox.ButtonRole.RejectRole]
    assert dialog.trust_button is None
    qtbot.waitUntil(lambda: state_text(page).startswith("Failed (host key)"), timeout=UP_MS)
    assert "CHANGED" in state_text(page)
    click(qtbot, dialog.cancel_button)


@pytest.mark.usefixtures("secret_service")
def test_a_pasted_ssh_command_fills_the_form_and_the_passphrase_goes_to_the_keyring_only(
    qtbot, known, echo_target, make_page, isolated_home
):
    page = make_page()
    dialog = page.add_tunnel()
    keys = known.keys
    qtbot.keyClicks(
        dialog.command,
        f"ssh -N -p {known.port} -i {keys.ed25519_protected} -L 0:127.0.0.1:{echo_target.port} root@127.0.0.1",
    )
    click(qtbot, dialog.command_button)
    assert dialog.host.text() == "127.0.0.1"
    assert dialog.port.value() == known.port
    assert dialog.user.text() == "root"
    assert dialog.key_file.text() == str(keys.ed25519_protected)
    assert dialog.remote_port.value() == echo_target.port
    assert dialog.local_port.text() == "automatic"
    dialog.name.setText("droplet")
    qtbot.keyClicks(dialog.secret, keys.passphrase)
    click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Save))
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)  # stored on a worker, then it closes
    loaded(qtbot, page)

    assert load_profiles()["droplet"] == TunnelProfile(
        name="droplet",
        host="127.0.0.1",
        port=known.port,
        user="root",
        auth="key",
        key_file=str(keys.ed25519_protected),
        remote_port=echo_target.port,
    )
    assert secrets.get_secret("tunnel:droplet", "passphrase") == keys.passphrase
    for path in [*isolated_home.rglob("*"), page.connectors.path]:
        if path.is_file():
            assert keys.passphrase.encode() not in path.read_bytes(), path
    assert state_text(page) == "Stopped"
    page.connect_tunnel("droplet")  # the protected key opens with the passphrase from the keyring
    qtbot.waitUntil(lambda: state_text(page).startswith("Up on"), timeout=UP_MS)


def test_an_ssh_config_host_alias_is_listed_and_imported(qtbot, known, echo_target, make_page, tmp_path):
    config = tmp_path / "ssh_config"
    config.write_text(
        "Host *\n  ServerAliveInterval 30\n"
        f"Host droplet\n  HostName 127.0.0.1\n  Port {known.port}\n  User root\n"
        f"  IdentityFile {known.keys.ed25519}\n  LocalForward 5055 127.0.0.1:{echo_target.port}\n"
    )
    page = make_page(ssh_config=config)
    dialog = page.add_tunnel()
    assert [dialog.alias.itemText(i) for i in range(dialog.alias.count())] == ["droplet"]
    click(qtbot, dialog.alias_button)
    assert dialog.name.text() == "droplet"
    assert (dialog.host.text(), dialog.port.value(), dialog.user.text()) == ("127.0.0.1", known.port, "root")
    assert (dialog.local_port.value(), dialog.remote_port.value()) == (5055, echo_target.port)
    dialog.auto_start.setChecked(True)
    click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Save))
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    saved = load_profiles()["droplet"]
    assert (saved.key_file, saved.local_port, saved.auto_start) == (str(known.keys.ed25519), 5055, True)
    loaded(qtbot, page)
    assert page.model.rowCount() == 1
    assert page.note.text() == 'Saved tunnel "droplet".'


@pytest.mark.usefixtures("secret_service")
def test_removing_a_live_tunnel_stops_it_and_names_the_connectors_that_still_use_it(
    qtbot, known, echo_target, make_page, claude_config
):
    claude_config.write_text(
        '{"mcpServers": {"catalyst": {"command": "/opt/plugboard", '
        '"args": ["proxy", "catalyst", "http://127.0.0.1:5000/mcp", "--ssh", "droplet"]}}}'
    )
    save_profile(profile_for(known, echo_target, auto_start=True))
    page = make_page()
    qtbot.waitUntil(lambda: state_text(page).startswith("Up on"), timeout=UP_MS)
    tunnel = page.live.get("droplet")
    page.select("droplet")
    click(qtbot, page.remove_button)
    qtbot.waitUntil(lambda: page.note.plain.startswith("Removed"), timeout=5000)
    assert page.note.plain == 'Removed tunnel "droplet". Connectors that still use it: catalyst.'
    assert load_profiles() == {}
    loaded(qtbot, page)
    assert page.model.rowCount() == 0 and page.empty.isVisible()
    qtbot.waitUntil(lambda: tunnel.state.kind == "stopped", timeout=UP_MS)


def test_the_remote_connector_button_opens_the_wizard_on_the_pages_connectors(qtbot, make_page):
    page = make_page()
    assert page.empty.isVisible() and not page.table.isVisible()
    click(qtbot, page.wizard_button)
    wizards = [w for w in page.findChildren(QWizard) if w.isVisible()]
    assert len(wizards) == 1
    assert wizards[0].connectors is page.connectors
    wizards[0].reject()
    assert page.note.isHidden()  # cancelled: nothing added, nothing to say


CATALYST = (
    '{"mcpServers": {"catalyst": {"command": "/opt/plugboard", '
    '"args": ["proxy", "catalyst", "http://127.0.0.1:5000/mcp", "--ssh", "droplet"]}}}'
)


def a_profile() -> TunnelProfile:
    return TunnelProfile(name="droplet", host="203.0.113.7", user="root", remote_port=5000)


def test_a_tunnel_a_connector_uses_names_it_and_follows_that_connectors_run(qtbot, make_page, claude_config):
    import os
    import time

    import psutil

    from plugboard.core.launch.status import ConnectorStatus, RunState, write_status
    from plugboard.gui.tunnels_model import USED

    claude_config.write_text(CATALYST)
    save_profile(a_profile())
    page = make_page()
    row = page.model.find("droplet")
    assert page.model.index(row, USED).data() == "catalyst"
    assert state_text(page) == "Closed; opens when Claude Desktop starts catalyst"
    # The connector's proxy (here: this process standing in for it) runs and keeps its status record.
    me = psutil.Process()
    write_status(
        ConnectorStatus(
            name="catalyst",
            state=RunState.RUNNING,
            launcher_pid=os.getpid(),
            launcher_started=me.create_time(),
            started=time.time(),
        )
    )
    qtbot.waitUntil(lambda: state_text(page) == "Open for catalyst (Claude Desktop runs it)", timeout=5000)
    assert page.model.row(row).light() == "up"
    write_status(
        ConnectorStatus(name="catalyst", state=RunState.FAILED, reason="tunnel droplet: the server refused the login")
    )
    qtbot.waitUntil(lambda: "could not use it" in state_text(page), timeout=5000)
    assert state_text(page) == "catalyst could not use it: tunnel droplet: the server refused the login"
    assert page.model.row(row).light() == "bad"
    assert "Stopped" not in state_text(page) and "By hand" not in str(page.model.index(row, USED).data())


def answer(qtbot, label: str) -> list[str]:
    """Click `label` in the next message box, once it shows (modal: scheduled before it opens); the list returned
    gets the box's text once it is answered."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    answered: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not box.isVisible():
            QTimer.singleShot(10, click)
            return
        answered.append(box.text())
        next(b for b in box.buttons() if b.text().replace("&", "") == label).click()

    QTimer.singleShot(0, click)
    return answered


def test_a_tunnel_open_in_another_process_is_not_removed_until_the_user_lets_plugboard_close_it(
    qtbot, make_page, claude_config
):
    import sys
    import threading
    import time

    from plugboard.core.tunnel.runfile import read_record, write_record
    from plugboard.core.tunnel.state import StateKind

    save_profile(a_profile())
    # `plugboard tunnel up droplet` in a terminal, stood in for by a child process that keeps the run record.
    other = subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"])
    # Reaped as soon as it exits, as its real parent (a terminal's shell) would: a zombie still reads as running.
    codes: list[int] = []
    reaper = threading.Thread(target=lambda: codes.append(other.wait()), name="reaper")
    reaper.start()
    try:
        started = time.time()
        write_record("droplet", TunnelState(StateKind.UP, local_port=5000), started)
        # The record names this process; rewrite it as the other one's (what its own write_record would say).
        path = plugboard_dirs().state / "tunnels" / "droplet.json"
        path.write_text(path.read_text().replace(f'"pid": {__import__("os").getpid()}', f'"pid": {other.pid}'))
        assert read_record("droplet") is not None
        page = make_page()
        page.select("droplet")
        asked = answer(qtbot, "Cancel")
        click(qtbot, page.remove_button)
        qtbot.waitUntil(lambda: bool(asked), timeout=5000)
        assert asked == ["The tunnel “droplet” is open in another Plugboard window or a terminal."]
        assert "droplet" in load_profiles()  # kept: the other process still runs it
        asked = answer(qtbot, "Close it and remove")
        click(qtbot, page.remove_button)
        qtbot.waitUntil(lambda: page.note.text().startswith("Removed"), timeout=30_000)
        assert load_profiles() == {}
        reaper.join(10)
        assert codes == [-15]  # it was asked to stop (SIGTERM)
    finally:
        if other.poll() is None:
            other.kill()
        reaper.join(10)


@pytest.mark.usefixtures("secret_service")
def test_a_tunnel_whose_profile_cannot_be_saved_keeps_the_old_passphrase(qtbot, tmp_path, monkeypatch):
    from plugboard.core.errors import PlugboardError
    from plugboard.core.secrets import keyring as secrets
    from plugboard.gui import tunnel_dialog
    from plugboard.gui.tunnel_dialog import PASSPHRASE_KEY, TunnelDialog

    dialog = TunnelDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name.setText("droplet")
    dialog.host.setText("127.0.0.1")
    dialog.user.setText("root")
    key_file = tmp_path / "id_ed25519"
    key_file.write_text("a key file\n")
    dialog.key_file.setText(str(key_file))
    connector = dialog.profile().secret_connector
    secrets.set_secret(connector, PASSPHRASE_KEY, "the old one")

    def refuse(profile, replace_existing=False):
        raise PlugboardError("the profile store is locked by another Plugboard")

    monkeypatch.setattr(tunnel_dialog, "save_profile", refuse)  # the one stand-in: a store that refuses the write
    qtbot.keyClicks(dialog.secret, "a new one")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.problem.text() == "the profile store is locked by another Plugboard", timeout=10_000)
    assert dialog.isVisible() and dialog.saved is None
    assert secrets.get_secret(connector, PASSPHRASE_KEY) == "the old one"
    dialog.reject()
