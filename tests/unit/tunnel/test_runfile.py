"""Run records let `status` and `down` find a tunnel run by another process; stale ones read as not running."""

from __future__ import annotations

import json
import os
import time

from plugboard.core.tunnel.runfile import read_record, remove_record, runfile_path, write_record
from plugboard.core.tunnel.state import Problem, ProblemKind, StateKind, TunnelState


def test_a_written_record_reads_back_with_our_pid_and_state():
    write_record("droplet", TunnelState("up", local_port=5000), time.time())
    record = read_record("droplet")
    assert record is not None and record.pid == os.getpid()
    assert record.state["state"] == "up" and record.state["local_port"] == 5000
    assert record.to_dict()["text"] == "up on 127.0.0.1:5000"


def test_a_record_of_a_dead_process_reads_as_not_running_and_is_removed():
    write_record("droplet", TunnelState("failed", problem=Problem("auth", "no")), time.time())
    path = runfile_path("droplet")
    data = json.loads(path.read_text())
    data["pid"] = 2**22 + 12345  # beyond pid_max defaults: no such process
    path.write_text(json.dumps(data))
    assert read_record("droplet") is None
    assert not path.exists()


def test_a_record_whose_pid_now_belongs_to_a_younger_process_is_stale():
    write_record("droplet", TunnelState("up"), time.time())
    path = runfile_path("droplet")
    data = json.loads(path.read_text())
    data["pid"] = os.getppid()  # alive, but started after the record claims its tunnel started
    data["started_at"] = 0.0
    path.write_text(json.dumps(data))
    assert read_record("droplet") is None


def test_remove_record_only_removes_our_own():
    write_record("droplet", TunnelState("up"), time.time())
    path = runfile_path("droplet")
    data = json.loads(path.read_text())
    data["pid"] = os.getppid()
    path.write_text(json.dumps(data))
    remove_record("droplet")
    assert path.exists()


def test_the_state_reads_in_json_exactly_as_it_did_when_kinds_were_plain_strings():
    state = TunnelState(StateKind.FAILED, attempt=2, problem=Problem(ProblemKind.AUTH, "no"), local_port=5000)
    assert json.dumps(state.to_dict()) == (
        '{"state": "failed", "attempt": 2, "next_try_s": null, "problem": {"kind": "auth", "message": "no"}, '
        '"local_port": 5000, "text": "failed (auth): no"}'
    )
    # A caller holding the plain value gets the typed member.
    assert TunnelState("up").kind is StateKind.UP
