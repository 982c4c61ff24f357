"""Start, stop and restart the proxy tests' backends (`http_mcp.py`, `http_faults.py`) as child processes.

A backend prints its port once it is bound; `Backend.start` reads that line with a deadline. `restart` stops the
process and starts a new one on the same port, which is what "the backend was restarted mid-session" means.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# A Python MCP server imports the SDK, starlette and uvicorn: about a second here, 30 s on a loaded CI box.
START_TIMEOUT_S = 30.0
# uvicorn stops on SIGTERM in well under a second once connections are closed; then we kill.
STOP_GRACE_S = 3.0


class Backend:
    def __init__(self, script: str, *args: str, port: int = 0) -> None:
        self.script = HERE / script
        self.args = list(args)
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> Backend:
        argv = [sys.executable, str(self.script), "--port", str(self.port), *self.args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(START_TIMEOUT_S):
                self.stop()
                raise TimeoutError(f"{self.script.name} printed no port in {START_TIMEOUT_S:.0f} s")
        line = self.proc.stdout.readline()
        if not line.strip():
            self.stop()
            raise RuntimeError(f"{self.script.name} exited before binding")
        self.port = int(line)
        return self

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(STOP_GRACE_S)
        if proc.stdout is not None:
            proc.stdout.close()

    def kill(self) -> None:
        """Stop at once (SIGKILL): the server has no chance to close its streams politely."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.stop()

    def restart(self) -> None:
        self.kill()
        self.start()

    def __enter__(self) -> Backend:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
