"""Smoke tests of an installed Plugboard package: what Claude Desktop and a user meet, from the package's own files.

    python packaging/smoke.py --root / [--screenshot FILE]       (Linux, inside scripts/test-session.sh: a keyring)
    python packaging/smoke.py --bundle DIR [--screenshot FILE]   (macOS, Windows: DIR holds plugboard and the app)

`--root` is where the .deb was installed (`/` after `apt-get install`, or the folder `dpkg-deb -x` filled); the
package's paths are ROOT/opt/plugboard/{plugboard,plugboard-app} and ROOT/usr/bin/plugboard. `--bundle` names the
folder of the two executables elsewhere (Plugboard.app/Contents/MacOS; %LOCALAPPDATA%\\Programs\\Plugboard). Run
with the checkout's Python environment: the test servers (tests/servers) need the MCP SDK; the package under test
is only ever run as a program.

Checks, each printed as `ok`/`FAIL` with its evidence:
- the package's files are where a package manager put them (the /usr/bin link, the .desktop entry, the icons);
- every sub-command of the source's registry is in the packaged command (`--help` of each);
- a connector added with the packaged command (`plugboard add --secret`) is written with the per-user command path,
  and started as Claude Desktop starts it (that path, a Claude-like environment) answers `initialize`, and its tool
  sees the secret from the keyring (length only: the value never crosses the protocol);
- `plugboard run` maps no Qt library while it serves (/proc/PID/maps on Linux, the loaded modules elsewhere), and
  neither does `plugboard proxy`;
- `plugboard proxy` reaches a Streamable HTTP server (an MCP SDK server on loopback) and lists its tools;
- the packaged app opens its window (Linux: on a virtual screen, Xvfb, seen from outside with xwininfo; elsewhere
  the app saves its own first frame, PLUGBOARD_SCREENSHOT, gui/app.py); a screenshot is saved;
- `plugboard run`'s start-up overhead over starting the server directly (bench_launcher.py, a short run, reported).
The last line is `N passed, N failed`; the exit status is 1 when any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVERS = ROOT / "tests" / "servers"
sys.path.insert(0, str(ROOT / "desktop"))

# A Python MCP server (SDK imported) answers initialize in ~0.5 s here; 30 s is a loaded 2-core CI machine.
ANSWER_TIMEOUT_S = 30.0
# The app's first window on Xvfb takes 1-3 s here; 60 s is a machine busy building.
WINDOW_TIMEOUT_S = 60.0
# Processes the smoke test started get this long to leave after being asked, then are killed.
STOP_GRACE_S = 10.0
QT_MARKERS = ("libQt6", "libshiboken6", "libpyside6", "PySide6", "Qt6Core", "QtCore.framework", "shiboken6")
SECRET_VALUE = "smoke-secret-value-0123456789"  # noqa: S105 - a test value, stored in the test keyring

results: list[tuple[bool, str, str]] = []


def check(name: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    def wrap(test: Callable[[], str]) -> Callable[[], str]:
        started = time.monotonic()
        try:
            detail = test()
            ok = True
        except Exception as exc:  # a smoke test reports every failure and goes on
            detail, ok = f"{type(exc).__name__}: {exc}", False
        took = time.monotonic() - started
        results.append((ok, name, detail))
        print(f"{'ok  ' if ok else 'FAIL'} {name} ({took:.1f}s): {detail}", flush=True)
        return test

    return wrap


def loaded_files(pid: int) -> list[str]:
    """The files a running process has mapped: its libraries."""
    if sys.platform.startswith("linux"):
        maps = Path(f"/proc/{pid}/maps").read_text(encoding="utf-8")
        return [line.split()[-1] for line in maps.splitlines() if "/" in line]
    if sys.platform == "darwin":  # psutil has no memory maps on macOS; lsof lists mapped files as "txt"
        out = subprocess.run(["lsof", "-p", str(pid), "-Fn"], capture_output=True, text=True, check=False).stdout
        return [line[1:] for line in out.splitlines() if line.startswith("n/")]
    import psutil

    return [m.path for m in psutil.Process(pid).memory_maps()]


def qt_mappings(pid: int) -> list[str]:
    return sorted({path for path in loaded_files(pid) if any(m in path for m in QT_MARKERS)})


def claude_env(home: Path, **extra: str) -> dict[str, str]:
    """What Claude Desktop passes a server (FACTS.md §A), plus what reaches the test session's keyring."""
    env = {k: os.environ[k] for k in ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER") if k in os.environ}
    windows = ("APPDATA", "LOCALAPPDATA", "USERPROFILE", "SYSTEMROOT", "SYSTEMDRIVE", "TEMP", "TMP", "USERNAME")
    for key in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", *windows):
        if key in os.environ:
            env[key] = os.environ[key]
    env["PLUGBOARD_HOME"] = str(home)
    env.update(extra)
    return env


class Stdio:
    """One MCP stdio exchange with a program, newline-delimited JSON-RPC, every read under a deadline."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        # A reader thread, not select(): pipes cannot be selected on Windows.
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(b"")

    def send(self, message: dict[str, object]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def answer(self, request_id: int) -> dict[str, object]:
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(0.0, left))
            except queue.Empty:
                raise TimeoutError(f"no answer to request {request_id} within {ANSWER_TIMEOUT_S:.0f} s") from None
            if not line:
                raise RuntimeError(f"the program closed its output; stderr: {self.stderr_tail()}")
            message = json.loads(line)
            if message.get("id") == request_id:
                return message

    def initialize(self) -> dict[str, object]:
        self.send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "plugboard-smoke", "version": "0"},
                },
            }
        )
        answer = self.answer(1)
        if "result" not in answer:
            raise RuntimeError(f"initialize failed: {answer}")
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer["result"]  # type: ignore[return-value]

    def call(self, request_id: int, method: str, params: dict[str, object]) -> dict[str, object]:
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        answer = self.answer(request_id)
        if "result" not in answer:
            raise RuntimeError(f"{method} failed: {answer}")
        return answer["result"]  # type: ignore[return-value]

    def qt_mappings(self) -> list[str]:
        return qt_mappings(self.proc.pid)

    def stderr_tail(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return "(still running)"
        return self.proc.stderr.read().decode(errors="replace")[-500:]

    def close(self) -> int:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()  # as Claude Desktop does: the launcher then stops its server
        try:
            return self.proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
        finally:
            self.reader.join(STOP_GRACE_S)
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="where the .deb was installed (Linux)")
    parser.add_argument("--bundle", type=Path, help="the folder of the two executables (macOS, Windows)")
    parser.add_argument("--screenshot", type=Path, default=ROOT / "build" / "smoke" / "app-window.png")
    parser.add_argument("--bench-runs", type=int, default=8)
    opts = parser.parse_args()

    root: Path | None = opts.root
    bundle: Path = opts.bundle or (root or Path("/")) / "opt" / "plugboard"
    exe = ".exe" if os.name == "nt" else ""
    command = bundle / f"plugboard{exe}"
    app = bundle / f"plugboard-app{exe}"
    home = Path(tempfile.mkdtemp(prefix="plugboard-smoke-"))
    config = home / "Claude" / "claude_desktop_config.json"
    config.parent.mkdir(parents=True)
    env = claude_env(home, PLUGBOARD_CLAUDE_CONFIG=str(config))
    print(f"smoke: package at {root or bundle}, Plugboard home {home}", flush=True)

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(command), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=ANSWER_TIMEOUT_S,
            check=False,
        )

    @check("the package's files are in place")
    def _files() -> str:
        if root is None:
            wanted = [command, app] + ([bundle / "plugboard-command.files"] if os.name == "nt" else [])
            missing = [str(p) for p in wanted if not p.is_file()]
            if missing:
                raise AssertionError(f"missing: {missing}")
            return f"{command.name} and {app.name} in {bundle}"
        link = root / "usr" / "bin" / "plugboard"
        if os.readlink(link) != "/opt/plugboard/plugboard":
            raise AssertionError(f"{link} -> {os.readlink(link)}")
        desktop = (root / "usr" / "share" / "applications" / "plugboard.desktop").read_text(encoding="utf-8")
        if "Exec=/opt/plugboard/plugboard-app" not in desktop:
            raise AssertionError("the .desktop entry does not start the app")
        icons = sorted((root / "usr" / "share" / "icons" / "hicolor").glob("*/apps/plugboard.png"))
        if len(icons) < 5:
            raise AssertionError(f"hicolor icons: {icons}")
        if not (os.access(command, os.X_OK) and os.access(app, os.X_OK)):
            raise AssertionError("the executables are not executable")
        return f"{link} -> /opt/plugboard/plugboard, .desktop entry, {len(icons)} icon sizes"

    @check("every sub-command is in the packaged command")
    def _commands() -> str:
        from plugboard.cli import _all_groups

        wanted = []
        for module in _all_groups():
            sub = argparse.ArgumentParser().add_subparsers()
            module.register(sub, [])
            wanted += list(sub.choices)
        listed = cli("--help")
        if listed.returncode != 0:
            raise AssertionError(listed.stderr)
        missing = [verb for verb in wanted if not re.search(rf"^ {{4}}{re.escape(verb)}(\s|$)", listed.stdout, re.M)]
        failing = [verb for verb in wanted if cli(verb, "--help").returncode != 0]
        if missing or failing:
            raise AssertionError(f"missing from --help: {missing}; `--help` failing: {failing}")
        return f"{len(wanted)} sub-commands: {' '.join(wanted)}"

    @check("a connector added with the package starts as Claude starts it, with its keyring secret")
    def _connector() -> str:
        added = cli(
            "add", "smoke", "--secret", "SMOKE_TOKEN", "--", sys.executable, str(SERVERS / "env_server.py"),
            stdin=SECRET_VALUE + "\n",
        )  # fmt: skip
        if added.returncode != 0:
            raise AssertionError(f"plugboard add: {added.stderr}")
        entry = json.loads(config.read_text(encoding="utf-8"))["mcpServers"]["smoke"]
        shim = home / "bin" / command.name
        leads_to = (
            Path(os.path.realpath(shim))
            if os.name != "nt"
            else Path(json.loads((shim.parent / "plugboard-shim.json").read_text(encoding="utf-8"))["source"])
            / command.name
        )  # Windows: a copy of the command's files, with a record of where they came from
        if entry["command"] != str(shim) or not os.path.samefile(leads_to, command):
            raise AssertionError(f"entry command {entry['command']} (shim -> {leads_to})")
        if SECRET_VALUE in config.read_text(encoding="utf-8"):
            raise AssertionError("the secret reached Claude's file")
        server = Stdio([entry["command"], *entry["args"]], claude_env(home))  # Claude's env: no PLUGBOARD_CLAUDE_...
        try:
            info = server.initialize()
            status = server.call(2, "tools/call", {"name": "env_status", "arguments": {"name": "SMOKE_TOKEN"}})
            # The bundle's own library folder must not reach the server (packaging/entry/plugboard_command.py).
            libraries = server.call(3, "tools/call", {"name": "env_status", "arguments": {"name": "LD_LIBRARY_PATH"}})
            level = server.call(
                4, "tools/call", {"name": "env_status", "arguments": {"name": "_PYI_PARENT_PROCESS_LEVEL"}}
            )
            qt = server.qt_mappings()
        finally:
            code = server.close()
        seen = json.loads(status["content"][0]["text"])  # type: ignore[index]
        if seen != {"name": "SMOKE_TOKEN", "set": True, "length": len(SECRET_VALUE)}:
            raise AssertionError(f"the server saw {seen}")
        if qt:
            raise AssertionError(f"`plugboard run` mapped Qt: {qt}")
        leaked = json.loads(libraries["content"][0]["text"])  # type: ignore[index]
        if leaked["set"] != ("LD_LIBRARY_PATH" in os.environ):
            raise AssertionError(f"LD_LIBRARY_PATH reached the server as the launcher changed it: {leaked}")
        if json.loads(level["content"][0]["text"])["set"]:  # type: ignore[index]
            raise AssertionError("PyInstaller's _PYI_PARENT_PROCESS_LEVEL reached the server")
        return (
            f"entry runs {entry['command']} -> {leads_to}; initialize answered by "
            f"{info['serverInfo']['name']}; SMOKE_TOKEN set, {seen['length']} characters; "  # type: ignore[index]
            f"no Qt library mapped by `plugboard run`; launcher exit {code}"
        )

    @check("plugboard proxy reaches a Streamable HTTP server and maps no Qt library")
    def _proxy() -> str:
        backend = subprocess.Popen(
            [sys.executable, str(SERVERS / "http_mcp.py"), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert backend.stdout is not None
            first: queue.Queue[bytes] = queue.Queue()
            threading.Thread(target=lambda: first.put(backend.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
            try:
                port = int(first.get(timeout=ANSWER_TIMEOUT_S).strip())
            except queue.Empty:
                raise TimeoutError("the HTTP test server did not report its port") from None
            url = f"http://127.0.0.1:{port}/mcp"
            proxy = Stdio([str(command), "proxy", "smoke-remote", url], claude_env(home))
            try:
                info = proxy.initialize()
                tools = proxy.call(2, "tools/list", {})
                added = proxy.call(3, "tools/call", {"name": "add", "arguments": {"a": 2, "b": 3}})
                qt = proxy.qt_mappings()
            finally:
                proxy.close()
        finally:
            backend.terminate()
            try:
                backend.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                backend.kill()
                backend.wait()
            if backend.stdout is not None:
                backend.stdout.close()
        names = [t["name"] for t in tools["tools"]]  # type: ignore[index, union-attr]
        text = added["content"][0]["text"]  # type: ignore[index]
        if text != "5":
            raise AssertionError(f"add(2, 3) through the proxy gave {text!r}")
        if qt:
            raise AssertionError(f"`plugboard proxy` mapped Qt: {qt}")
        return (
            f"{url}: initialize answered by {info['serverInfo']['name']}, "  # type: ignore[index]
            f"{len(names)} tools, add(2, 3) = {text}; no Qt library mapped by `plugboard proxy`"
        )

    @check("the packaged app opens its window")
    def _app() -> str:
        if sys.platform.startswith("linux"):
            return open_app_window(app, env, opts.screenshot)
        return app_saves_its_window(app, env, opts.screenshot)

    @check("launcher start-up: direct vs source vs bundle (report only)")
    def _bench() -> str:
        result = subprocess.run(
            [sys.executable, str(ROOT / "tests" / "benchmarks" / "bench_launcher.py"), "--runs", str(opts.bench_runs),
             "--bundle", str(bundle)],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        print("\n".join("     " + line for line in result.stdout.splitlines()), flush=True)
        if "median" not in result.stdout:
            raise AssertionError(result.stderr[-500:])
        return "within the 100 ms budget" if result.returncode == 0 else "over the 100 ms budget on this run"

    shutil.rmtree(home, ignore_errors=True)
    passed = sum(1 for ok, _name, _detail in results if ok)
    failed = len(results) - passed
    print(f"smoke: {passed} passed, {failed} failed")
    return 1 if failed else 0


def open_app_window(app: Path, env: dict[str, str], screenshot: Path) -> str:
    """Start Xvfb and the packaged app on it; wait for its window; save a screenshot of the screen; stop both."""
    work = Path(tempfile.mkdtemp(prefix="plugboard-xvfb-"))
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    app_proc = None
    try:
        ready, _, _ = select.select([read_fd], [], [], ANSWER_TIMEOUT_S)
        if not ready:
            raise TimeoutError("Xvfb did not start")
        display = ":" + os.read(read_fd, 64).decode().strip()
        app_env = dict(env, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        log = (work / "app.log").open("wb")
        app_proc = subprocess.Popen([str(app)], env=app_env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WINDOW_TIMEOUT_S
        tree = ""
        while time.monotonic() < deadline and app_proc.poll() is None:
            tree = subprocess.run(
                ["xwininfo", "-root", "-tree", "-display", display], capture_output=True, text=True, check=False
            ).stdout
            if '"Plugboard"' in tree:
                break
            time.sleep(0.2)  # polling another process's window: there is no event to wait on from here
        if '"Plugboard"' not in tree:
            raise AssertionError(
                f"no Plugboard window; app log: {(work / 'app.log').read_text(errors='replace')[-800:]}"
            )
        qt = [line for line in Path(f"/proc/{app_proc.pid}/maps").read_text().splitlines() if "libQt6Widgets" in line]
        # Let the first paint finish: the window exists before its first frame is drawn.
        time.sleep(2.0)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        grab = subprocess.run(
            [sys.executable, "-c", GRAB, str(screenshot)],
            env=dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb"),
            capture_output=True,
            text=True,
            timeout=ANSWER_TIMEOUT_S,
            check=False,
        )
        if grab.returncode != 0 or not screenshot.is_file():
            raise AssertionError(f"screenshot failed: {grab.stderr[-500:]}")
        warnings = [
            line
            for line in (work / "app.log").read_text(errors="replace").splitlines()
            if "qt.qpa.plugin" in line or "Could not load" in line
        ]
        if warnings:
            raise AssertionError(f"Qt platform trouble: {warnings}")
        return f"window 'Plugboard' on Xvfb {display} (Qt Widgets mapped: {bool(qt)}); screenshot {screenshot}"
    finally:
        if app_proc is not None:
            app_proc.terminate()
            try:
                app_proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                app_proc.kill()
                app_proc.wait()
        xvfb.terminate()
        xvfb.wait(STOP_GRACE_S)
        os.close(read_fd)
        shutil.rmtree(work, ignore_errors=True)


def app_saves_its_window(app: Path, env: dict[str, str], screenshot: Path) -> str:
    """macOS, Windows (a desktop session): the app saves its own first frame and quits (gui/app.py)."""
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.unlink(missing_ok=True)
    result = subprocess.run(
        [str(app)],
        env=dict(env, PLUGBOARD_SCREENSHOT=str(screenshot)),
        capture_output=True,
        text=True,
        timeout=WINDOW_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0 or not screenshot.is_file():
        raise AssertionError(f"exit {result.returncode}, no screenshot; {result.stderr[-800:]}")
    return f"the app showed its window and saved it: {screenshot} ({screenshot.stat().st_size} bytes)"


GRAB = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
ok = app.primaryScreen().grabWindow(0).save(sys.argv[1], "PNG")
sys.exit(0 if ok else 1)
"""


if __name__ == "__main__":
    raise SystemExit(main())
