"""Entry rules and diagnoses, without starting anything: Windows `npx`, relative paths, every reason kind."""

from __future__ import annotations

import json

import pytest

from plugboard.core.logs.claude_desktop import ClaudeLogEntry
from plugboard.core.probe import diagnosis as dx
from plugboard.core.probe import doctor
from plugboard.core.probe import supervisor as sv


@pytest.mark.parametrize("command", ["npx", "npx.cmd", r"C:\Program Files\nodejs\npx.cmd"])
def test_windows_npx_without_cmd_c_is_flagged(command: str) -> None:
    found = dx.check_entry(command, ["-y", "@modelcontextprotocol/server-github"], system="Windows")
    assert [d.code for d in found] == [dx.DiagnosisCode.WINDOWS_NPX]
    assert "cmd" in found[0].fix and "/c" in found[0].fix


def test_windows_npx_through_cmd_c_or_the_launcher_or_on_macos_is_fine() -> None:
    assert dx.check_entry("cmd", ["/c", "npx", "-y", "pkg"], system="Windows") == []
    assert (
        dx.check_entry("plugboard.exe", ["run", "gh", "--", "npx", "pkg"], system="Windows", via_plugboard="run") == []
    )
    assert dx.check_entry("npx", ["-y", "pkg"], system="Darwin") == []


@pytest.mark.parametrize(
    ("command", "args", "flagged"),
    [
        ("python3", ["server.py"], "server.py"),
        ("node", ["./dist/index.js"], "./dist/index.js"),
        ("./run-server", [], "./run-server"),
        ("uv", ["--directory", "/abs/project", "run", "server.py"], None),
        ("python3", ["/abs/server.py"], None),
        ("npx", ["-y", "@scope/server", "--root=/data"], None),
    ],
)
def test_relative_paths_in_an_entry_are_flagged_unless_the_program_changes_directory(
    command: str, args: list[str], flagged: str | None
) -> None:
    found = dx.check_entry(command, args, system="Linux")
    if flagged is None:
        assert found == []
    else:
        assert [d.code for d in found] == [sv.ReasonKind.RELATIVE_PATH]
        assert f"`{flagged}`" in found[0].summary
        assert "working directory `/`" in found[0].fix


SPEC = sv.ServerSpec("github", "npx", ["-y", "pkg"], secrets=["GITHUB_TOKEN"])


def _run(stderr: list[str] = (), noise: list[str] = ()) -> sv.RunInfo:  # type: ignore[assignment]
    run = sv.RunInfo(attempt=1)
    run.stderr_tail.extend(stderr)
    run.stdout_noise.extend(noise)
    return run


def test_a_missing_secret_diagnosis_names_the_key_and_the_command_that_sets_it() -> None:
    [found] = dx.diagnose(sv.Reason(sv.ReasonKind.MISSING_SECRET, "x", detail={"keys": ["GITHUB_TOKEN"]}), None, SPEC)
    assert found.code == sv.ReasonKind.MISSING_SECRET
    assert "GITHUB_TOKEN" in found.summary
    assert "`plugboard secret set github GITHUB_TOKEN`" in found.fix


def test_a_command_not_found_diagnosis_lists_the_folders_and_the_runtime_to_install() -> None:
    reason = sv.Reason(
        sv.ReasonKind.COMMAND_NOT_FOUND, "x", detail={"command": "npx", "searched": ["/opt/homebrew/bin"]}
    )
    [found] = dx.diagnose(reason, None, SPEC)
    assert "Install Node.js (https://nodejs.org)" in found.fix
    assert found.evidence == ["searched PATH", "searched /opt/homebrew/bin"]


def test_a_crash_with_a_relative_no_such_file_becomes_a_relative_path_diagnosis() -> None:
    node_error = "Error: ENOENT: no such file or directory, open 'config/settings.json'"
    [found] = dx.diagnose(sv.Reason(sv.ReasonKind.EXIT_BEFORE_READY, "x", exit_code=1), _run([node_error]), SPEC)
    assert found.code == sv.ReasonKind.RELATIVE_PATH
    assert "`config/settings.json`" in found.summary


def test_a_crash_about_an_absolute_missing_file_stays_a_crash() -> None:
    line = "FileNotFoundError: [Errno 2] No such file or directory: '/etc/app.json'"
    [found] = dx.diagnose(sv.Reason(sv.ReasonKind.EXIT_BEFORE_READY, "x", exit_code=1), _run([line]), SPEC)
    assert found.code == dx.DiagnosisCode.CRASH_AT_START
    assert "exit code 1" in found.summary
    assert found.evidence == [line]


def test_a_crash_shows_only_the_last_lines() -> None:
    lines = [f"line {i}" for i in range(30)]
    [found] = dx.diagnose(sv.Reason(sv.ReasonKind.EXIT_BEFORE_READY, "x", exit_code=2), _run(lines), SPEC)
    assert found.evidence == lines[-dx.EVIDENCE_LINES :]


def test_stdout_noise_is_a_problem_even_when_the_server_became_ready() -> None:
    found = dx.diagnose(sv.Reason(sv.ReasonKind.INITIALIZED, "ok"), _run(noise=["hello world"]), SPEC)
    assert [d.code for d in found] == [dx.DiagnosisCode.STDOUT_POLLUTION]
    assert "'hello world'" in found[0].fix


def test_a_healthy_run_has_no_diagnosis() -> None:
    assert dx.diagnose(sv.Reason(sv.ReasonKind.INITIALIZED, "ok"), _run(["info: started"]), SPEC) == []


def test_claudes_spawn_enoent_is_explained_as_the_gui_path_problem() -> None:
    from pathlib import Path

    entry = ClaudeLogEntry(1748935432.664, "error", "github", "spawn npx ENOENT", Path("mcp.log"))
    found = dx.diagnose_claude_error(entry, {"npx": "/opt/homebrew/bin/npx"})
    assert "could not find `npx`" in found.summary
    assert "Plugboard found it at /opt/homebrew/bin/npx." in found.fix
    assert found.evidence[0].startswith("2025-06-03T07:23:52.664Z spawn npx ENOENT")


def test_doctor_reports_a_windows_npx_entry_and_a_missing_secret_without_starting_anything() -> None:
    report = doctor.examine(
        SPEC,
        entry_command=["npx", "-y", "pkg"],
        system="Windows",
        get_secret=lambda _c, _k: None,
    )
    assert report.ok is False
    assert [p.code for p in report.problems] == [dx.DiagnosisCode.WINDOWS_NPX, sv.ReasonKind.MISSING_SECRET]
    assert report.state == sv.ServerState.FAILED
    text = doctor.render(report)
    assert "github: PROBLEMS FOUND" in text
    assert "On Windows, Claude Desktop cannot start `npx` directly" in text
    data = report.to_json()
    assert [p["code"] for p in data["problems"]] == ["windows-npx", "missing-secret"]
    assert data["tools"] is None
    assert data["reason"]["kind"] == "missing-secret"
    assert '"state": "failed"' in json.dumps(data)  # the typed state prints as its plain value


def test_a_bare_program_found_only_through_a_shell_path_is_flagged_on_macos() -> None:
    [found] = dx.check_gui_path("npx", "/opt/homebrew/bin/npx", system="Darwin")
    assert found.code == dx.DiagnosisCode.GUI_PATH
    assert "/opt/homebrew/bin/npx" in found.fix
    assert dx.check_gui_path("python3", "/usr/bin/python3", system="Darwin") == []
    assert dx.check_gui_path("npx", "/opt/homebrew/bin/npx", system="Darwin", via_plugboard="run") == []
    assert dx.check_gui_path("/opt/homebrew/bin/npx", "/opt/homebrew/bin/npx", system="Darwin") == []


def test_only_the_secrets_the_keyring_lacks_are_named() -> None:
    spec = sv.ServerSpec("github", "npx", ["pkg"], secrets=["GITHUB_TOKEN", "GITHUB_ORG"])
    report = doctor.examine(spec, system="Linux", get_secret=lambda _c, key: "set" if key == "GITHUB_TOKEN" else None)
    [problem] = report.problems
    assert problem.code == sv.ReasonKind.MISSING_SECRET
    assert "GITHUB_ORG" in problem.summary and "GITHUB_TOKEN" not in problem.summary
    assert report.reason.detail["keys"] == ["GITHUB_ORG"]


def test_a_plugboard_proxy_that_cannot_reach_its_remote_is_explained_as_such_not_as_a_bad_server() -> None:
    spec = sv.ServerSpec("far", "/opt/pb/bin/plugboard", ["proxy", "far", "http://127.0.0.1:9/mcp"])
    reason = sv.Reason(
        sv.ReasonKind.BAD_INITIALIZE,
        "the server refused initialize: error -32000: far: the remote MCP server is unreachable: cannot connect "
        "to http://127.0.0.1:9/mcp (connection refused). Is it running? Check with `plugboard doctor far`",
    )
    (found,) = dx.diagnose(reason, None, spec)
    assert found.code == dx.DiagnosisCode.REMOTE_UNREACHABLE
    assert found.summary.startswith("Plugboard's bridge could not reach the remote server (the remote MCP server")
    assert "plugboard doctor far" not in found.summary
    assert not any("plugboard doctor far" in line for line in found.evidence)  # doctor does not tell you to run it
    assert "tunnel" not in found.fix  # no tunnel in this entry
    through = sv.ServerSpec("far", "/opt/pb/bin/plugboard", ["proxy", "far", "http://127.0.0.1:9/mcp", "--ssh", "dro"])
    (found,) = dx.diagnose(reason, None, through)
    assert "`plugboard tunnel status dro` shows whether the SSH side is up" in found.fix


def test_diagnosis_declares_no_code_of_its_own_that_the_supervisor_already_names():
    assert {c.value for c in dx.DiagnosisCode} & {k.value for k in sv.ReasonKind} == set()
