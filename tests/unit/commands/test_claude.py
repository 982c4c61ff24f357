"""`plugboard claude status|restart` arguments and output, with nothing that looks like Claude running."""

from __future__ import annotations

import json

import pytest

from plugboard import cli


@pytest.fixture(autouse=True)
def no_claude(tmp_path, monkeypatch):
    # Match only an executable that does not exist, so a Claude on the developer's machine never counts.
    monkeypatch.setenv("PLUGBOARD_CLAUDE_EXECUTABLE", str(tmp_path / "no-such-claude"))


def test_status_json_says_not_running_and_names_the_config_file(claude_config, capsys):
    assert cli.main(["claude", "status", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["running"] is False
    assert payload["pids"] == []
    assert payload["config"] == {
        "path": str(claude_config),
        "source": "PLUGBOARD_CLAUDE_CONFIG",
        "exists": False,
        "logs_dir": payload["config"]["logs_dir"],
    }


def test_status_honours_the_config_flag(tmp_path, capsys):
    other = tmp_path / "elsewhere.json"
    other.write_text("{}")
    assert cli.main(["claude", "status", "--config", str(other)]) == 0
    out = capsys.readouterr().out
    assert "Claude Desktop: not running" in out
    assert f"Config: {other} (--config)" in out


def test_claude_without_an_action_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["claude"])
    assert exit_info.value.code == 2


def test_restart_refuses_a_timeout_that_is_not_positive(capsys):
    assert cli.main(["claude", "restart", "--timeout", "0"]) == 1
    assert capsys.readouterr().err.strip() == "plugboard: --timeout must be a positive number of seconds."
