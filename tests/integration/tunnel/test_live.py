"""The app's set of live tunnels (core/tunnel/live.py) against a real sshd: one tunnel per name, stop frees the port
in the background, restart hands the same port to the new settings, a stop never waits on an unanswered host-key
question, and close is bounded and final. The Remote page that adapts it: tests/gui/test_remote_page.py."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fixtures.sshd import SshServer, Target
from plugboard.core.tunnel.consent import HostKeyConsent
from plugboard.core.tunnel.live import TunnelSet
from plugboard.core.tunnel.profile import TunnelProfile
from plugboard.core.tunnel.state import TunnelState
from plugboard.core.tunnel.tunnel import Tunnel

pytestmark = pytest.mark.usefixtures("user_known_hosts")

UP_TIMEOUT_S = 20.0  # a login on a loaded 2-core box; normally ~0.1 s
# Closing a tunnel that is up takes well under a second; this bounds the background close.
CLOSED_S = 10.0


def profile_for(sshd: SshServer, target: Target, **changes: object) -> TunnelProfile:
    values: dict[str, object] = {
        "name": "droplet",
        "host": "127.0.0.1",
        "port": sshd.port,
        "user": "root",
        "auth": "key",
        "key_file": str(sshd.keys.ed25519),
        "remote_port": target.port,
    }
    values.update(changes)
    return TunnelProfile(**values)  # type: ignore[arg-type]


class Heard:
    """Every (name, tunnel, state) the set reported, with a wait for one that matches."""

    def __init__(self, live: TunnelSet) -> None:
        self.events: list[tuple[str, Tunnel, TunnelState]] = []
        self._changed = threading.Condition()
        live.subscribe(self._add)

    def _add(self, name: str, tunnel: Tunnel, state: TunnelState) -> None:
        with self._changed:
            self.events.append((name, tunnel, state))
            self._changed.notify_all()

    def wait(self, match: Callable[[str, Tunnel, TunnelState], bool], timeout: float = UP_TIMEOUT_S) -> Tunnel:
        with self._changed:
            assert self._changed.wait_for(lambda: any(match(*e) for e in self.events), timeout), self.events
            return next(e[1] for e in self.events if match(*e))


def free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def trusted(sshd: SshServer, user_known_hosts: Path) -> SshServer:
    user_known_hosts.write_text(sshd.known_hosts_line())
    return sshd


def test_one_tunnel_per_name_and_stop_frees_its_port_in_the_background(trusted, echo_target):
    live = TunnelSet()
    heard = Heard(live)
    try:
        live.start(profile_for(trusted, echo_target))
        tunnel = heard.wait(lambda _n, _t, s: s.kind == "up")
        live.start(profile_for(trusted, echo_target))  # already live: nothing new
        assert live.get("droplet") is tunnel and live.is_live("droplet")
        assert [name for name, _ in live.items()] == ["droplet"]
        port = tunnel.local_port
        assert port is not None and not free(port)

        began = time.monotonic()
        assert live.stop("droplet") is True
        assert time.monotonic() - began < 1.0  # closing happens on the set's own thread
        assert live.get("droplet") is None and not live.is_live("droplet")
        heard.wait(lambda _n, t, s: t is tunnel and s.kind == "stopped", CLOSED_S)
        assert free(port)
        assert live.stop("droplet") is False
    finally:
        assert live.close()


def test_restart_hands_the_same_local_port_to_the_new_settings_once_the_old_tunnel_let_go(trusted, echo_target):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live = TunnelSet()
    heard = Heard(live)
    try:
        live.start(profile_for(trusted, echo_target, local_port=port))
        old = heard.wait(lambda _n, _t, s: s.kind == "up")

        live.restart(profile_for(trusted, echo_target, local_port=port, keepalive_interval_s=2.0))

        new = heard.wait(lambda _n, t, s: t is not old and s.kind == "up")
        assert new.profile.keepalive_interval_s == 2.0 and new.local_port == port
        assert old.state.kind == "stopped"
        assert not any(s.kind == "failed" for _n, _t, s in heard.events)  # never "port in use" by itself
    finally:
        assert live.close()


def test_a_failed_tunnel_is_replaced_by_the_next_start(trusted, echo_target):
    live = TunnelSet()
    heard = Heard(live)
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            live.start(profile_for(trusted, echo_target, local_port=taken.getsockname()[1]))
            failed = heard.wait(lambda _n, _t, s: s.kind == "failed")
            assert failed.state.problem is not None and failed.state.problem.kind == "port"
            assert not live.is_live("droplet")
        live.start(profile_for(trusted, echo_target, local_port=failed.profile.local_port))
        heard.wait(lambda _n, t, s: t is not failed and s.kind == "up")
    finally:
        assert live.close()


def test_stopping_a_tunnel_that_waits_for_host_key_consent_answers_no_instead_of_waiting(sshd, echo_target):
    consent = HostKeyConsent()
    live = TunnelSet(consent=consent)
    heard = Heard(live)
    try:
        live.start(profile_for(sshd, echo_target))  # sshd is not in known_hosts: the tunnel asks
        deadline = time.monotonic() + UP_TIMEOUT_S
        while consent.waiting() == 0:
            assert time.monotonic() < deadline, "the tunnel never asked"
            threading.Event().wait(0.01)
        tunnel = live.get("droplet")

        live.stop("droplet")

        heard.wait(lambda _n, t, s: t is tunnel and s.kind == "stopped", CLOSED_S)
        assert consent.waiting() == 0
        assert not sshd.wait_log("Accepted publickey", timeout=0.2)
    finally:
        assert live.close()


def test_close_stops_everything_within_its_bound_and_later_starts_do_nothing(trusted, echo_target):
    live = TunnelSet()
    heard = Heard(live)
    live.start(profile_for(trusted, echo_target))
    live.start(profile_for(trusted, echo_target, name="second"))
    heard.wait(lambda n, _t, s: n == "droplet" and s.kind == "up")
    heard.wait(lambda n, _t, s: n == "second" and s.kind == "up")

    began = time.monotonic()
    assert live.close(timeout=CLOSED_S)
    assert time.monotonic() - began < CLOSED_S
    assert live.close(timeout=CLOSED_S)  # twice is fine

    stopped = {n for n, _t, s in heard.events if s.kind == "stopped"}
    assert stopped == {"droplet", "second"}
    live.start(profile_for(trusted, echo_target))
    assert live.get("droplet") is None and live.items() == []
