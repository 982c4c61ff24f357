"""The proxy process's life as Claude Desktop drives it: stdin closed or SIGTERM, each ending with the session
DELETEd, the status record written, and the right exit code; stdout carries nothing but JSON-RPC lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from plugboard.core.launch.status import RunState, read_status
from plugboard.core.paths import plugboard_dirs
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


class _HeldDeleteServer:
    """A real HTTP MCP endpoint (one thread, one request at a time) whose DELETE waits until `release` is set, so a
    test can signal the proxy while its clean-up is under way."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.delete_seen = threading.Event()
        self.release = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def _answer(self, status: int, body: bytes = b"", session: bool = False) -> None:
                self.send_response(status)
                if body:
                    self.send_header("Content-Type", "application/json")
                if session:
                    self.send_header("Mcp-Session-Id", "held-1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                msg = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if msg.get("method") == "initialize":
                    result = {"protocolVersion": "2025-06-18", "capabilities": {}, "serverInfo": {"name": "held"}}
                    body = json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": result}).encode()
                    self._answer(200, body, session=True)
                else:
                    self._answer(202)

            def do_GET(self) -> None:
                self._answer(405)

            def do_DELETE(self) -> None:
                owner.delete_seen.set()
                owner.release.wait(IO_DEADLINE_S)
                self._answer(200)

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/mcp"
        self.thread = threading.Thread(target=self.server.serve_forever, name="held-delete-server")

    def __enter__(self) -> _HeldDeleteServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(IO_DEADLINE_S)


# How long the proxy gets to (wrongly) die of a SIGTERM that arrived during its clean-up: a signal is handled in
# microseconds, so a proxy still running after this long is one that only noted it.
SIGNAL_HANDLED_S = 0.5


def test_a_sigterm_during_the_clean_up_lets_the_delete_finish_and_records_stopped() -> None:
    with _HeldDeleteServer() as server:
        proc = _start(server.url)
        assert _first_line(proc)["id"] == 1
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()  # Claude closes stdin: the clean-up begins with the DELETE, which the server holds
        assert server.delete_seen.wait(IO_DEADLINE_S)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(SIGNAL_HANDLED_S)
        except subprocess.TimeoutExpired:
            pass
        else:
            raise AssertionError(f"the SIGTERM cut the clean-up short (exit {proc.returncode})")
        server.release.set()
        assert proc.wait(IO_DEADLINE_S) == 128 + signal.SIGTERM
        proc.stdout.close()
    record = read_status("remote")
    assert record is not None
    assert (record.state, record.signal) == ("stopped", signal.SIGTERM)
    log = _log()
    assert "session closed (DELETE answered 200)" in log
    assert "stopped by SIGTERM" in log


@pytest.mark.parametrize(
    ("userinfo", "secrets"),
    [
        ("ana:pw-Vx93kq@", ("pw-Vx93kq", "k3y-Q7r")),
        # Unencoded `/` and `#` in the password (issue 16): a URL parser reads part of it as path or fragment.
        ("ana:pw/Vx93kq@", ("pw/Vx93kq", "Vx93kq", "k3y-Q7r")),
        ("ana:pw#Vx93kq@", ("pw#Vx93kq", "Vx93kq", "k3y-Q7r")),
    ],
)
def test_credentials_in_a_hand_written_address_reach_no_log_status_or_message(
    userinfo: str, secrets: tuple[str, ...]
) -> None:
    with Backend("http_mcp.py") as backend:
        url = backend.url.replace("http://", f"http://{userinfo}") + "?api_key=k3y-Q7r"
        proc = subprocess.Popen(
            [PLUGBOARD, "proxy", "remote", url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = proc.communicate(json.dumps(INIT).encode() + b"\n", timeout=IO_DEADLINE_S)
    answer = json.loads(out.splitlines()[0])
    assert "user name or password" in answer["error"]["message"]
    record = read_status("remote")
    assert record is not None and record.state is RunState.FAILED
    texts = [answer["error"]["message"], err.decode(), _log(), json.dumps(record.__dict__, default=str)]
    assert record.command[1] == backend.url
    for text in texts:
        assert not any(secret in text for secret in secrets), text
