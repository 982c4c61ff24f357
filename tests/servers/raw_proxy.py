"""Drive `plugboard proxy` with raw JSON-RPC lines, reading every line it writes (for tests that count answers).

The `mcp` SDK client hides what these tests look at: it drops answers for unknown ids and cannot tell "one answer"
from "two". `RawProxy` starts the installed `plugboard` console script as Claude Desktop does (stdin/stdout pipes,
the test's PLUGBOARD_HOME), a reader thread collects stdout lines as parsed JSON (a line that is not JSON is kept as
text, and fails the tests that check), and `wait_for` waits on them with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PLUGBOARD = str(Path(sys.executable).parent / "plugboard")
PASSED_ENV = ("PLUGBOARD_HOME", "PLUGBOARD_USER_KNOWN_HOSTS", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "PATH")
# Start plus a handshake on a loaded 2-core machine.
START_DEADLINE_S = 20.0

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def call(request_id: Any, tool: str, **arguments: Any) -> dict[str, Any]:
    params = {"name": tool, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


class RawProxy:
    def __init__(self, url: str, *flags: str, name: str = "remote") -> None:
        env = {key: os.environ[key] for key in PASSED_ENV if key in os.environ}
        self.proc = subprocess.Popen(
            [PLUGBOARD, "proxy", name, url, *flags],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.lines: list[Any] = []
        self.arrived: list[float] = []  # time.monotonic() of each line
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="raw-proxy-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                parsed: Any = json.loads(raw)
            except ValueError:
                parsed = raw.decode("utf-8", "replace")
            with self._cond:
                self.lines.append(parsed)
                self.arrived.append(time.monotonic())
                self._cond.notify_all()

    def send(self, *messages: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
        self.proc.stdin.flush()

    def handshake(self) -> None:
        self.send(INITIALIZE)
        self.answer(0, START_DEADLINE_S)
        self.send(INITIALIZED)

    def answers(self, request_id: Any) -> list[Any]:
        with self._cond:
            return [m for m in self.lines if isinstance(m, dict) and m.get("id") == request_id and "method" not in m]

    def wait_for(self, predicate: Callable[[list[Any]], bool], timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.lines), timeout)

    def answer(self, request_id: Any, timeout: float) -> dict[str, Any]:
        assert self.wait_for(lambda _lines: bool(self.answers(request_id)), timeout), f"no answer to {request_id}"
        found: dict[str, Any] = self.answers(request_id)[0]
        return found

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def close(self, timeout: float = START_DEADLINE_S) -> int:
        """Close stdin and wait for the proxy to exit; its exit code. Killed (and the test failed) if it hangs."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
            raise AssertionError("the proxy did not exit after stdin closed") from None
        finally:
            self._reader.join(timeout)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
        return code

    def __enter__(self) -> RawProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(AssertionError):  # the test has failed already; just do not hang
                self.close()
