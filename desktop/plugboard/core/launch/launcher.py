"""`plugboard run`: the small program Claude Desktop starts in place of a local MCP server.

Process model (POSIX):

- The launcher does not `exec` the real server, because it must capture stderr and record how the server ended.
  The server gets the launcher's stdin and stdout file descriptors as they are (inherited, not piped), so every
  MCP message goes from Claude to the server and back without passing through us: zero copies, zero added
  latency per message.
- stderr is a pipe. A pump thread reads it, masks every secret value (`redact.StreamRedactor`), and writes the
  result both to the launcher's own stderr (so Claude's `mcp-server-NAME.log` still has it, minus secrets) and
  to Plugboard's per-connector log (`connector_log`). The last lines go into the status record.
- The server runs in its own session (own process group), so stopping it stops what it started too (`npx`
  starts `node`, `uv run` starts `python`). Stopping is `process_tree.terminate_tree`, the sequence the supervisor
  uses too: the stop signal to the group and to every descendant, `TERM_GRACE_S`, then SIGKILL.
- SIGTERM, SIGINT and SIGHUP sent to the launcher start that sequence with the signal received. The launcher
  exits with the server's exit code (128+N for signal N). A stop signal that arrives after the handlers are
  installed but before the server exists is kept: the server is then not started at all, or (the signal came
  while it was being spawned) stopped as soon as it exists, instead of running as if nobody had asked.
- Claude closing the server's stdin is how MCP clients ask a stdio server to stop. The server sees the EOF
  itself (the descriptor is shared); a watcher thread polls our copy of stdin for hang-up (POLLHUP, and
  POLLRDHUP for the socket pairs Electron uses) without reading from it. A server that has not exited
  `STDIN_EOF_GRACE_S` after the hang-up gets the same sequence, SIGTERM first.
- On Linux the server's parent is the launcher's keeper (`keeper.py`), a forked child subreaper that holds the
  server's whole tree: when the launcher ends — normally, or killed with SIGKILL, when nothing of ours runs — the
  keeper ends every process the server started, including those that left its group, escalating to SIGKILL.
  Where no keeper can run, the launcher is the parent itself, the server gets `PR_SET_PDEATHSIG` (SIGTERM) on
  Linux, and after it exits what is left in its group gets the same sequence.
- macOS (not verified on a Mac): no subreaper and no parent-death signal; the server still sees EOF on stdin when
  Claude closes its end, which well-behaved MCP servers treat as "exit", and the launcher's own stop reaches the
  group; a server that ignores EOF outlives a SIGKILLed launcher there.

Windows (not run here; the logic is tested with a fake of the Win32 calls): signals and sessions do not exist.
The launcher puts itself in a Job object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE before starting the server
(`winjob`), so the server and everything it starts are in the job, and when the launcher ends — however — the
kernel closes its job handle and ends them all.

Before spawning: every `--secret KEY` is read from the keyring (`secrets.get_secret`); one missing, or no
keyring, and the server is not started — the reason goes to stderr (Claude shows it in its log), to the
connector log, and into the status record as "failed: missing secret KEY". COMMAND is resolved to an absolute
path (`resolve`), and the found program's folder is put first on the child's PATH.

Start-up cost matters (Claude starts every connector at once): this module imports only the standard library
and Plugboard's small core modules; keyring is imported only when there are secrets, psutil only when a tree is
being stopped, never Qt, httpx or the MCP SDK.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from plugboard.core.errors import PlugboardError
from plugboard.core.files.fd_io import write_all
from plugboard.core.launch import keeper
from plugboard.core.launch.process_tree import (
    KILL_WAIT_S,
    STDIN_EOF_GRACE_S,
    TERM_GRACE_S,
    Graces,
    PopenTree,
    signal_tree,
    terminate_tree,
)
from plugboard.core.launch.status import TAIL_LINES, ConnectorStatus, RunState, signal_name, write_status
from plugboard.core.logs.connector_log import ConnectorLog
from plugboard.core.logs.redact import Redactor, read_redacted
from plugboard.core.paths import PlugboardDirs, plugboard_dirs
from plugboard.core.secrets.keyring import MissingSecrets, read_secrets

# The launcher's stop sequence (process_tree explains each number). Claude closes stdin itself, so the first
# grace is the watcher's wait after the hang-up, not a step of terminate_tree.
GRACES = Graces(stdin_s=STDIN_EOF_GRACE_S, term_s=TERM_GRACE_S, kill_s=KILL_WAIT_S)
# After the server exits, its stderr pipe reaches EOF at once unless a grandchild still holds it; we stop
# waiting for the last bytes after this long so the launcher never hangs on a stray descendant.
STDERR_DRAIN_S = 2.0
# At its end the launcher waits this long for what the server left behind to be gone (the keeper, or the sweep of
# the group): the sweep's own bound, SIGTERM grace plus SIGKILL wait.
TREE_EXIT_S = TERM_GRACE_S + KILL_WAIT_S

_FORWARDED = ("SIGTERM", "SIGINT", "SIGHUP")


@dataclass
class LaunchSpec:
    name: str
    command: str
    args: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)


def _write_all(fd: int, data: bytes) -> bool:
    """Write everything to `fd`; False once it is closed (Claude stopped reading our stderr)."""
    try:
        write_all(fd, data)
    except OSError:
        return False
    return True


class ServerHandle(Protocol):
    """The running server as the launcher sees it, whoever its parent is (`keeper.KeptServer`, `_DirectServer`)."""

    pid: int
    stderr_fd: int

    def wait(self, on_kill: Callable[[], None] | None = None) -> int:
        """Block until the server ends; its exit code (-N for signal N). `on_kill` runs if a stop escalates."""
        ...

    def stop(self, sig: int) -> None:
        """Start the staged stop of the tree with `sig`; returns at once. A second call forwards `sig` again."""
        ...

    def close(self, timeout: float) -> None:
        """After `wait`: what the server left behind goes (waiting up to `timeout`); idempotent."""
        ...


class _DirectServer:
    """The server as the launcher's own child, where there is no keeper: the stop sequence runs on a thread here."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        self.proc = proc
        self.pid = proc.pid
        self.stderr_fd = proc.stderr.fileno()
        self._tree = PopenTree(proc)
        self._stopper: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._on_kill: Callable[[], None] | None = None

    def wait(self, on_kill: Callable[[], None] | None = None) -> int:
        self._on_kill = on_kill
        return self.proc.wait()

    def stop(self, sig: int) -> None:
        with self._lock:
            if self._closed:
                return
            first = self._stopper is None
            if first:
                self._stopper = threading.Thread(
                    target=terminate_tree,
                    args=(self._tree,),
                    kwargs={"first_signal": sig, "graces": GRACES, "on_kill": self._killing},
                    name="launcher-stop",
                    daemon=True,
                )
                self._stopper.start()
        if not first:
            signal_tree(self._tree, sig)

    def _killing(self) -> None:
        if self._on_kill is not None:
            self._on_kill()

    def close(self, timeout: float) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            stopper = self._stopper
        if stopper is not None:
            stopper.join(timeout)  # the stop already runs the sequence over the whole tree
        else:
            # Whatever the server started and left in its group goes with it, by the same sequence.
            terminate_tree(self._tree, graces=GRACES)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


class _Run:
    """One launch: owns the server's handle, the stderr pump, the stdin watcher and the status record."""

    def __init__(
        self,
        spec: LaunchSpec,
        dirs: PlugboardDirs,
        stdin_fd: int,
        stderr_fd: int,
        get_secret: Callable[[str, str], str | None] | None,
    ) -> None:
        self.spec = spec
        self.dirs = dirs
        self.stdin_fd = stdin_fd
        self.stderr_fd = stderr_fd
        self._get_secret = get_secret
        self.started = time.time()
        self.log = ConnectorLog(spec.name, dirs)
        self.redactor = Redactor(())
        self.server: ServerHandle | None = None
        self.exited = threading.Event()
        self.forwarded: int | None = None  # the first stop signal we sent to the server
        self.pending: int | None = None  # a stop signal that came before there was a server to send it to
        self.tail: collections.deque[bytes] = collections.deque(maxlen=TAIL_LINES)
        self._partial = b""
        self._stderr_open = True
        # Re-entrant: the signal handler runs on the main thread, possibly while the main thread holds this lock.
        self._lock = threading.RLock()
        self._wake_r, self._wake_w = os.pipe()

    # -- status ----------------------------------------------------------------------------------------
    # -----------

    def _record(self, state: RunState, **fields: Any) -> ConnectorStatus:
        tail = [line.decode("utf-8", "replace") for line in self.tail]
        if self._partial:
            tail = [*tail, self._partial.decode("utf-8", "replace")][-TAIL_LINES:]
        return ConnectorStatus(
            name=self.spec.name,
            state=state,
            command=[self.redactor.redact(a) for a in [self.spec.command, *self.spec.args]],
            launcher_pid=os.getpid(),
            launcher_started=self.started,
            started=self.started,
            stderr_tail=tail,
            **fields,
        )

    def _save(self, record: ConnectorStatus) -> None:
        with contextlib.suppress(OSError, PlugboardError):
            write_status(record, self.dirs)

    def fail(self, reason: str, message: str) -> int:
        """The server is not started: say why everywhere a user might look."""
        _write_all(self.stderr_fd, f"plugboard: {message}\n".encode("utf-8", "replace"))
        self.log.note(f"not started: {message}")
        self._save(self._record(RunState.FAILED, reason=reason, ended=time.time()))
        return 1

    # -- start -----------------------------------------------------------------------------------------
    # -----------

    def secret_env(self) -> dict[str, str]:
        """The secrets as environment variables; `MissingSecrets` if any is not in the keyring."""
        return read_secrets(self.spec.name, self.spec.secrets, self._get_secret)

    def spawn(self, argv: list[str], env: dict[str, str]) -> None:
        """Start the server: through the keeper where there is one (Linux), else as our own child."""
        if keeper.available():
            try:
                self.server = keeper.spawn(argv, env, stdin_fd=self.stdin_fd, graces=GRACES)
                return
            except keeper.KeeperUnavailable:
                pass
        kwargs: dict[str, Any] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True
            die = _parent_death_signal()
            if die is not None:
                kwargs["preexec_fn"] = die
        elif os.name == "nt":
            from plugboard.core.launch import winjob

            problem = winjob.contain_this_process()
            if problem is not None:
                self.log.note(f"the server's processes may outlive the launcher: {problem}")
        proc = subprocess.Popen(argv, stdin=self.stdin_fd, stdout=None, stderr=subprocess.PIPE, env=env, **kwargs)
        self.server = _DirectServer(proc)

    # -- stopping
    # -------------------------------------------------------------------------------------------------

    def stop(self, sig: int, why: str) -> None:
        """Stop the server's tree, `sig` first (SIGKILL follows `TERM_GRACE_S` later). With no server yet, keep
        `sig` in `pending`: `run` acts on it once the server exists (or does not start it)."""
        with self._lock:
            if self.exited.is_set():
                return
            if self.server is None:
                if self.pending is None:
                    self.pending = sig
                return
            first = self.forwarded is None
            if first:
                self.forwarded = sig
            server = self.server
        if first:
            self.log.note(f"stopping the server ({why})")
        server.stop(sig)

    def _killing(self) -> None:
        self.log.note(f"the server ignored the stop request for {GRACES.term_s:.0f} s; killing it")

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stop(signum, f"launcher received {signal_name(signum)}")

    def install_signal_handlers(self) -> None:
        for name in _FORWARDED:
            sig = getattr(signal, name, None)
            if sig is not None:
                signal.signal(sig, self._on_signal)

    # -- threads
    # --------------------------------------------------------------------------------------------------

    def pump_stderr(self) -> None:
        assert self.server is not None
        for out in read_redacted(self.server.stderr_fd, self.redactor):
            self._emit(out)

    def _emit(self, data: bytes) -> None:
        if self._stderr_open:
            self._stderr_open = _write_all(self.stderr_fd, data)
        self.log.write(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()[-4096:]
        self.tail.extend(line[-1024:] for line in lines)

    def watch_stdin(self) -> None:
        """Notice Claude closing the server's stdin (without reading it); make sure the server then ends."""
        import select

        if not hasattr(select, "poll"):
            return
        poller = select.poll()
        # Asking for no readable events means poll wakes only for hang-up/error; POLLRDHUP covers a
        # socket whose
        # peer shut down writing (Electron hands children socket pairs, not pipes).
        poller.register(self.stdin_fd, getattr(select, "POLLRDHUP", 0))
        poller.register(self._wake_r, select.POLLIN)
        while True:
            try:
                events = poller.poll()
            except InterruptedError:
                continue
            for fd, revents in events:
                if fd == self._wake_r:
                    return
                if revents & select.POLLNVAL:
                    return  # no stdin at all: nothing to watch
                if revents & (select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0)):
                    if not self.exited.wait(GRACES.stdin_s):
                        self.stop(
                            signal.SIGTERM,
                            f"stdin closed and the server still ran {GRACES.stdin_s:.0f} s later",
                        )
                    return

    # -- main ------------------------------------------------------------------------------------------
    # -----------

    def run(self) -> int:
        from plugboard.core.launch.resolve import CommandNotFound, child_path, resolve_command

        try:
            secret_values = self.secret_env()
        except MissingSecrets as exc:
            return self.fail(exc.reason, str(exc))
        except PlugboardError as exc:
            return self.fail("keyring unavailable", f"{self.spec.name}: {exc}")
        self.redactor = Redactor(secret_values.values())
        try:
            resolved = resolve_command(self.spec.command, self.spec.args)
        except CommandNotFound as exc:
            return self.fail(f"command not found: {self.spec.command}", f"{self.spec.name}: {exc}")
        except PlugboardError as exc:
            return self.fail(str(exc), f"{self.spec.name}: {exc}")
        env = dict(os.environ)
        env.update(secret_values)
        env["PATH"] = child_path(resolved.program, env)
        self.install_signal_handlers()
        if self.pending is not None:
            return self.stopped_before_start(self.pending)
        try:
            self.spawn(resolved.argv, env)
        except OSError as exc:
            return self.fail(
                f"cannot start {resolved.program}",
                f"{self.spec.name}: cannot start {resolved.program}: {exc.strerror}",
            )
        server = self.server
        assert server is not None
        self.log.note(f"started pid {server.pid}: {self.redactor.redact(' '.join(resolved.argv))}")
        self._save(self._record(RunState.RUNNING, pid=server.pid))
        with self._lock:
            # A signal that came while the server was being spawned had no server to go to: send it now.
            late, self.pending = self.pending, None
        if late is not None:
            self.stop(late, f"launcher received {signal_name(late)} while starting the server")
        pump = threading.Thread(target=self.pump_stderr, name=f"stderr-{self.spec.name}", daemon=True)
        watcher = threading.Thread(target=self.watch_stdin, name=f"stdin-{self.spec.name}", daemon=True)
        pump.start()
        watcher.start()
        try:
            code = server.wait(on_kill=self._killing)
        finally:
            with self._lock:
                self.exited.set()
            _write_all(self._wake_w, b"x")
            watcher.join(STDERR_DRAIN_S)
            pump.join(STDERR_DRAIN_S)
        return self.finish(code)

    def stopped_before_start(self, sig: int) -> int:
        """A stop signal came before the server was started: do not start it."""
        self.log.note(f"not started: the launcher received {signal_name(sig)} before the server started")
        self._save(self._record(RunState.STOPPED, signal=sig, ended=time.time()))
        return 128 + sig

    def finish(self, code: int) -> int:
        ended = time.time()
        pid = self.server.pid if self.server else None
        if code >= 0:
            self.log.note(f"the server exited with code {code}")
            self._save(self._record(RunState.EXITED, pid=pid, exit_code=code, ended=ended))
            return code
        sig = -code
        state = RunState.STOPPED if self.forwarded is not None else RunState.CRASHED
        name = signal_name(sig)
        self.log.note(f"the server was {'stopped' if state is RunState.STOPPED else 'killed'} by {name}")
        self._save(self._record(state, pid=pid, signal=sig, ended=ended))
        return 128 + sig

    def close(self) -> None:
        if self.server is not None:
            # What the server left behind goes before we do (bounded: TREE_EXIT_S).
            self.server.close(TREE_EXIT_S)
        self.log.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)


def _parent_death_signal() -> Callable[[], None] | None:
    """A preexec function asking Linux to SIGTERM the child when the launcher dies (None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1  # <linux/prctl.h>
    parent = os.getpid()

    def set_death_signal() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        # The launcher may have died between fork and prctl: then the signal will never come, so act now.
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return set_death_signal


def run_connector(
    spec: LaunchSpec,
    *,
    dirs: PlugboardDirs | None = None,
    stdin_fd: int = 0,
    stderr_fd: int = 2,
    get_secret: Callable[[str, str], str | None] | None = None,
) -> int:
    """Run the connector's server as described in the module docstring; returns the launcher's exit code."""
    run = _Run(spec, dirs or plugboard_dirs(), stdin_fd, stderr_fd, get_secret)
    try:
        return run.run()
    finally:
        run.close()


def main(name: str, secrets: Sequence[str], command: Sequence[str]) -> int:
    """Entry from `plugboard run`: `command` is COMMAND followed by its ARGS."""
    if not command:
        raise PlugboardError("no server command given: use `plugboard run NAME [--secret KEY]... -- COMMAND [ARGS...]`")
    return run_connector(LaunchSpec(name=name, command=command[0], args=list(command[1:]), secrets=list(secrets)))
