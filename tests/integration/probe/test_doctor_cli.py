"""`plugboard doctor` end to end: a Claude config with real (mis)behaving servers, human and --json output.

Each failure case from issue 4 is asserted in both forms: the sentence a person reads and the stable `code` a
script reads. The config file is the isolated one from conftest; Claude's log folder is a temporary
XDG_CONFIG_HOME (Linux's location, FACTS.md §A).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from integration.supervisor_servers import SERVERS
from plugboard.cli import main
from plugboard.core.install import entry_command

# A silent server is given this long to answer: the timeout is the behaviour under test.
HANG_TIMEOUT = "1.5"


def _python(script: str, **extra: Any) -> dict[str, Any]:
    return {"command": sys.executable, "args": [str(SERVERS / script)], **extra}


def _write_config(path: Path, servers: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"mcpServers": servers}, indent=2))


def _doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["doctor", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _doctor_json(capsys: pytest.CaptureFixture[str], name: str, *args: str) -> dict[str, Any]:
    _code, out, _err = _doctor(capsys, name, "--json", *args)
    reports = json.loads(out)
    assert [r["name"] for r in reports] == [name]
    report: dict[str, Any] = reports[0]
    return report


def _codes(report: dict[str, Any]) -> list[str]:
    return [p["code"] for p in report["problems"]]


@pytest.fixture
def claude_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config_home = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    logs = config_home / "Claude" / "logs"
    logs.mkdir(parents=True)
    return logs


def test_a_healthy_sdk_server_is_ok_with_names_counts_and_timings(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_config(claude_config, {"healthy": _python("healthy_server.py")})
    code, out, _err = _doctor(capsys, "healthy")
    assert code == 0
    assert "healthy: OK" in out
    assert "server: healthy-server, protocol 2025-11-25" in out
    assert "tools (2): add, echo" in out
    assert "resources (1): memo://greeting" in out
    assert "prompts (1): summarise" in out
    assert "ping: answered" in out
    report = _doctor_json(capsys, "healthy")
    assert report["ok"] is True
    assert report["server"]["name"] == "healthy-server"
    assert report["tools"] == {"count": 2, "names": ["add", "echo"]}
    assert report["prompts"]["count"] == 1
    assert report["problems"] == []
    assert set(report["timings_ms"]) >= {"start", "initialize", "tools", "ping", "shutdown", "total"}
    assert report["timings_ms"]["initialize"] > 0


def test_server_everything_is_ok_and_its_paginated_resources_are_all_listed(
    claude_config: Path, capsys: pytest.CaptureFixture[str], everything_stdio_command: list[str]
) -> None:
    command, *args = everything_stdio_command
    _write_config(claude_config, {"everything": {"command": command, "args": args}})
    report = _doctor_json(capsys, "everything")
    assert report["ok"] is True, report["problems"]
    assert report["server"]["name"] == "mcp-servers/everything"
    assert report["tools"]["count"] >= 10
    assert "get-sum" in report["tools"]["names"]
    assert report["resources"]["count"] == len(set(report["resources"]["names"])) > 0
    assert report["resource_templates"]["count"] >= 1
    assert report["ping"] is True


def test_every_enabled_connector_is_examined_and_one_failure_makes_the_exit_code_1(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_config(
        claude_config,
        {"healthy": _python("healthy_server.py"), "crash": _python("crash_at_start_server.py")},
    )
    code, out, err = _doctor(capsys)
    assert code == 1
    assert "healthy: OK" in out
    assert "crash: PROBLEMS FOUND" in out
    assert "problems found in crash" in err


def test_crash_at_start_shows_the_exit_code_and_the_last_stderr_lines(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_config(claude_config, {"crash": _python("crash_at_start_server.py")})
    code, out, _err = _doctor(capsys, "crash")
    assert code == 1
    assert "The server stopped right after starting (exit code 3), before it answered Claude." in out
    assert "| fatal: DATABASE_URL is not set" in out
    report = _doctor_json(capsys, "crash")
    assert report["state"] == "crashed"
    assert report["reason"]["exit_code"] == 3
    assert _codes(report) == ["crash-at-start"]
    assert "fatal: DATABASE_URL is not set" in report["problems"][0]["evidence"]


def test_a_stdout_polluter_is_reported_with_the_offending_line(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from servers.stdout_polluter_server import BANNER

    _write_config(claude_config, {"polluter": _python("stdout_polluter_server.py")})
    code, out, _err = _doctor(capsys, "polluter")
    assert code == 1
    assert "printed text that is not MCP to stdout" in out
    assert f"The first offending line: {BANNER!r}" in out
    report = _doctor_json(capsys, "polluter")
    assert report["ok"] is False
    assert report["tools"]["names"] == ["noop"]  # it works otherwise
    assert _codes(report) == ["stdout-pollution"]
    assert report["problems"][0]["evidence"] == [BANNER]


def test_a_silent_server_is_a_timeout_on_initialize(claude_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_config(claude_config, {"hang": _python("silent_hang_server.py")})
    code, out, _err = _doctor(capsys, "hang", "--timeout", HANG_TIMEOUT)
    assert code == 1
    assert f"The server started but did not answer within {HANG_TIMEOUT} s (no reply to MCP initialize)." in out
    assert "| silent_hang: connecting to the backend..." in out
    report = _doctor_json(capsys, "hang", "--timeout", HANG_TIMEOUT)
    assert report["reason"]["kind"] == "initialize-timeout"
    assert _codes(report) == ["initialize-timeout"]


def test_a_slow_server_within_the_timeout_is_ok_and_its_start_time_shows_the_delay(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_config(claude_config, {"slow": _python("slow_start_server.py", env={"SLOW_START_S": "1"})})
    report = _doctor_json(capsys, "slow")
    assert report["ok"] is True, report["problems"]
    assert report["timings_ms"]["initialize"] >= 1000


def test_a_protocol_version_mismatch_names_both_versions(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from servers.protocol_mismatch_server import SERVER_PROTOCOL_VERSION

    _write_config(claude_config, {"ancient": _python("protocol_mismatch_server.py")})
    code, out, _err = _doctor(capsys, "ancient")
    assert code == 1
    assert f"The server speaks MCP protocol version {SERVER_PROTOCOL_VERSION}" in out
    assert "2025-11-25" in out
    report = _doctor_json(capsys, "ancient")
    assert _codes(report) == ["protocol-mismatch"]


def test_a_missing_command_says_where_it_looked_and_what_to_install(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_config(claude_config, {"ghost": {"command": "uvx", "args": ["mcp-server-ghost"]}})
    # An empty PATH and HOME make `uvx` unfindable whatever this machine has installed.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", "")
        mp.setenv("HOME", str(claude_config.parent / "empty-home"))
        code, out, _err = _doctor(capsys, "ghost")
        report = _doctor_json(capsys, "ghost")
    assert code == 1
    assert "The program `uvx` is not installed" in out
    assert "Install uv (https://docs.astral.sh/uv/)" in out
    assert "| searched PATH" in out
    assert _codes(report) == ["command-not-found"]
    assert any("empty-home/.local/bin" in line for line in report["problems"][0]["evidence"])


def test_a_relative_file_in_a_root_working_directory_is_explained(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_config(claude_config, {"relative": _python("relative_path_server.py")})
    code, out, _err = _doctor(capsys, "relative")
    assert code == 1
    assert "could not find `settings/relative_server.json`, a path relative to its working directory" in out
    assert "working directory `/`" in out
    report = _doctor_json(capsys, "relative")
    assert _codes(report) == ["relative-path"]


def test_a_relative_script_path_in_the_entry_is_flagged_before_it_runs(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_config(claude_config, {"script": {"command": sys.executable, "args": ["servers/healthy_server.py"]}})
    report = _doctor_json(capsys, "script")
    codes = _codes(report)
    assert codes[0] == "relative-path"
    assert "`servers/healthy_server.py`" in report["problems"][0]["summary"]


def test_doctor_shows_the_last_error_claude_desktop_logged_for_the_connector(
    claude_config: Path, claude_logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (claude_logs / "mcp.log").write_text(
        "2025-06-03T07:23:50.100Z [info] [healthy] Initializing server...\n"
        "2025-06-03T07:23:52.664Z [error] [healthy] spawn npx ENOENT\n"
        "2025-06-03T07:23:53.000Z [error] [other] spawn uvx ENOENT\n"
    )
    _write_config(claude_config, {"healthy": _python("healthy_server.py")})
    code, out, _err = _doctor(capsys, "healthy")
    assert code == 0  # the server works now; Claude's old error is shown, not counted
    assert "last error in Claude Desktop's log (2025-06-03T07:23:52.664Z): spawn npx ENOENT" in out
    assert "Claude Desktop could not find `npx`" in out
    report = _doctor_json(capsys, "healthy")
    assert report["claude_last_error"]["text"] == "spawn npx ENOENT"
    assert report["claude_last_error"]["diagnosis"]["code"] == "claude-error"


@pytest.mark.usefixtures("secret_service")
def test_a_launcher_entry_with_a_missing_secret_says_how_to_set_it_and_works_once_it_is_set(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from plugboard.core.secrets.keyring import set_secret

    entry = {
        "command": entry_command(),
        "args": ["run", "github", "--secret", "GITHUB_TOKEN", "--", sys.executable, str(SERVERS / "env_server.py")],
    }
    _write_config(claude_config, {"github": entry})
    code, out, _err = _doctor(capsys, "github")
    assert code == 1
    assert "The connector needs the secret GITHUB_TOKEN, which the keyring does not have." in out
    assert "`plugboard secret set github GITHUB_TOKEN`" in out
    report = _doctor_json(capsys, "github")
    assert _codes(report) == ["missing-secret"]
    set_secret("github", "GITHUB_TOKEN", "ghp_doctorTestValue_0b1c2d")
    report = _doctor_json(capsys, "github")
    assert report["ok"] is True, report["problems"]
    assert report["tools"]["names"] == ["env_status"]
    assert "ghp_doctorTestValue_0b1c2d" not in json.dumps(report)


def test_paginated_listings_are_followed_to_the_last_page(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from servers.paginated_server import PROMPTS, RESOURCES, TOOLS

    _write_config(claude_config, {"paged": _python("paginated_server.py")})
    report = _doctor_json(capsys, "paged")
    assert report["ok"] is True, report["problems"]
    assert report["protocol_version"] == "2025-06-18"
    assert report["tools"] == {"count": len(TOOLS), "names": TOOLS}
    assert report["resources"]["names"] == RESOURCES
    assert report["prompts"]["names"] == PROMPTS
    assert report["resource_templates"] is None  # "Method not found" for an optional listing is not a problem


def test_a_server_that_repeats_its_cursor_does_not_make_doctor_loop(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_config(claude_config, {"loop": _python("paginated_server.py", env={"PAGINATED_LOOP": "1"})})
    report = _doctor_json(capsys, "loop")
    # Page 1 (tool-0, tool-1), then the cursor "2" once (tool-2, tool-3); the repeated cursor ends the listing.
    assert report["tools"]["names"] == ["tool-0", "tool-1", "tool-2", "tool-3"]
