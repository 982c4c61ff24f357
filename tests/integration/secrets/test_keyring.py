"""`plugboard secret ...` against the real Secret Service (gnome-keyring on a private D-Bus session, see
scripts/test-session.sh), plus the refusals when no real keyring is there. `secure` is in tests/integration/config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from integration.keyring_helpers import CLI_TIMEOUT_S, VALUE, files_holding, keyring_items, plugboard
from plugboard.core.install import entry_command
from plugboard.core.secrets import keyring as secrets


@pytest.mark.usefixtures("secret_service")
def test_secret_set_reads_the_value_from_stdin_and_stores_it_under_service_plugboard(tmp_path: Path) -> None:
    result = plugboard("secret", "set", "slack", "SLACK_BOT_TOKEN", stdin=VALUE + "\n")

    assert result.returncode == 0, result.stderr
    assert keyring_items() == {"slack/SLACK_BOT_TOKEN": VALUE}
    assert VALUE not in result.stdout + result.stderr
    assert files_holding(tmp_path, VALUE) == []


@pytest.mark.usefixtures("secret_service")
def test_secret_list_shows_names_only_and_delete_removes_one() -> None:
    secrets.set_secret("slack", "SLACK_BOT_TOKEN", VALUE)
    secrets.set_secret("slack", "SLACK_TEAM_ID", "T0123")

    listed = plugboard("secret", "list", "slack", "--json")
    deleted = plugboard("secret", "delete", "slack", "SLACK_TEAM_ID")
    again = plugboard("secret", "delete", "slack", "SLACK_TEAM_ID")

    assert json.loads(listed.stdout) == ["SLACK_BOT_TOKEN", "SLACK_TEAM_ID"]
    assert VALUE not in listed.stdout
    assert deleted.returncode == 0
    assert again.returncode == 1 and "no secret SLACK_TEAM_ID" in again.stderr
    assert keyring_items() == {"slack/SLACK_BOT_TOKEN": VALUE}
    assert secrets.list_secret_names("slack") == ["SLACK_BOT_TOKEN"]


@pytest.mark.usefixtures("secret_service")
@pytest.mark.parametrize("given", ["", "\n", "   \n"])
def test_an_empty_value_is_refused_and_nothing_is_stored(given: str) -> None:
    result = plugboard("secret", "set", "slack", "SLACK_BOT_TOKEN", stdin=given)

    assert result.returncode == 1
    assert "Enter a value for the secret SLACK_BOT_TOKEN: an empty secret is never stored." in result.stderr
    assert keyring_items() == {}
    assert secrets.list_secret_names("slack") == []


def test_an_invalid_key_name_is_refused_before_reading_any_value() -> None:
    result = plugboard("secret", "set", "slack", "not a name", stdin=VALUE)

    assert result.returncode == 1
    assert "not a valid secret name" in result.stderr


def test_without_a_secret_service_the_cli_refuses_and_says_what_to_install(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    result = plugboard(
        "secret",
        "set",
        "slack",
        "SLACK_BOT_TOKEN",
        stdin=VALUE,
        DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path / 'no-bus'}",
        XDG_RUNTIME_DIR=str(runtime),
    )

    assert result.returncode == 1
    assert "no system keyring is available" in result.stderr
    assert "Secret Service" in result.stderr and "gnome-keyring" in result.stderr
    assert files_holding(tmp_path, VALUE) == []


def test_the_null_backend_chosen_by_configuration_is_refused(tmp_path: Path) -> None:
    result = plugboard(
        "secret", "set", "slack", "SLACK_BOT_TOKEN", stdin=VALUE, PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring"
    )

    assert result.returncode == 1
    assert "found only keyring.backends.null.Keyring" in result.stderr


def test_plaintext_backends_from_keyrings_alt_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # keyrings.alt is not installed here; a class that claims its module is enough for the refusal rule.
    plaintext = type("PlaintextKeyring", (), {"__module__": "keyrings.alt.file"})()
    monkeypatch.setattr("keyring.get_keyring", lambda: plaintext)

    with pytest.raises(secrets.KeyringUnavailable, match=r"keyrings\.alt\.file\.PlaintextKeyring"):
        secrets.set_secret("slack", "SLACK_BOT_TOKEN", VALUE)


def test_a_missing_secret_in_a_launcher_without_keyring_is_reported_not_crashed(tmp_path: Path) -> None:
    result = subprocess.run(
        [entry_command(), "run", "slack", "--secret", "SLACK_BOT_TOKEN", "--", sys.executable, "-c", "1"],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )

    assert result.returncode == 1
    assert "no system keyring is available" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("secret_service")
def test_the_launchers_fast_secret_service_read_finds_exactly_what_keyring_stored() -> None:
    secrets.set_secret("slack", "SLACK_BOT_TOKEN", VALUE)

    assert secrets._secret_service_get("slack", "SLACK_BOT_TOKEN") == VALUE
    # Not set: a definite "none", not "ask keyring instead".
    assert secrets._secret_service_get("slack", "OTHER") is None
    assert secrets._secret_service_get("slac", "k/SLACK_BOT_TOKEN") is None


def test_a_user_chosen_keyring_backend_turns_the_fast_path_off(tmp_path: Path) -> None:
    assert secrets.keyring_configured({"PYTHON_KEYRING_BACKEND": "keyring.backends.kwallet.DBusKeyring"})
    assert not secrets.keyring_configured({"XDG_CONFIG_HOME": str(tmp_path)})
    (tmp_path / "python_keyring").mkdir()
    (tmp_path / "python_keyring" / "keyringrc.cfg").write_text("[backend]\ndefault-keyring=x.y\n")
    assert secrets.keyring_configured({"XDG_CONFIG_HOME": str(tmp_path)})
