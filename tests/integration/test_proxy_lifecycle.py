"""The proxy process's life as Claude Desktop drives it: stdin closed or SIGTERM, each ending with the session
DELETEd, the status record written, and the right exit code; stdout carries nothing but JSON-RPC lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from plugboard.core.paths import plugboard_dirs
from plugboard.core.status import read_status
from servers.http_backend import Backend

PLUGBOARD = str(Path(sys.executable).parent / "plugboard")
# Start (≈0.2 s) plus one initialize; generous for a loaded 2-core machine.
IO_DEADLINE_S = 20.0
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


def _start(url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [PLUGBOARD, "proxy", "remote", url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(INIT).encode() + b"\n")
    proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    proc.stdin.flush()
    return proc


def _first_line(proc: subprocess.Popen[bytes]) -> dict[str, object]:
    import selectors

    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        assert sel.select(IO_DEADLINE_S), "no answer to initialize"
    answer: dict[str, object] = json.loads(proc.stdout.readline())
    return answer


def _log() -> str:
    return plugboard_dirs().connector_log("remote").read_text(encoding="utf-8")


def test_closing_stdin_deletes_the_session_and_exits_0_with_only_json_on_stdout() -> None:
    with Backend("http_mcp.py") as backend:
        proc = _start(backend.url)
        assert _first_line(proc)["id"] == 1
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        rest = proc.stdout.read()
        assert proc.wait(IO_DEADLINE_S) == 0
        proc.stdout.close()
    assert rest == b""
    record = read_status("remote")
    assert record is not None
    assert (record.state, record.exit_code) == ("exited", 0)
    assert "session closed (DELETE answered 200)" in _log()


def test_sigterm_deletes_the_session_and_records_stopped() -> None:
    with Backend("http_mcp.py") as backend:
        proc = _start(backend.url)
        assert _first_line(proc)["id"] == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(IO_DEADLINE_S) == 128 + signal.SIGTERM
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        proc.stdout.close()
    record = read_status("remote")
    assert record is not None
    assert (record.state, record.signal) == ("stopped", signal.SIGTERM)
    log = _log()
    assert "session closed (DELETE answered 200)" in log
    assert "stopped by SIGTERM" in log
