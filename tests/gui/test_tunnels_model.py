"""The words the Remote page uses for tunnel states, traffic and notifications (pure functions, no tunnel)."""

from plugboard.core.tunnel.state import Problem, TunnelState
from plugboard.gui.tunnels_model import light, state_phrase, traffic_phrase, tunnel_notice

DROP = Problem("network", "the SSH connection closed")


def test_reconnecting_counts_down_from_the_next_try_and_never_below_zero():
    state = TunnelState("reconnecting", attempt=2, next_try_s=4.4, problem=DROP)
    assert state_phrase(state) == "Reconnecting (attempt 2, next try in 4 s): the SSH connection closed"
    assert state_phrase(state, waited_s=3.0) == "Reconnecting (attempt 2, next try in 1 s): the SSH connection closed"
    assert state_phrase(state, waited_s=9.0).startswith("Reconnecting (attempt 2, next try in 0 s)")


def test_each_state_has_its_phrase_and_light():
    cases = [
        (None, "Stopped", "off"),
        (TunnelState("connecting", attempt=1), "Connecting…", "busy"),
        (TunnelState("connecting", attempt=3), "Connecting… (attempt 3)", "busy"),
        (TunnelState("up", local_port=4321), "Up on 127.0.0.1:4321", "up"),
        (
            TunnelState("failed", problem=Problem("port", "local port 5000 is already in use")),
            "Failed (local port in use): local port 5000 is already in use",
            "bad",
        ),
        (TunnelState("stopped"), "Stopped", "off"),
    ]
    for state, phrase, colour in cases:
        assert (state_phrase(state), light(state)) == (phrase, colour)


def test_traffic_is_shown_in_decimal_units_each_way():
    assert traffic_phrase(None) == ""
    assert traffic_phrase((999, 1000)) == "↑ 999 B  ↓ 1.0 kB"
    assert traffic_phrase((2_480_000, 7_300_000_000)) == "↑ 2.5 MB  ↓ 7.3 GB"


def test_only_a_drop_a_recovery_and_a_final_failure_are_notified():
    up = TunnelState("up", local_port=4321)
    reconnecting = TunnelState("reconnecting", attempt=1, next_try_s=1.0, problem=DROP)
    connecting = TunnelState("connecting", attempt=2)
    assert tunnel_notice("d", up, reconnecting, dropped=False) == (
        "Tunnel d dropped",
        "the SSH connection closed. Plugboard is reconnecting.",
        True,
    )
    assert tunnel_notice("d", reconnecting, connecting, dropped=True) is None
    assert tunnel_notice("d", connecting, up, dropped=True) == (
        "Tunnel d is back",
        "Up again on 127.0.0.1:4321.",
        False,
    )
    assert tunnel_notice("d", TunnelState("connecting", attempt=1), up, dropped=False) is None
    failed = TunnelState("failed", problem=Problem("auth", "refused"))
    assert tunnel_notice("d", connecting, failed, dropped=False) == ("Tunnel d failed", "refused", True)
