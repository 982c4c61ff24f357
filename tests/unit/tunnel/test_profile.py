"""Tunnel profiles: validation, store round trips, no secrets in the store."""

from __future__ import annotations

import json

import pytest

from plugboard.core.errors import NotFoundError, PlugboardError
from plugboard.core.paths import plugboard_dirs
from plugboard.core.tunnel.profile import (
    Endpoint,
    TunnelProfile,
    delete_profile,
    load_profile,
    load_profiles,
    save_profile,
)


def make(**changes: object) -> TunnelProfile:
    values: dict[str, object] = {"name": "droplet", "host": "203.0.113.7", "user": "trader", "remote_port": 5000}
    values.update(changes)
    return TunnelProfile(**values)  # type: ignore[arg-type]


def test_a_profile_round_trips_through_the_store_section_tunnels():
    profile = make(auth="key", key_file="/k", jump="admin@bastion:2200", local_port=5001, auto_start=True)
    save_profile(profile)
    assert load_profile("droplet") == profile
    stored = json.loads(plugboard_dirs().store_file.read_text())
    assert stored["tunnels"]["droplet"]["key_file"] == "/k"
    assert "name" not in stored["tunnels"]["droplet"]


def test_unknown_keys_from_a_newer_version_survive_a_round_trip():
    data = make().to_dict() | {"future_setting": [1, 2]}
    profile = TunnelProfile.from_dict("droplet", data)
    assert profile.to_dict()["future_setting"] == [1, 2]


def test_saving_over_an_existing_name_needs_replace():
    save_profile(make())
    with pytest.raises(PlugboardError, match="already exists"):
        save_profile(make(port=2222))
    save_profile(make(port=2222), replace_existing=True)
    assert load_profile("droplet").port == 2222


def test_deleting_and_loading_missing_profiles_say_which_ones_exist():
    save_profile(make())
    save_profile(make(name="other"))
    delete_profile("droplet")
    assert list(load_profiles()) == ["other"]
    with pytest.raises(NotFoundError, match="known: other"):
        load_profile("droplet")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "bad name"}, "not a tunnel name"),
        ({"auth": "key"}, "names no key file"),
        ({"auth": "kerberos"}, "unknown authentication"),
        ({"remote_port": 70000}, "out of range"),
        ({"keepalive_count": 0}, "must be positive"),
        ({"jump": "user@:22"}, "not a host"),
    ],
)
def test_invalid_profiles_are_refused_with_a_sentence(changes: dict[str, object], message: str):
    with pytest.raises(PlugboardError, match=message):
        make(**changes)


def test_secrets_live_under_the_tunnel_connector_name():
    assert make().secret_connector == "tunnel:droplet"


@pytest.mark.parametrize(
    ("text", "endpoint"),
    [
        ("bastion", Endpoint("bastion", 22, None)),
        ("admin@bastion:2200", Endpoint("bastion", 2200, "admin")),
        ("admin@[2001:db8::1]:2200", Endpoint("2001:db8::1", 2200, "admin")),
    ],
)
def test_jump_endpoints_parse_user_host_and_port(text: str, endpoint: Endpoint):
    assert Endpoint.parse(text) == endpoint
