"""Status records (atomic, read back as the labels `plugboard list` shows) and the bounded connector log."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import psutil

from plugboard.core.launch.status import (
    ConnectorStatus,
    RunState,
    connector_status_label,
    effective_state,
    is_failing,
    read_status,
    status_path,
    write_status,
)
from plugboard.core.logs.connector_log import ConnectorLog, rotated_paths
from plugboard.core.paths import plugboard_dirs
from plugboard.core.secrets.keyring import session_bus_address


def test_a_connector_that_never_ran_reads_as_never_started() -> None:
    assert connector_status_label("github") == "never started"


def test_a_record_round_trips_and_reads_as_its_label() -> None:
    write_status(ConnectorStatus(name="github", state=RunState.EXITED, exit_code=3, stderr_tail=["boom"]))

    record = read_status("github")
    assert record is not None and record.stderr_tail == ["boom"]
    assert connector_status_label("github") == "exited 3"
    assert oct(status_path("github").stat().st_mode & 0o777) == "0o600"


def test_a_running_record_whose_launcher_is_this_live_process_reads_as_running() -> None:
    # As the launcher does: note the time just after the process started (not "now": this test process may have
    # been running for minutes already, which is exactly what the pid-reuse check looks at).
    started = psutil.Process().create_time() + 0.2
    write_status(ConnectorStatus(name="a", state=RunState.RUNNING, launcher_pid=os.getpid(), launcher_started=started))

    assert connector_status_label("a") == "running"


def test_a_running_record_whose_launcher_vanished_or_whose_pid_was_reused_reads_as_crashed() -> None:
    # Our pid, but a launcher that noted its start long after this process began: the pid was reused.
    write_status(
        ConnectorStatus(name="b", state=RunState.RUNNING, launcher_pid=os.getpid(), launcher_started=time.time() + 3600)
    )

    assert connector_status_label("b") == "crashed"


def test_stopped_crashed_and_failed_records_have_their_own_labels() -> None:
    write_status(ConnectorStatus(name="s", state=RunState.STOPPED, signal=15))
    write_status(ConnectorStatus(name="c", state=RunState.CRASHED, signal=11))
    write_status(ConnectorStatus(name="f", state=RunState.FAILED, reason="missing secret API_KEY"))

    assert connector_status_label("s") == "stopped"
    assert connector_status_label("c") == "crashed (SIGSEGV)"
    assert connector_status_label("f") == "failed: missing secret API_KEY"


def test_a_record_file_reads_byte_for_byte_as_it_did_when_states_were_plain_strings() -> None:
    write_status(ConnectorStatus(name="g", state=RunState.EXITED, command=["npx", "x"], pid=7, exit_code=0))

    expected = (
        '{\n  "name": "g",\n  "state": "exited",\n  "command": [\n    "npx",\n    "x"\n  ],\n  "pid": 7,\n'
        '  "launcher_pid": null,\n  "launcher_started": null,\n  "started": null,\n  "ended": null,\n'
        '  "exit_code": 0,\n  "signal": null,\n  "reason": null,\n  "stderr_tail": []\n}\n'
    )
    assert status_path("g").read_text() == expected
    record = read_status("g")
    assert record is not None and record.state is RunState.EXITED


def test_failing_is_one_rule_over_the_typed_state_not_a_reading_of_the_label() -> None:
    def failing(**fields: object) -> bool:
        record = ConnectorStatus(name="x", **fields)  # type: ignore[arg-type]
        return is_failing(record, effective_state(record))

    assert failing(state=RunState.FAILED, reason="missing secret K")
    assert failing(state=RunState.CRASHED, signal=9)
    assert failing(state=RunState.EXITED, exit_code=1)
    assert failing(state=RunState.RUNNING, launcher_pid=None)  # a launcher that vanished
    assert not failing(state=RunState.EXITED, exit_code=0)
    assert not failing(state=RunState.STOPPED, signal=15)
    assert not is_failing(None, None)


def test_a_record_with_a_state_no_launcher_writes_reads_as_never_started() -> None:
    status_path("odd").parent.mkdir(parents=True, exist_ok=True)
    status_path("odd").write_text('{"name": "odd", "state": "dancing"}')
    assert read_status("odd") is None
    assert connector_status_label("odd") == "never started"


def test_a_damaged_record_reads_as_never_started_instead_of_failing_the_list() -> None:
    path = status_path("x")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")

    assert connector_status_label("x") == "never started"


def test_the_connector_log_rotates_and_stays_bounded() -> None:
    with ConnectorLog("chatty", max_bytes=2000, keep=2) as log:
        for i in range(200):
            log.write(f"line {i:04d} of a chatty server\n".encode())

    path = plugboard_dirs().connector_log("chatty")
    files = [path, *rotated_paths(path, 2)]
    assert all(f.exists() for f in files)
    assert not path.with_name(path.name + ".3").exists()
    assert all(f.stat().st_size <= 2000 for f in files)
    assert "line 0199" in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_each_log_line_is_stamped_once_even_when_it_arrives_in_pieces() -> None:
    with ConnectorLog("pieces") as log:
        log.write(b"hel")
        log.write(b"lo\nwor")
        log.write(b"ld\n")

    lines = plugboard_dirs().connector_log("pieces").read_text().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["hello", "world"]
    assert all(line[:4].isdigit() and line.split(" ", 1)[0].endswith("Z") for line in lines)


def test_a_missing_dbus_address_is_recovered_from_the_per_user_bus_socket(tmp_path: Path) -> None:
    run_user = tmp_path / "run" / "user"
    (run_user / "1000").mkdir(parents=True)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(run_user / "1000" / "bus"))
        env: dict[str, str] = {}
        assert session_bus_address(env, 1000, run_root=run_user) == f"unix:path={run_user / '1000' / 'bus'}"
        assert env["DBUS_SESSION_BUS_ADDRESS"] == f"unix:path={run_user / '1000' / 'bus'}"
        # An address that is set is never replaced.
        kept = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/elsewhere"}
        assert session_bus_address(kept, 1000, run_root=run_user) == "unix:path=/elsewhere"


def test_no_bus_socket_leaves_the_address_unset(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    assert session_bus_address(env, 1000, run_root=tmp_path) is None
    assert env == {}


def test_logs_not_written_for_longer_than_the_retention_are_deleted_and_fresh_ones_kept() -> None:
    from plugboard.core.logs.connector_log import prune_old_logs

    for name in ("old", "new"):
        log = ConnectorLog(name)
        log.write(b"line\n")
        log.close()
    logs = plugboard_dirs().logs
    old = logs / "old.log"
    twenty_days_ago = time.time() - 20 * 86400
    os.utime(old, (twenty_days_ago, twenty_days_ago))
    (logs / "notes.txt").write_text("not a log")
    assert prune_old_logs(14) == [old]
    assert sorted(p.name for p in logs.iterdir()) == ["new.log", "notes.txt"]
