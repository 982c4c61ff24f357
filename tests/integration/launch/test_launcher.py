"""`plugboard run` with real MCP servers, started the way Claude Desktop starts it (a stdio client, Claude's
short environment), with secrets in the real Secret Service."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import TextContent

from integration.launcher_helpers import (
    ENV_SERVER,
    finish,
    python_server,
    read_until,
    start_launcher,
    wait_gone,
)
from integration.launcher_helpers import claude_like_env as _claude_env
from plugboard.core.install import entry_command
from plugboard.core.launch.status import RunState, connector_status_label, read_status
from plugboard.core.logs.redact import MASK
from plugboard.core.paths import plugboard_dirs
from plugboard.core.secrets.keyring import set_secret

# Interpreter + SDK import + handshake well under 2 s here; 30 s absorbs a loaded 2-core machine.
SESSION_DEADLINE_S = 30.0
# A server that ignores stdin and waits for a signal.
PAUSING_SERVER = python_server("import signal, sys; print('up', file=sys.stderr, flush=True); signal.pause()")
SECRET = "ghp_plugboardTestValue_5f3a9c1e77"


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


async def _session(
    args: list[str], errlog_path: Path, tool: str, arguments: dict[str, Any], **env: str
) -> tuple[str, set[str], str]:
    with anyio.fail_after(SESSION_DEADLINE_S), errlog_path.open("w") as errlog:
        params = StdioServerParameters(command=entry_command(), args=args, env=_claude_env(**env))
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            init = await session.initialize()
            tools = await session.list_tools()
            result = await session.call_tool(tool, arguments)
            return init.server_info.name, {t.name for t in tools.tools}, _text(result)


def _env_server_run(name: str, *keys: str) -> list[str]:
    args = ["run", name]
    for key in keys:
        args += ["--secret", key]
    return [*args, "--", sys.executable, str(ENV_SERVER)]


@pytest.mark.usefixtures("secret_service")
def test_a_secret_from_the_keyring_reaches_the_server_and_its_stderr_is_logged_masked(tmp_path: Path) -> None:
    set_secret("github", "GITHUB_TOKEN", SECRET)
    errlog = tmp_path / "claude-mcp-server-github.log"

    name, tools, text = anyio.run(
        lambda: _session(
            _env_server_run("github", "GITHUB_TOKEN"),
            errlog,
            "env_status",
            {"name": "GITHUB_TOKEN"},
            ENV_SERVER_LEAK="GITHUB_TOKEN",
        )
    )

    assert name == "env-server"
    assert "env_status" in tools
    assert json.loads(text) == {"name": "GITHUB_TOKEN", "set": True, "length": len(SECRET)}
    log = plugboard_dirs().connector_log("github").read_text()
    assert f"debug: GITHUB_TOKEN={MASK}" in log
    assert "env_server ready" in log
    passed_on = errlog.read_text()
    assert f"debug: GITHUB_TOKEN={MASK}" in passed_on
    assert SECRET not in log + passed_on
    record = read_status("github")
    assert record is not None
    assert record.state is RunState.EXITED and record.exit_code == 0
    assert f"debug: GITHUB_TOKEN={MASK}" in record.stderr_tail
    assert record.command == [sys.executable, str(ENV_SERVER)]


@pytest.mark.usefixtures("secret_service")
def test_no_file_plugboard_wrote_holds_the_secret_value(tmp_path: Path, isolated_home: Path) -> None:
    set_secret("github", "GITHUB_TOKEN", SECRET)
    anyio.run(
        lambda: _session(
            _env_server_run("github", "GITHUB_TOKEN"),
            tmp_path / "errlog",
            "env_status",
            {"name": "GITHUB_TOKEN"},
            ENV_SERVER_LEAK="GITHUB_TOKEN",
        )
    )

    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    # The scan must cover what the run wrote: store (names index), status record and connector log.
    names = {p.name for p in written}
    assert {"store.json", "github.json", "github.log"} <= names
    leaking = [p for p in written if SECRET.encode() in p.read_bytes()]
    assert leaking == []


@pytest.mark.usefixtures("secret_service")
def test_a_missing_secret_stops_the_server_from_starting_and_says_how_to_set_it() -> None:
    proc = start_launcher("github", python_server("print('must not run')"), secrets=("GITHUB_TOKEN",))
    proc.stdin.close()  # type: ignore[union-attr]
    code, out, err = finish(proc)

    assert code == 1
    message = err.decode()
    assert "missing secret GITHUB_TOKEN" in message
    assert "plugboard secret set github GITHUB_TOKEN" in message
    assert connector_status_label("github") == "failed: missing secret GITHUB_TOKEN"
    assert "not started: github: missing secret GITHUB_TOKEN" in plugboard_dirs().connector_log("github").read_text()
    assert out == b""


def test_an_unknown_command_is_refused_with_what_was_searched() -> None:
    proc = start_launcher("ghost", ["no-such-mcp-server-xyz", "--flag"])
    proc.stdin.close()  # type: ignore[union-attr]
    code, _out, err = finish(proc)

    assert code == 1
    assert "cannot find `no-such-mcp-server-xyz`" in err.decode()
    assert ".cargo/bin" in err.decode()
    assert connector_status_label("ghost") == "failed: command not found: no-such-mcp-server-xyz"


def test_stdin_and_stdout_are_handed_to_the_server_not_copied() -> None:
    # The server reports the inodes of its fd 0 and fd 1. A pipe's two ends share one inode, so equal numbers mean
    # the server reads and writes the very pipes we hold: the launcher is not in the path of any message.
    code = (
        "import os, sys\n"
        "sys.stderr.write('%d %d\\n' % (os.fstat(0).st_ino, os.fstat(1).st_ino)); sys.stderr.flush()\n"
        "line = sys.stdin.readline()\n"
        "sys.stdout.write('echo:' + line); sys.stdout.flush()\n"
    )
    proc = start_launcher("direct", python_server(code))
    assert proc.stdin is not None and proc.stdout is not None
    ours = (os.fstat(proc.stdin.fileno()).st_ino, os.fstat(proc.stdout.fileno()).st_ino)
    reported = read_until(proc, b"\n").split(b"\n")[0]
    proc.stdin.write(b"hello\n")
    proc.stdin.flush()
    echoed = proc.stdout.readline()
    proc.stdin.close()
    exit_code, _out, _err = finish(proc)

    assert tuple(int(x) for x in reported.split()) == ours
    assert echoed == b"echo:hello\n"
    assert exit_code == 0


def _wait_for_status_pid(name: str) -> int:
    record = read_status(name)
    assert record is not None and record.state is RunState.RUNNING and record.pid
    return record.pid


def test_sigterm_to_the_launcher_stops_the_server() -> None:
    proc = start_launcher("sleepy", PAUSING_SERVER)
    read_until(proc, b"up")
    server_pid = _wait_for_status_pid("sleepy")

    proc.send_signal(signal.SIGTERM)
    code, _out, _err = finish(proc)

    assert wait_gone(server_pid)
    assert code == 128 + signal.SIGTERM
    assert connector_status_label("sleepy") == "stopped"


def test_closing_stdin_stops_a_server_that_ignores_eof() -> None:
    proc = start_launcher("deaf", PAUSING_SERVER)
    read_until(proc, b"up")
    server_pid = _wait_for_status_pid("deaf")

    proc.stdin.close()  # type: ignore[union-attr]
    code, _out, _err = finish(proc)

    assert wait_gone(server_pid)
    assert code == 128 + signal.SIGTERM
    log = plugboard_dirs().connector_log("deaf").read_text()
    assert "stdin closed and the server still ran" in log


def test_a_server_that_ignores_sigterm_is_killed_after_the_grace_period() -> None:
    stubborn = (
        "import signal, sys\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('up', file=sys.stderr, flush=True)\n"
        "while True: signal.pause()\n"
    )
    proc = start_launcher("stubborn", python_server(stubborn))
    read_until(proc, b"up")
    server_pid = _wait_for_status_pid("stubborn")

    proc.send_signal(signal.SIGTERM)
    code, _out, _err = finish(proc)

    assert wait_gone(server_pid)
    assert code == 128 + signal.SIGKILL
    assert "killing it" in plugboard_dirs().connector_log("stubborn").read_text()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_sigkill_of_the_launcher_still_takes_the_server_down_on_linux() -> None:
    proc = start_launcher("orphan", PAUSING_SERVER)
    read_until(proc, b"up")
    server_pid = _wait_for_status_pid("orphan")

    proc.kill()
    finish(proc)

    assert wait_gone(server_pid)
    # The launcher never wrote its end: the reader must notice it vanished.
    assert connector_status_label("orphan") == "crashed"


def test_the_launcher_drives_server_everything(everything_stdio_command: list[str], tmp_path: Path) -> None:
    name, tools, echoed = anyio.run(
        lambda: _session(
            ["run", "everything", "--", *everything_stdio_command],
            tmp_path / "errlog",
            "echo",
            {"message": "through plugboard"},
        )
    )

    assert "everything" in name
    assert {"echo", "get-sum"} <= tools
    assert "through plugboard" in echoed
    assert connector_status_label("everything") == "exited 0"


def test_a_command_only_nvm_knows_starts_with_claudes_bare_path(tmp_path: Path) -> None:
    # A fake nvm install with a global npm tool: a `#!/usr/bin/env node` script, as npm installs them. It only works
    # when the launcher both finds it and puts its folder first on the child's PATH, so `env` picks the `node` beside
    # it over the system's /usr/bin/node.
    home = tmp_path / "fakehome"
    bin_dir = home / ".nvm" / "versions" / "node" / "v20.11.1" / "bin"
    bin_dir.mkdir(parents=True)
    (home / ".nvm" / "alias").mkdir()
    (home / ".nvm" / "alias" / "default").write_text("20\n")
    node = bin_dir / "node"
    node.write_text(f'#!/bin/sh\nexec {sys.executable} -c \'import sys; print("node ran", sys.argv[1:])\' "$@"\n')
    tool = bin_dir / "mcp-server-nvm-only"
    tool.write_text("#!/usr/bin/env node\n")
    for script in (node, tool):
        script.chmod(0o755)

    proc = start_launcher("nvm-only", ["mcp-server-nvm-only", "--stdio"], HOME=str(home), PATH="/usr/bin:/bin")
    code, out, err = finish(proc)

    assert code == 0, err
    assert out.startswith(b"node ran")
    assert str(tool).encode() in out and b"--stdio" in out
