"""The owner of one MCP server process that Plugboard starts itself (to test a connector, to show what it offers).

A `Supervisor` starts a connector's server the way the launcher does (`secrets.read_secrets` for the keyring,
`resolve.resolve_command` + `resolve.child_path` for the program and PATH, working directory `/` because that is
where Claude Desktop may start servers, FACTS.md §A 7), speaks MCP to it over its stdin/stdout, and records what
happened as an explicit state with a reason:

    idle → starting → ready (MCP initialize answered)
                    → failed        (never spawned: command not found, relative path, missing secret; no retry,
                                     retrying cannot help)
         starting/ready → exited (code 0) / crashed (non-zero code, signal, or a failed handshake: no answer to
                                     initialize in time, protocol version mismatch, error answer)
         exited/crashed → backing-off (restart policy on) → starting ...
                        → gave-up   (`max_fast_failures` runs in a row ended before `backoff.stable_after_s`)
         any → stopped (stop() asked for it)

Every state carries a `Reason(kind, text, ...)`; `diagnosis` turns kinds into sentences for people.

Why a line-level JSON-RPC client here instead of the SDK's `stdio_client`: the supervisor must see every stdout
line (a server printing non-JSON to stdout is a failure we diagnose, and the SDK's reader only logs and drops
such lines), must own the process on plain threads (Qt models and the CLI call it; the SDK client owns its own
process inside an event loop), and must stop it the way STYLE.md §4 says. Messages are still the SDK's: results
are checked against `mcp_types` models, and versions come from `mcp_types.version`.

Threads per run: the worker (spawn, handshake, wait, restart), a stdout reader (routes answers to waiting
requests, catches noise) and a stderr reader (redacts and emits log lines, keeps the tail, writes
`<logs>/<name>.supervised.log`). Events are plain Python (`StateChanged`, `LogBatch`) delivered on those threads
to `subscribe`d callbacks; a Qt model marshals them onto its own thread.

Stopping is `process_tree.terminate_tree`, the one sequence the launcher uses too (STYLE.md §4, the MCP stdio
shutdown): close stdin, wait `stdin_grace_s`, SIGTERM the process group and the descendants that left it, wait
`kill_grace_s`, then SIGKILL them all. Bounded, idempotent, safe from any thread. After the server ends by itself,
what it left behind gets the same sequence (minus stdin).

Which plain `env` values are masked in the logs and the stderr tail (`secret_values`): those that
`secrets.detect.looks_secret(name, value)` calls secret — the same test that moves values to the keyring on import and
keeps them out of exports, so "secret" means one thing everywhere. A URL value with a password in it
(`DATABASE_URL=postgres://user:pw@host/db`) is masked whole, and its password on its own too, since a server may
log the password without the rest of the URL.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from plugboard.core.backoff import Backoff
from plugboard.core.errors import PlugboardError
from plugboard.core.launch.process_tree import (
    KILL_WAIT_S,
    STDIN_EOF_GRACE_S,
    TERM_GRACE_S,
    Graces,
    PopenTree,
    terminate_tree,
)
from plugboard.core.launch.status import signal_name
from plugboard.core.logs.connector_log import ConnectorLog, supervised_log_name
from plugboard.core.logs.model import SUPERVISOR, WARNING, LineSplitter, LogLine, stream_lines
from plugboard.core.logs.redact import Redactor, read_redacted
from plugboard.core.paths import PlugboardDirs, plugboard_dirs
from plugboard.core.secrets.detect import secret_values
from plugboard.core.secrets.keyring import MissingSecrets, read_secrets

_log = logging.getLogger(__name__)


class ServerState(StrEnum):
    """Where the supervised server is (the module docstring draws the machine). Written as doctor's "state"."""

    IDLE = "idle"
    STARTING = "starting"
    READY = "ready"
    EXITED = "exited"
    CRASHED = "crashed"
    BACKING_OFF = "backing-off"
    GAVE_UP = "gave-up"
    STOPPED = "stopped"
    FAILED = "failed"


# States after which nothing happens without a new start().
FINAL_STATES = frozenset(
    {ServerState.EXITED, ServerState.CRASHED, ServerState.GAVE_UP, ServerState.STOPPED, ServerState.FAILED}
)


class ReasonKind(StrEnum):
    """Why the supervisor is in its state; `diagnosis` keys its sentences on these. Written as the reason's "kind"."""

    IDLE = "idle"  # not started yet
    STARTING = "starting"
    INITIALIZED = "initialized"
    COMMAND_NOT_FOUND = "command-not-found"
    RELATIVE_PATH = "relative-path"
    MISSING_SECRET = "missing-secret"  # noqa: S105 - a reason kind, not a secret
    KEYRING_UNAVAILABLE = "keyring-unavailable"
    CANNOT_START = "cannot-start"
    EXIT_BEFORE_READY = "exit-before-ready"
    INITIALIZE_TIMEOUT = "initialize-timeout"
    PROTOCOL_MISMATCH = "protocol-mismatch"
    BAD_INITIALIZE = "bad-initialize"
    EXIT = "exit"
    SIGNALLED = "signal"
    STOP_REQUESTED = "stop-requested"
    BACKOFF = "backoff"
    TOO_MANY_FAILURES = "too-many-failures"


# Claude Desktop gives a server about a minute to answer initialize ([RE]); a server that needs npx to download
# a package first takes 10-30 s on a cold cache. 60 s matches what the user will see in Claude.
INITIALIZE_TIMEOUT_S = 60.0
# One request after initialize (list tools, ping): a healthy local server answers in milliseconds; 30 s covers
# a server that does real work per listing (a database, a network call) without letting doctor hang.
REQUEST_TIMEOUT_S = 30.0
# stop() waits this long for the worker thread after the process is gone; the worker only tidies up by then.
WORKER_JOIN_S = 5.0
# Reader threads reach EOF as soon as the process and its descendants are gone; a grandchild still holding a pipe
# open must not keep stop() waiting.
READER_JOIN_S = 2.0
# Restart policy: first retry after 0.5 s, doubling to at most 30 s; a run shorter than 10 s counts as a fast
# failure, and 5 fast failures in a row give up (a server that cannot start is not retried for ever).
RESTART_BACKOFF = Backoff(first_s=0.5, cap_s=30.0, jitter=0.2, stable_after_s=10.0)
MAX_FAST_FAILURES = 5
# How many of the server's last stderr lines a run keeps to explain a crash (as many as the status record).
TAIL_LINES = 20
# How many non-JSON stdout lines a run keeps to show the user.
NOISE_LINES = 10

CLIENT_INFO = {"name": "plugboard", "version": "0.1.0"}


@dataclass(frozen=True)
class ServerSpec:
    """What to start: a connector's real server command, its keyring secrets and its plain `env` block."""

    name: str
    command: str
    args: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = os.path.abspath(os.sep)  # Claude may start servers in `/` (FACTS.md §A 7)

    @property
    def argv(self) -> list[str]:
        return [self.command, *self.args]


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    text: str
    exit_code: int | None = None
    signal: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "text": self.text}
        if self.exit_code is not None:
            out["exit_code"] = self.exit_code
        if self.signal is not None:
            out["signal"] = self.signal
        if self.detail:
            out["detail"] = dict(self.detail)
        return out


@dataclass(frozen=True)
class StateChanged:
    name: str
    state: ServerState
    reason: Reason
    attempt: int
    time: float


@dataclass(frozen=True)
class LogBatch:
    name: str
    lines: list[LogLine]


Event = StateChanged | LogBatch
Subscriber = Callable[[Event], None]


class RequestError(PlugboardError):
    """The server answered a request with a JSON-RPC error."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"the server answered {method} with error {code}: {message}")
        self.method = method
        self.code = code
        self.message = message


class RequestTimeout(PlugboardError):
    """No answer in time."""


class ServerGone(PlugboardError):
    """The server is not running (any more)."""


@dataclass
class RunInfo:
    """One run of the server process: what a diagnosis needs after it ended."""

    attempt: int
    argv: list[str] = field(default_factory=list)
    pid: int | None = None
    spawned: float | None = None  # time.monotonic()
    ready_after_s: float | None = None
    ended: float | None = None
    exit_code: int | None = None
    initialize: dict[str, Any] | None = None
    stderr_tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=TAIL_LINES))
    stdout_noise: list[str] = field(default_factory=list)
    noise_before_ready: bool = False

    @property
    def protocol_version(self) -> str | None:
        return str(self.initialize.get("protocolVersion")) if self.initialize else None

    @property
    def server_info(self) -> dict[str, Any]:
        info = self.initialize.get("serverInfo") if self.initialize else None
        return info if isinstance(info, dict) else {}

    @property
    def capabilities(self) -> dict[str, Any]:
        caps = self.initialize.get("capabilities") if self.initialize else None
        return caps if isinstance(caps, dict) else {}


class _Pending:
    __slots__ = ("answer", "done", "gone")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: dict[str, Any] | None = None
        self.gone = False


def handshake_versions() -> tuple[str, ...]:
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

    return tuple(HANDSHAKE_PROTOCOL_VERSIONS)


class Supervisor:
    """Owns one server process at a time for connector `spec.name`. See the module docstring."""

    def __init__(
        self,
        spec: ServerSpec,
        *,
        restart: bool = False,
        initialize_timeout_s: float = INITIALIZE_TIMEOUT_S,
        backoff: Backoff = RESTART_BACKOFF,
        max_fast_failures: int = MAX_FAST_FAILURES,
        stdin_grace_s: float = STDIN_EOF_GRACE_S,
        kill_grace_s: float = TERM_GRACE_S,
        get_secret: Callable[[str, str], str | None] | None = None,
        dirs: PlugboardDirs | None = None,
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.restart_policy = restart
        self.initialize_timeout_s = initialize_timeout_s
        self.backoff = backoff
        self.max_fast_failures = max_fast_failures
        self.graces = Graces(stdin_s=stdin_grace_s, term_s=kill_grace_s, kill_s=KILL_WAIT_S)
        self._get_secret = get_secret
        self.dirs = dirs or plugboard_dirs()
        self._base_env = dict(os.environ if base_env is None else base_env)
        self._cond = threading.Condition()
        self._subscribers: list[Subscriber] = []
        self._state = ServerState.IDLE
        self._reason = Reason(ReasonKind.IDLE, "not started")
        self._attempt = 0
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._run: RunInfo | None = None
        self._runs: list[RunInfo] = []
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._write_lock = threading.Lock()
        self._terminate_lock = threading.Lock()
        self._tree: PopenTree | None = None  # the current run's process tree
        self._redactor = Redactor(())

    # -- observing ---------------------------------------------------------------------------------------------

    @property
    def state(self) -> ServerState:
        return self._state

    @property
    def reason(self) -> Reason:
        return self._reason

    @property
    def attempt(self) -> int:
        return self._attempt

    @property
    def run(self) -> RunInfo | None:
        """The current (or last) run."""
        return self._run

    @property
    def runs(self) -> list[RunInfo]:
        return list(self._runs)

    def subscribe(self, callback: Subscriber) -> None:
        """`callback(event)` runs on a supervisor thread for every `StateChanged` and `LogBatch`."""
        with self._cond:
            self._subscribers = [*self._subscribers, callback]

    def unsubscribe(self, callback: Subscriber) -> None:
        with self._cond:
            self._subscribers = [s for s in self._subscribers if s is not callback]

    def _emit(self, event: Event) -> None:
        for callback in self._subscribers:
            try:
                callback(event)
            except Exception:  # a broken subscriber must not take the process owner down
                _log.exception("supervisor subscriber failed")

    def _set_state(self, state: ServerState, reason: Reason) -> None:
        with self._cond:
            self._state = state
            self._reason = reason
            attempt = self._attempt
            self._cond.notify_all()
        self._emit(StateChanged(self.name, state, reason, attempt, time.time()))

    def wait_for(self, states: Iterable[ServerState], timeout: float) -> bool:
        """Block until the state is one of `states` (True) or `timeout` passes (False)."""
        wanted = frozenset(states)
        with self._cond:
            return self._cond.wait_for(lambda: self._state in wanted, timeout)

    def wait_settled(self, timeout: float) -> bool:
        """Until ready or a final state."""
        return self.wait_for(FINAL_STATES | {ServerState.READY}, timeout)

    # -- control -----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the server (and the restart policy) on a worker thread; no-op if already running."""
        with self._cond:
            if self._worker is not None and self._worker.is_alive():
                return
            self._stop.clear()
            self._worker = threading.Thread(target=self._work, name=f"supervisor-{self.name}", daemon=True)
            self._worker.start()

    def stop(self) -> ServerState:
        """Stop the server and the restart policy; bounded and idempotent. Returns the final state."""
        self._stop.set()
        proc = self._proc
        if proc is not None:
            self._terminate(proc)
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(WORKER_JOIN_S)
        return self._state

    close = stop

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- requests ----------------------------------------------------------------------------------------------

    def request(
        self, method: str, params: Mapping[str, Any] | None = None, timeout: float = REQUEST_TIMEOUT_S
    ) -> dict[str, Any]:
        """Send a JSON-RPC request to the running server and return its `result`."""
        request_id = next(self._ids)
        pending = _Pending()
        self._pending[request_id] = pending
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = dict(params)
        try:
            self._send(message)
            if not pending.done.wait(timeout):
                raise RequestTimeout(f"the server did not answer {method} within {timeout:g} s")
        finally:
            self._pending.pop(request_id, None)
        if pending.gone or pending.answer is None:
            raise ServerGone(f"the server stopped before answering {method}")
        if "error" in pending.answer:
            error = pending.answer["error"] if isinstance(pending.answer["error"], dict) else {}
            raise RequestError(method, int(error.get("code", 0)), str(error.get("message", "")))
        result = pending.answer.get("result")
        return result if isinstance(result, dict) else {}

    def notify(self, method: str, params: Mapping[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = dict(params)
        self._send(message)

    def _send(self, message: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise ServerGone("the server is not running")
        data = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        with self._write_lock:
            try:
                proc.stdin.write(data)
                proc.stdin.flush()
            except (OSError, ValueError) as exc:
                raise ServerGone("the server closed its input") from exc

    # -- the worker --------------------------------------------------------------------------------------------

    def _work(self) -> None:
        fast_failures = 0
        while not self._stop.is_set():
            with self._cond:
                self._attempt += 1
            retry = self._one_run()
            if not (retry and self.restart_policy):
                # The run's own end (crashed, exited, failed) stands even if stop() came right after it.
                if self._stop.is_set() and self._state not in FINAL_STATES:
                    self._set_state(ServerState.STOPPED, Reason(ReasonKind.STOP_REQUESTED, "stopped by Plugboard"))
                return
            if self._stop.is_set():
                break
            run = self._run
            lasted = (run.ended or 0.0) - (run.spawned or 0.0) if run else 0.0
            fast_failures = fast_failures + 1 if lasted < self.backoff.stable_after_s else 1
            if fast_failures >= self.max_fast_failures:
                self._set_state(
                    ServerState.GAVE_UP,
                    Reason(
                        ReasonKind.TOO_MANY_FAILURES,
                        f"gave up after {fast_failures} failures in a row, each within "
                        f"{self.backoff.stable_after_s:g} s of starting; last: {self._reason.text}",
                        detail={"failures": fast_failures, "last": self._reason.to_json()},
                    ),
                )
                return
            delay = self.backoff.delay(fast_failures)
            self._set_state(
                ServerState.BACKING_OFF,
                Reason(
                    ReasonKind.BACKOFF,
                    f"restarting in {delay:.1f} s (failure {fast_failures} of at most {self.max_fast_failures})",
                    detail={"delay_s": delay, "failures": fast_failures, "last": self._reason.to_json()},
                ),
            )
            if self._stop.wait(delay):
                break
        self._set_state(ServerState.STOPPED, Reason(ReasonKind.STOP_REQUESTED, "stopped by Plugboard"))

    def _fail(self, kind: ReasonKind, text: str, **detail: Any) -> bool:
        self._set_state(ServerState.FAILED, Reason(kind, text, detail=detail))
        return False

    def _one_run(self) -> bool:
        """One start → handshake → exit. Returns True when a restart could help."""
        from plugboard.core.launch.resolve import CommandNotFound, child_path, resolve_command

        spec = self.spec
        run = RunInfo(attempt=self._attempt)
        self._run = run
        self._runs.append(run)
        self._set_state(ServerState.STARTING, Reason(ReasonKind.STARTING, f"starting {' '.join(spec.argv)}"))
        try:
            secrets = read_secrets(spec.name, spec.secrets, self._get_secret)
        except MissingSecrets as exc:
            return self._fail(ReasonKind.MISSING_SECRET, str(exc), keys=exc.keys or list(spec.secrets))
        except PlugboardError as exc:
            return self._fail(ReasonKind.KEYRING_UNAVAILABLE, str(exc))
        self._redactor = Redactor(secret_values(secrets, spec.env))
        env = dict(self._base_env)
        env.update(spec.env)
        env.update(secrets)
        try:
            resolved = resolve_command(spec.command, spec.args, env=env)
        except CommandNotFound as exc:
            return self._fail(
                ReasonKind.COMMAND_NOT_FOUND, str(exc), command=exc.command, searched=[str(p) for p in exc.searched]
            )
        except PlugboardError as exc:
            relative = not Path(spec.command).expanduser().is_absolute() and (
                "/" in spec.command or "\\" in spec.command
            )
            return self._fail(
                ReasonKind.RELATIVE_PATH if relative else ReasonKind.CANNOT_START, str(exc), command=spec.command
            )
        env["PATH"] = child_path(resolved.program, env)
        run.argv = [self._redactor.redact(a) for a in resolved.argv]
        log = ConnectorLog(supervised_log_name(spec.name), self.dirs)
        try:
            return self._spawn_and_watch(resolved.argv, env, run, log)
        finally:
            log.close()

    def _spawn_and_watch(self, argv: list[str], env: dict[str, str], run: RunInfo, log: ConnectorLog) -> bool:
        kwargs: dict[str, Any] = {"start_new_session": True} if os.name == "posix" else {}
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.spec.cwd,
                env=env,
                **kwargs,
            )
        except OSError as exc:
            return self._fail(ReasonKind.CANNOT_START, f"cannot start {argv[0]}: {exc.strerror}", command=argv[0])
        run.pid = proc.pid
        run.spawned = time.monotonic()
        self._tree = PopenTree(proc)
        self._proc = proc
        self._note(log, f"started pid {proc.pid}: {' '.join(run.argv)}")
        readers = [
            threading.Thread(target=self._read_stdout, args=(proc, run, log), name=f"stdout-{self.name}", daemon=True),
            threading.Thread(target=self._read_stderr, args=(proc, run, log), name=f"stderr-{self.name}", daemon=True),
        ]
        for reader in readers:
            reader.start()
        handshake: Reason | None = None
        try:
            if self._stop.is_set():
                self._terminate(proc)
            else:
                handshake = self._handshake(proc, run)
                if handshake is not None:
                    self._terminate(proc)
            code = proc.wait()
        finally:
            # Whatever the server started and left in its group goes with it (as in the launcher).
            terminate_tree(self._tree_of(proc), graces=self.graces)
            for reader in readers:
                reader.join(READER_JOIN_S)
            # A reader still blocked (a stray descendant holds the pipe) owns its pipe; closing it under the
            # reader would block on the buffer's lock.
            if not any(reader.is_alive() for reader in readers):
                for stream in (proc.stdin, proc.stdout, proc.stderr):
                    if stream is not None:
                        with contextlib.suppress(OSError):
                            stream.close()
        run.ended = time.monotonic()
        run.exit_code = code
        self._note(log, f"the server ended with {'code ' + str(code) if code >= 0 else signal_name(-code)}")
        if self._stop.is_set():
            return False
        if handshake is not None:
            self._set_state(ServerState.CRASHED, handshake)
            return True
        return self._ended(code, run)

    def _ended(self, code: int, run: RunInfo) -> bool:
        was_ready = run.ready_after_s is not None
        if code == 0 and was_ready:
            self._set_state(ServerState.EXITED, Reason(ReasonKind.EXIT, "the server exited with code 0", exit_code=0))
            return True
        if code < 0:
            text = f"the server was killed by {signal_name(-code)}"
            reason = Reason(ReasonKind.SIGNALLED if was_ready else ReasonKind.EXIT_BEFORE_READY, text, signal=-code)
        else:
            text = f"the server exited with code {code}"
            reason = Reason(ReasonKind.EXIT if was_ready else ReasonKind.EXIT_BEFORE_READY, text, exit_code=code)
        if not was_ready:
            reason = Reason(
                reason.kind,
                reason.text + " before answering initialize",
                exit_code=reason.exit_code,
                signal=reason.signal,
                detail={"stderr_tail": list(run.stderr_tail), "stdout_noise": list(run.stdout_noise)},
            )
        self._set_state(ServerState.CRASHED, reason)
        return True

    def _handshake(self, proc: subprocess.Popen[bytes], run: RunInfo) -> Reason | None:
        """Initialize; None when ready (state set), else why the handshake failed (the process is still up)."""
        offered = handshake_versions()[-1]
        started = time.monotonic()
        try:
            result = self.request(
                "initialize",
                {"protocolVersion": offered, "capabilities": {}, "clientInfo": CLIENT_INFO},
                timeout=self.initialize_timeout_s,
            )
        except RequestTimeout:
            return Reason(
                ReasonKind.INITIALIZE_TIMEOUT,
                f"the server did not answer initialize within {self.initialize_timeout_s:g} s",
                detail={"timeout_s": self.initialize_timeout_s, "stdout_noise": list(run.stdout_noise)},
            )
        except ServerGone:
            return None  # it exited: `_ended` explains with the exit code
        except RequestError as exc:
            return Reason(ReasonKind.BAD_INITIALIZE, f"the server refused initialize: error {exc.code}: {exc.message}")
        version = str(result.get("protocolVersion", ""))
        supported = handshake_versions()
        if version not in supported:
            return Reason(
                ReasonKind.PROTOCOL_MISMATCH,
                f"the server answered with protocol version {version or '(none)'}, which Plugboard does not "
                f"support (supported: {', '.join(supported)})",
                detail={"server_version": version, "offered": offered, "supported": list(supported)},
            )
        try:
            from mcp_types import InitializeResult

            InitializeResult.model_validate(result)
        except Exception as exc:  # pydantic's ValidationError, kept out of the import path of this module
            first = str(exc).splitlines()[0]
            return Reason(ReasonKind.BAD_INITIALIZE, f"the server's initialize answer is not valid MCP: {first}")
        run.initialize = result
        run.ready_after_s = time.monotonic() - started
        try:
            self.notify("notifications/initialized")
        except ServerGone:
            return None
        info = run.server_info
        who = f"{info.get('name', 'the server')} {info.get('version', '')}".strip()
        text = f"{who} answered initialize in {run.ready_after_s * 1000:.0f} ms (protocol {version})"
        if run.stdout_noise:
            text += f", but it also printed non-JSON to stdout: {run.stdout_noise[0]!r}"
        self._set_state(
            ServerState.READY, Reason(ReasonKind.INITIALIZED, text, detail={"stdout_noise": list(run.stdout_noise)})
        )
        return None

    # -- readers -----------------------------------------------------------------------------------------------

    def _read_stdout(self, proc: subprocess.Popen[bytes], run: RunInfo, log: ConnectorLog) -> None:
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                line = raw.strip()
                if not line:
                    continue
                message: Any = None
                with contextlib.suppress(ValueError):
                    message = json.loads(line)
                if isinstance(message, dict) and message.get("jsonrpc") == "2.0":
                    self._dispatch(message)
                else:
                    self._noise(line, run, log)
        except (OSError, ValueError):
            pass
        finally:
            for pending in list(self._pending.values()):
                pending.gone = True
                pending.done.set()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" in message:
            if "id" in message:  # a request from the server: we answer ping, and refuse what we do not offer
                answer: dict[str, Any] = {"jsonrpc": "2.0", "id": message["id"]}
                if message["method"] == "ping":
                    answer["result"] = {}
                else:
                    answer["error"] = {"code": -32601, "message": "Method not found"}
                with contextlib.suppress(ServerGone):
                    self._send(answer)
            return
        request_id = message.get("id")
        pending = self._pending.get(request_id) if isinstance(request_id, int) else None
        if pending is not None:
            pending.answer = message
            pending.done.set()

    def _noise(self, line: bytes, run: RunInfo, log: ConnectorLog) -> None:
        text = self._redactor.redact(line[:2000].decode("utf-8", "replace"))
        if run.ready_after_s is None:
            run.noise_before_ready = True
        if len(run.stdout_noise) < NOISE_LINES:
            run.stdout_noise.append(text)
        log.write(b"[stdout, not JSON] " + text.encode("utf-8", "replace") + b"\n")
        self._emit(LogBatch(self.name, [LogLine(time.time(), SUPERVISOR, "stdout", WARNING, text)]))

    def _read_stderr(self, proc: subprocess.Popen[bytes], run: RunInfo, log: ConnectorLog) -> None:
        assert proc.stderr is not None
        splitter = LineSplitter()
        for data in read_redacted(proc.stderr.fileno(), self._redactor):
            log.write(data)
            self._stderr_lines(run, splitter.feed(data))
        self._stderr_lines(run, splitter.flush())

    def _stderr_lines(self, run: RunInfo, raw: list[bytes]) -> None:
        lines = stream_lines(raw, SUPERVISOR, "stderr")
        if lines:
            run.stderr_tail.extend(ln.text for ln in lines)
            self._emit(LogBatch(self.name, lines))

    def _note(self, log: ConnectorLog, text: str) -> None:
        log.note(text)
        self._emit(LogBatch(self.name, [LogLine(time.time(), SUPERVISOR, "plugboard", "info", text)]))

    # -- stopping ----------------------------------------------------------------------------------------------

    def _tree_of(self, proc: subprocess.Popen[bytes]) -> PopenTree:
        tree = self._tree
        if tree is None or tree.process is not proc:
            tree = self._tree = PopenTree(proc)
        return tree

    def _close_stdin(self, proc: subprocess.Popen[bytes]) -> None:
        with self._write_lock, contextlib.suppress(OSError, ValueError):
            if proc.stdin is not None:
                proc.stdin.close()

    def _terminate(self, proc: subprocess.Popen[bytes]) -> None:
        """The staged stop (`process_tree.terminate_tree`). Bounded; safe to repeat."""
        with self._terminate_lock:
            terminate_tree(self._tree_of(proc), close_stdin=lambda: self._close_stdin(proc), graces=self.graces)
