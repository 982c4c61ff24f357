"""core.errors: the CLI's sentence and the app's (`plain`) — the app's never asks for a command to be typed."""

from pathlib import Path

import pytest

from plugboard.core.claude.discovery import discover
from plugboard.core.config.connectors import Connectors
from plugboard.core.errors import ConfigError, NotFoundError, PlugboardError


def test_without_a_plain_sentence_the_app_shows_the_cli_one():
    assert PlugboardError("the server is unreachable").plain == "the server is unreachable"


def test_a_missing_connector_names_the_list_command_only_for_the_cli(tmp_path: Path, isolated_home: Path) -> None:
    config = tmp_path / "claude_desktop_config.json"
    config.write_text('{"mcpServers": {}}')
    with pytest.raises(NotFoundError) as found:
        Connectors(discover(str(config))).disable("gone")
    assert str(found.value).endswith("; `plugboard list` shows them")
    assert "`" not in found.value.plain and "“gone”" in found.value.plain


def test_a_broken_file_points_the_app_at_repair_and_the_cli_at_the_command(tmp_path: Path) -> None:
    error = ConfigError(tmp_path / "c.json", "a trailing comma", line=3, column=4, repair="remove it")
    assert "run `plugboard repair` to remove it" in str(error)
    assert error.plain.endswith("(Repair… on the Connectors page fixes it)") and "`" not in error.plain
