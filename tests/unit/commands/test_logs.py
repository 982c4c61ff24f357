"""`plugboard logs NAME`: the three sources merged by time, --since, --json, masking, and --follow live."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plugboard.cli import main
from plugboard.commands.logs import parse_since
from plugboard.core.logs.connector_log import ConnectorLog, supervised_log_name
from plugboard.core.logs.model import LAUNCHER
from plugboard.core.logs.redact import MASK
from plugboard.core.logs.sources import connector_sources, open_connector_log
from plugboard.core.paths import plugboard_dirs

# `plugboard logs --follow` starts in well under a second; 20 s absorbs a loaded 2-core machine.
FOLLOW_DEADLINE_S = 20.0
SECRET = "sk_logsCommandSecret_9d8e7f"


@pytest.fixture
def claude_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    logs = tmp_path / "xdg" / "Claude" / "logs"
    logs.mkdir(parents=True)
    return logs


@pytest.fixture
def connector(claude_config: Path, claude_logs: Path) -> str:
    claude_config.write_text(
        json.dumps({"mcpServers": {"github": {"command": "npx", "args": ["-y", "x"], "env": {"API_TOKEN": SECRET}}}})
    )
    logs = plugboard_dirs().logs
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "github.log").write_text(
        "2025-06-03T07:00:01.000Z [plugboard] started pid 7: npx -y x\n"
        f"2025-06-03T07:00:03.000Z ERROR: bad token {SECRET}\n"
    )
    (logs / f"{supervised_log_name('github')}.log").write_text("2025-06-03T07:00:02.000Z doctor run output\n")
    (claude_logs / "mcp-server-github.log").write_text(
        "2025-06-03T07:00:00.000Z [github] [info] Initializing server...\n"
        "2025-06-03T07:00:04.000Z [github] [error] Server disconnected\n"
    )
    return "github"


def test_the_three_sources_are_merged_by_time_with_secrets_masked(
    connector: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", connector]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out] == ["claude", "launcher", "supervisor", "launcher", "claude"]
    assert out[0].startswith("2025-06-03T07:00:00.000Z claude")
    assert out[3].endswith(f"ERROR: bad token {MASK}")
    assert "error" in out[3].split()
    assert SECRET not in "\n".join(out)


def test_since_and_json_select_and_shape_the_lines(connector: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", connector, "--since", "2025-06-03T07:00:03", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["source"], r["level"], r["text"]) for r in rows] == [
        ("launcher", "error", f"ERROR: bad token {MASK}"),
        ("claude", "error", "Server disconnected"),
    ]
    assert rows[0]["time"] == "2025-06-03T07:00:03.000Z"


def test_since_reads_durations_and_iso_times_and_refuses_nonsense() -> None:
    from plugboard.core.errors import PlugboardError

    assert parse_since("10m", now=1000.0) == 400.0
    assert parse_since("2h", now=10_000.0) == 10_000.0 - 7200
    assert parse_since("2025-06-03T07:00:00Z") == parse_since("2025-06-03T07:00:00")
    with pytest.raises(PlugboardError, match="cannot read --since"):
        parse_since("yesterday-ish")


def test_an_unknown_connector_without_logs_is_a_one_line_error(
    claude_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claude_config.write_text(json.dumps({"mcpServers": {}}))
    assert main(["logs", "nobody"]) == 1
    assert 'no connector called "nobody"' in capsys.readouterr().err


def test_live_sources_pick_up_new_lines_after_rotation() -> None:
    dirs = plugboard_dirs()
    log = ConnectorLog("chatty", dirs, max_bytes=300)
    log.write(b"history\n")
    sources = connector_sources("chatty", logs_dir=None, dirs=dirs)
    model, live = open_connector_log("chatty", sources)
    try:
        for i in range(30):
            log.write(b"line %02d\n" % i)
            if i % 4 == 0:
                live.poll_once()
        live.poll_once()
    finally:
        live.close()
        log.close()
    launcher_lines = [ln.text for ln in model.lines() if ln.source == LAUNCHER]
    assert launcher_lines == ["history"] + [f"line {i:02d}" for i in range(30)]


def _read_until(proc: subprocess.Popen[bytes], needle: bytes, seen: bytearray) -> bool:
    assert proc.stdout is not None
    deadline = time.monotonic() + FOLLOW_DEADLINE_S
    while needle not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        ready, _, _ = select.select([proc.stdout], [], [], remaining)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                return needle in seen
            seen += chunk
    return True


def test_follow_prints_new_lines_live_and_ends_cleanly_on_ctrl_c(connector: str) -> None:
    _follow_then_ctrl_c(connector, [sys.executable, "-m", "plugboard", "logs", connector, "--follow"])


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="a POSIX shell starts the follower with SIGINT ignored")
def test_follow_ends_on_ctrl_c_even_when_started_with_ctrl_c_ignored(connector: str) -> None:
    # A shell starts a script's background jobs (`plugboard logs x -f &`) with SIGINT ignored, and a test run started
    # that way hands the same to its children; Python then leaves SIGINT ignored.
    ignoring = ["/bin/sh", "-c", 'trap "" INT; exec "$0" "$@"']
    _follow_then_ctrl_c(connector, [*ignoring, sys.executable, "-m", "plugboard", "logs", connector, "--follow"])


def _follow_then_ctrl_c(connector: str, argv: list[str]) -> None:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    seen = bytearray()
    try:
        assert _read_until(proc, b"Server disconnected", seen), bytes(seen)
        with ConnectorLog(connector) as log:
            log.write(f"live line with {SECRET}\n".encode())
        assert _read_until(proc, b"live line with", seen), bytes(seen)
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(FOLLOW_DEADLINE_S)
        assert proc.stderr is not None
        proc.stderr.close()
        assert proc.stdout is not None
        proc.stdout.close()
    assert code == 0
    assert f"live line with {MASK}".encode() in seen
    assert SECRET.encode() not in seen
