"""`plugboard secure NAME` (core/config/secure.py) against the real Secret Service (scripts/test-session.sh): values
move to the keyring, the entry starts through the launcher, and no copy of a value is left in Claude's file,
Plugboard's store or a backup — for an enabled connector and for a disabled (parked) one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import TextContent

from integration.keyring_helpers import VALUE, files_holding, keyring_items, plugboard
from integration.launcher_helpers import ENV_SERVER, claude_like_env
from plugboard.core.install import entry_command
from plugboard.core.paths import plugboard_dirs

SESSION_DEADLINE_S = 30.0


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
        "command": entry_command(),
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


@pytest.mark.usefixtures("secret_service")
def test_secure_on_a_disabled_connector_moves_the_value_and_its_parked_copy_keeps_no_plaintext(
    claude_config: Path, tmp_path: Path
) -> None:
    _plain_config(claude_config)
    assert plugboard("disable", "slack").returncode == 0
    assert VALUE in plugboard_dirs().store_file.read_text()  # the parked copy holds it, as written

    secured = plugboard("secure", "slack", "--delete-old-backups")

    assert secured.returncode == 0, secured.stderr
    assert "Traceback" not in secured.stderr
    assert keyring_items() == {"slack/SLACK_BOT_TOKEN": VALUE}
    # The backup that `disable` made held the value: named, then deleted as asked; nothing else holds it.
    assert "1 older backup(s)" in secured.stdout and "Deleted 1 backup(s)." in secured.stdout
    assert files_holding(tmp_path, VALUE) == []
    listed = json.loads(plugboard("list", "--json").stdout)
    assert [(c["name"], c["enabled"], c["via"]) for c in listed] == [("slack", False, "run")]

    assert plugboard("enable", "slack").returncode == 0
    entry = json.loads(claude_config.read_text())["mcpServers"]["slack"]
    assert entry == {
        "command": entry_command(),
        "args": ["run", "slack", "--secret", "SLACK_BOT_TOKEN", "--", sys.executable, str(ENV_SERVER)],
        "env": {"SLACK_TEAM_ID": "T0123"},
    }
    assert files_holding(tmp_path, VALUE) == []
