"""The supervisor with real servers: each reaches the right state with the right reason, and stops cleanly.

Every test relies on conftest's leak guard: no process or thread may outlive it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import psutil
import pytest

from integration.supervisor_servers import HANG_TIMEOUT_S, READY_DEADLINE_S, SHORT_GRACE_S, python_spec
from plugboard.core.backoff import Backoff
from plugboard.core.logs.connector_log import supervised_log_name
from plugboard.core.paths import plugboard_dirs
from plugboard.core.probe import supervisor as sv


class Recorder:
    """Collects supervisor events; lets a test wait for a log line with a deadline."""

    def __init__(self) -> None:
        self.states: list[sv.StateChanged] = []
        self.lines: list[str] = []
        self.threads: set[str] = set()
        self._seen = threading.Condition()

    def __call__(self, event: sv.Event) -> None:
        with self._seen:
            self.threads.add(threading.current_thread().name)
            if isinstance(event, sv.StateChanged):
                self.states.append(event)
            else:
                self.lines += [line.text for line in event.lines]
            self._seen.notify_all()

    def wait_line(self, text: str, timeout: float) -> bool:
        with self._seen:
            return self._seen.wait_for(lambda: any(text in line for line in self.lines), timeout)

    @property
    def names(self) -> list[str]:
        return [e.state for e in self.states]


def _start(spec: sv.ServerSpec, **options: object) -> tuple[sv.Supervisor, Recorder]:
    supervisor = sv.Supervisor(spec, **options)  # type: ignore[arg-type]
    recorder = Recorder()
    supervisor.subscribe(recorder)
    supervisor.start()
    return supervisor, recorder


def test_an_sdk_server_becomes_ready_answers_requests_and_stops_on_stdin_close() -> None:
    supervisor, recorder = _start(python_spec("healthy", "healthy_server.py"))
    try:
        assert supervisor.wait_for({sv.ServerState.READY}, READY_DEADLINE_S), supervisor.reason
        assert supervisor.reason.kind == sv.ReasonKind.INITIALIZED
        assert "healthy-server" in supervisor.reason.text
        tools = supervisor.request("tools/list")
        assert sorted(t["name"] for t in tools["tools"]) == ["add", "echo"]
        assert supervisor.request("ping") == {}
        assert recorder.wait_line("healthy_server ready", READY_DEADLINE_S)
        pid = supervisor.run.pid if supervisor.run else None
    finally:
        final = supervisor.stop()
    assert final == sv.ServerState.STOPPED
    assert recorder.names == [sv.ServerState.STARTING, sv.ServerState.READY, sv.ServerState.STOPPED]
    assert pid is not None and not psutil.pid_exists(pid)
    # It left on stdin EOF, as MCP servers should: no signal was needed.
    assert supervisor.run is not None and supervisor.run.exit_code == 0
    # Events came from the supervisor's own threads, never the test's.
    assert threading.current_thread().name not in recorder.threads


def test_server_everything_from_npm_becomes_ready_and_lists_its_tools(everything_stdio_command: list[str]) -> None:
    command, *args = everything_stdio_command
    supervisor, _recorder = _start(sv.ServerSpec("everything", command, args))
    try:
        assert supervisor.wait_for({sv.ServerState.READY}, READY_DEADLINE_S), supervisor.reason
        assert supervisor.run is not None and supervisor.run.server_info["name"] == "mcp-servers/everything"
        names = {t["name"] for t in supervisor.request("tools/list")["tools"]}
        assert {"echo", "get-sum"} <= names
    finally:
        supervisor.stop()
    assert supervisor.state == sv.ServerState.STOPPED


def test_a_server_that_dies_at_start_is_crashed_with_its_exit_code_and_last_words() -> None:
    supervisor, _recorder = _start(python_spec("crash", "crash_at_start_server.py"))
    try:
        assert supervisor.wait_settled(READY_DEADLINE_S)
    finally:
        supervisor.stop()
    assert supervisor.state == sv.ServerState.CRASHED
    reason = supervisor.reason
    assert reason.kind == sv.ReasonKind.EXIT_BEFORE_READY
    assert reason.exit_code == 3
    assert "fatal: DATABASE_URL is not set" in reason.detail["stderr_tail"]


def test_a_stdout_polluter_is_ready_but_its_reason_names_the_offending_line() -> None:
    from servers.stdout_polluter_server import BANNER

    supervisor, recorder = _start(python_spec("polluter", "stdout_polluter_server.py"))
    try:
        assert supervisor.wait_for({sv.ServerState.READY}, READY_DEADLINE_S), supervisor.reason
        assert supervisor.run is not None and supervisor.run.stdout_noise == [BANNER]
        assert supervisor.run.noise_before_ready
        assert BANNER in supervisor.reason.text
        assert BANNER in recorder.lines
    finally:
        supervisor.stop()


def test_a_silent_server_times_out_on_initialize_and_is_killed() -> None:
    supervisor, recorder = _start(
        python_spec("hang", "silent_hang_server.py"), initialize_timeout_s=HANG_TIMEOUT_S, stdin_grace_s=SHORT_GRACE_S
    )
    try:
        assert supervisor.wait_for({sv.ServerState.CRASHED}, READY_DEADLINE_S), supervisor.reason
        pid = supervisor.run.pid if supervisor.run else None
    finally:
        supervisor.stop()
    assert supervisor.reason.kind == sv.ReasonKind.INITIALIZE_TIMEOUT
    assert f"{HANG_TIMEOUT_S:g} s" in supervisor.reason.text
    assert pid is not None and not psutil.pid_exists(pid)
    assert recorder.names == [sv.ServerState.STARTING, sv.ServerState.CRASHED]


def test_a_slow_server_is_ready_after_its_delay_when_the_timeout_allows() -> None:
    delay = 1.0
    supervisor, _recorder = _start(python_spec("slow", "slow_start_server.py", SLOW_START_S=str(delay)))
    try:
        assert supervisor.wait_for({sv.ServerState.READY}, READY_DEADLINE_S), supervisor.reason
        assert supervisor.run is not None and supervisor.run.ready_after_s is not None
        assert supervisor.run.ready_after_s >= delay
    finally:
        supervisor.stop()


def test_a_slow_server_is_a_timeout_when_it_is_slower_than_the_timeout() -> None:
    supervisor, _recorder = _start(
        python_spec("slow", "slow_start_server.py", SLOW_START_S="30"),
        initialize_timeout_s=HANG_TIMEOUT_S,
        stdin_grace_s=SHORT_GRACE_S,
    )
    try:
        assert supervisor.wait_for({sv.ServerState.CRASHED}, READY_DEADLINE_S), supervisor.reason
    finally:
        supervisor.stop()
    assert supervisor.reason.kind == sv.ReasonKind.INITIALIZE_TIMEOUT


def test_a_server_speaking_an_unknown_protocol_version_is_crashed_with_a_mismatch() -> None:
    from servers.protocol_mismatch_server import SERVER_PROTOCOL_VERSION

    supervisor, _recorder = _start(python_spec("ancient", "protocol_mismatch_server.py"))
    try:
        assert supervisor.wait_settled(READY_DEADLINE_S)
    finally:
        supervisor.stop()
    assert supervisor.state == sv.ServerState.CRASHED
    assert supervisor.reason.kind == sv.ReasonKind.PROTOCOL_MISMATCH
    assert supervisor.reason.detail["server_version"] == SERVER_PROTOCOL_VERSION


def test_a_command_that_does_not_exist_fails_without_retrying_and_names_the_folders_searched() -> None:
    supervisor, recorder = _start(sv.ServerSpec("ghost", "plugboard-no-such-program"), restart=True)
    try:
        assert supervisor.wait_for({sv.ServerState.FAILED}, READY_DEADLINE_S)
    finally:
        supervisor.stop()
    assert supervisor.reason.kind == sv.ReasonKind.COMMAND_NOT_FOUND
    assert supervisor.reason.detail["searched"]
    assert recorder.names == [sv.ServerState.STARTING, sv.ServerState.FAILED]


def test_a_missing_secret_fails_before_anything_is_spawned() -> None:
    spec = python_spec("github", "healthy_server.py")
    spec = sv.ServerSpec(spec.name, spec.command, spec.args, secrets=["GITHUB_TOKEN"])
    supervisor, _recorder = _start(spec, get_secret=lambda _c, _k: None)
    try:
        assert supervisor.wait_for({sv.ServerState.FAILED}, READY_DEADLINE_S)
    finally:
        supervisor.stop()
    assert supervisor.reason.kind == sv.ReasonKind.MISSING_SECRET
    assert supervisor.reason.detail["keys"] == ["GITHUB_TOKEN"]
    assert supervisor.run is not None and supervisor.run.pid is None


def test_a_crash_loop_backs_off_then_gives_up_after_the_fast_failure_limit() -> None:
    fast = Backoff(first_s=0.05, cap_s=0.2, jitter=0.0, stable_after_s=10.0)
    supervisor, recorder = _start(
        python_spec("crash", "crash_at_start_server.py"), restart=True, backoff=fast, max_fast_failures=3
    )
    try:
        assert supervisor.wait_for({sv.ServerState.GAVE_UP}, READY_DEADLINE_S), recorder.names
    finally:
        supervisor.stop()
    assert recorder.names == [
        sv.ServerState.STARTING, sv.ServerState.CRASHED, sv.ServerState.BACKING_OFF,
        sv.ServerState.STARTING, sv.ServerState.CRASHED, sv.ServerState.BACKING_OFF,
        sv.ServerState.STARTING, sv.ServerState.CRASHED, sv.ServerState.GAVE_UP,
    ]  # fmt: skip
    backoffs = [e.reason.detail["delay_s"] for e in recorder.states if e.state == sv.ServerState.BACKING_OFF]
    assert backoffs == [0.05, 0.1]
    assert supervisor.reason.kind == sv.ReasonKind.TOO_MANY_FAILURES
    assert supervisor.attempt == 3
    # Giving up is final: stop() does not turn it into "stopped".
    assert supervisor.state == sv.ServerState.GAVE_UP


def test_stop_during_backing_off_ends_the_restart_loop_at_once() -> None:
    slow_retry = Backoff(first_s=60.0, cap_s=60.0, jitter=0.0, stable_after_s=10.0)
    supervisor, _recorder = _start(python_spec("crash", "crash_at_start_server.py"), restart=True, backoff=slow_retry)
    try:
        assert supervisor.wait_for({sv.ServerState.BACKING_OFF}, READY_DEADLINE_S)
    finally:
        supervisor.stop()
    assert supervisor.state == sv.ServerState.STOPPED


def test_stop_is_idempotent_and_kills_a_tree_that_ignores_stdin_and_sigterm(tmp_path: Path) -> None:
    # A parent that starts a child, then both ignore SIGTERM and never read stdin: only SIGKILL of the tree works.
    script = tmp_path / "stubborn.py"
    script.write_text(
        "import signal, subprocess, sys, threading\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import signal, threading; "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); threading.Event().wait()'])\n"
        "print(f'child {child.pid}', file=sys.stderr, flush=True)\n"
        "threading.Event().wait()\n"
    )
    supervisor, recorder = _start(
        sv.ServerSpec("stubborn", __import__("sys").executable, [str(script)]),
        initialize_timeout_s=60.0,
        stdin_grace_s=SHORT_GRACE_S,
        kill_grace_s=SHORT_GRACE_S,
    )
    assert recorder.wait_line("child ", READY_DEADLINE_S)
    child_pid = int(next(line for line in recorder.lines if line.startswith("child ")).split()[1])
    pid = supervisor.run.pid if supervisor.run else None
    assert supervisor.stop() == sv.ServerState.STOPPED
    assert supervisor.stop() == sv.ServerState.STOPPED
    assert pid is not None and not psutil.pid_exists(pid)
    assert _dead(child_pid)


def _dead(pid: int) -> bool:
    """Gone, or a zombie: killed, and left for its new parent (init, once its own parent died) to reap."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_stderr_is_redacted_in_events_and_in_the_supervised_log() -> None:
    secret = "tok_supervisor_5e3a1b9c"
    spec = sv.ServerSpec(
        "leaky",
        __import__("sys").executable,
        [str(Path(__file__).resolve().parents[2] / "servers" / "env_server.py")],
        secrets=["LEAKY_TOKEN"],
        env={"ENV_SERVER_LEAK": "LEAKY_TOKEN"},
    )
    supervisor, recorder = _start(spec, get_secret=lambda _c, _k: secret)
    try:
        assert supervisor.wait_for({sv.ServerState.READY}, READY_DEADLINE_S), supervisor.reason
        assert recorder.wait_line("debug: LEAKY_TOKEN=", READY_DEADLINE_S)
    finally:
        supervisor.stop()
    assert not any(secret in line for line in recorder.lines)
    assert any("debug: LEAKY_TOKEN=********" in line for line in recorder.lines)
    log = plugboard_dirs().connector_log(supervised_log_name("leaky")).read_bytes()
    assert b"debug: LEAKY_TOKEN=********" in log
    assert secret.encode() not in log


@pytest.mark.parametrize("cwd", ["/"])
def test_a_server_reading_a_relative_file_crashes_in_the_root_folder(cwd: str) -> None:
    spec = python_spec("relative", "relative_path_server.py")
    supervisor, _recorder = _start(sv.ServerSpec(spec.name, spec.command, spec.args, cwd=cwd))
    try:
        assert supervisor.wait_settled(READY_DEADLINE_S)
    finally:
        supervisor.stop()
    assert supervisor.reason.kind == sv.ReasonKind.EXIT_BEFORE_READY
    assert any("settings/relative_server.json" in line for line in supervisor.reason.detail["stderr_tail"])


def test_a_ready_server_killed_from_outside_is_crashed_by_signal_and_restarted_to_ready() -> None:
    import os
    import signal

    quick = Backoff(first_s=0.05, cap_s=0.05, jitter=0.0, stable_after_s=10.0)
    supervisor, recorder = _start(python_spec("healthy", "healthy_server.py"), restart=True, backoff=quick)
    try:
        assert supervisor.wait_for({sv.ServerState.READY}, READY_DEADLINE_S), supervisor.reason
        first = supervisor.run
        assert first is not None and first.pid is not None
        os.kill(first.pid, signal.SIGKILL)
        assert supervisor.wait_for({sv.ServerState.BACKING_OFF}, READY_DEADLINE_S)
        assert supervisor.wait_for({sv.ServerState.READY}, READY_DEADLINE_S), supervisor.reason
        second = supervisor.run
        assert second is not None and second.pid != first.pid
    finally:
        supervisor.stop()
    crashed = [e for e in recorder.states if e.state == sv.ServerState.CRASHED]
    assert [(e.reason.kind, e.reason.signal) for e in crashed] == [(sv.ReasonKind.SIGNALLED, signal.SIGKILL)]
    assert recorder.names == [
        sv.ServerState.STARTING,
        sv.ServerState.READY,
        sv.ServerState.CRASHED,
        sv.ServerState.BACKING_OFF,
        sv.ServerState.STARTING,
        sv.ServerState.READY,
        sv.ServerState.STOPPED,
    ]
    assert [e.attempt for e in recorder.states if e.state == sv.ServerState.READY] == [1, 2]


def test_restart_stops_the_running_server_and_starts_a_fresh_one() -> None:
    supervisor, _recorder = _start(python_spec("healthy", "healthy_server.py"))
    try:
        assert supervisor.wait_for({sv.ServerState.READY}, READY_DEADLINE_S), supervisor.reason
        first_pid = supervisor.run.pid if supervisor.run else None
        supervisor.restart()
        assert supervisor.wait_for({sv.ServerState.READY}, READY_DEADLINE_S), supervisor.reason
        assert supervisor.run is not None and supervisor.run.pid != first_pid
        assert first_pid is not None and not psutil.pid_exists(first_pid)
    finally:
        supervisor.stop()
    assert len(supervisor.runs) == 2
