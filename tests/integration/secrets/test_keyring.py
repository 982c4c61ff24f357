"""`plugboard secret ...` and `plugboard secure NAME` against the real Secret Service (gnome-keyring on a private
D-Bus session, see scripts/test-session.sh), plus the refusals when no real keyring is there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import anyio
import pytest
import secretstorage
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import TextContent

from integration.launcher_helpers import ENV_SERVER, claude_like_env
from plugboard.core.entries import plugboard_executable
from plugboard.core.paths import plugboard_dirs
from plugboard.core.secrets import keyring as secrets

VALUE = "xoxb-plugboard-test-7c1d2e3f4a5b"
# The CLI starts and talks to the keyring daemon in well under a second; 30 s covers a loaded machine.
CLI_TIMEOUT_S = 30.0
SESSION_DEADLINE_S = 30.0


def plugboard(*argv: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [plugboard_executable(), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        env={**os.environ, **env},
    )


def keyring_items(service: str = "plugboard") -> dict[str, str]:
    """username → secret of every item the Secret Service holds for `service`, read without the keyring library."""
    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        return {
            item.get_attributes()["username"]: item.get_secret().decode()
            for item in collection.search_items({"service": service})
        }


def files_holding(root: Path, value: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and value.encode() in p.read_bytes()]


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
    assert "nothing was stored" in result.stderr
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
        [plugboard_executable(), "run", "slack", "--secret", "SLACK_BOT_TOKEN", "--", sys.executable, "-c", "1"],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )

    assert result.returncode == 1
    assert "no system keyring is available" in result.stderr
    assert "Traceback" not in result.stderr


def _plain_config(claude_config: Path) -> dict[str, object]:
    config = {
        "globalShortcut": "Ctrl+Space",
        "mcpServers": {
            "slack": {
                "command": sys.executable,
                "args": [str(ENV_SERVER)],
                "env": {"SLACK_BOT_TOKEN": VALUE, "SLACK_TEAM_ID": "T0123"},
            }
        },
    }
    claude_config.write_text(json.dumps(config, indent=2))
    return config


@pytest.mark.usefixtures("secret_service")
def test_secure_moves_a_plaintext_value_into_the_keyring_and_leaves_no_copy_behind(
    claude_config: Path, tmp_path: Path
) -> None:
    _plain_config(claude_config)
    # An earlier edit made a backup that holds the plaintext, as any real user's history would.
    assert plugboard("add", "other", "--", sys.executable, "-c", "1").returncode == 0

    secured = plugboard("secure", "slack", "SLACK_BOT_TOKEN")

    assert secured.returncode == 0, secured.stderr
    entry = json.loads(claude_config.read_text())["mcpServers"]["slack"]
    assert entry == {
        "command": plugboard_executable(),
        "args": ["run", "slack", "--secret", "SLACK_BOT_TOKEN", "--", sys.executable, str(ENV_SERVER)],
        "env": {"SLACK_TEAM_ID": "T0123"},
    }
    assert json.loads(claude_config.read_text())["globalShortcut"] == "Ctrl+Space"
    assert keyring_items() == {"slack/SLACK_BOT_TOKEN": VALUE}
    # The older backup is named, not silently kept; the backup made by `secure` itself holds no plaintext.
    holding = files_holding(tmp_path, VALUE)
    assert holding and all(p.parent == plugboard_dirs().backups for p in holding)
    assert all(str(p) in secured.stdout for p in holding)
    assert VALUE not in secured.stdout + secured.stderr

    cleaned = plugboard("secure", "slack", "--delete-old-backups")

    assert cleaned.returncode == 0, cleaned.stderr
    assert files_holding(tmp_path, VALUE) == []


@pytest.mark.usefixtures("secret_service")
def test_a_secured_entry_still_gives_the_server_its_secret(claude_config: Path, tmp_path: Path) -> None:
    _plain_config(claude_config)
    assert plugboard("secure", "slack").returncode == 0
    entry = json.loads(claude_config.read_text())["mcpServers"]["slack"]
    # Only the value that looks like a secret moves; the team id stays a plain, visible setting.
    assert entry["args"][:5] == ["run", "slack", "--secret", "SLACK_BOT_TOKEN", "--"]
    assert entry["env"] == {"SLACK_TEAM_ID": "T0123"}

    async def main() -> str:
        with anyio.fail_after(SESSION_DEADLINE_S), (tmp_path / "errlog").open("w") as errlog:
            params = StdioServerParameters(command=entry["command"], args=entry["args"], env=claude_like_env())
            async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool("env_status", {"name": "SLACK_BOT_TOKEN"})
                return "".join(b.text for b in result.content if isinstance(b, TextContent))

    assert json.loads(anyio.run(main)) == {"name": "SLACK_BOT_TOKEN", "set": True, "length": len(VALUE)}
    assert files_holding(tmp_path, VALUE) == []


@pytest.mark.usefixtures("secret_service")
def test_secure_refuses_a_key_the_entry_does_not_have_and_changes_nothing(claude_config: Path) -> None:
    _plain_config(claude_config)
    before = claude_config.read_bytes()

    result = plugboard("secure", "slack", "NOPE")

    assert result.returncode == 1 and "no env value called NOPE" in result.stderr
    assert claude_config.read_bytes() == before
    assert keyring_items() == {}


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


def test_secure_backups_stay_valid_json_and_keep_unrelated_equal_values(claude_config: Path) -> None:
    """A harmless value equal to nothing secret, and numbers elsewhere, survive the scrubbed backup untouched."""
    config = {
        "preferences": {"quickEntryShortcut": 1, "note": "T0123"},
        "mcpServers": {
            "slack": {
                "command": sys.executable,
                "args": [str(ENV_SERVER)],
                "env": {"SLACK_BOT_TOKEN": VALUE, "DEBUG": "1"},
            }
        },
    }
    claude_config.write_text(json.dumps(config, indent=2))
    assert plugboard("secure", "slack").returncode == 0
    backup = sorted((claude_config.parent.parent / "plugboard-home" / "state" / "backups").iterdir())[-1]
    saved = json.loads(backup.read_text())
    assert saved["preferences"] == {"quickEntryShortcut": 1, "note": "T0123"}
    assert saved["mcpServers"]["slack"]["env"] == {
        "SLACK_BOT_TOKEN": "[moved to the keyring by Plugboard]",
        "DEBUG": "1",
    }
    assert plugboard("restore", backup.name).returncode == 0
