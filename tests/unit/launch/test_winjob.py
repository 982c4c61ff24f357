"""The Windows launcher's Job object, tested here through its seam: a fake kernel that models what the Win32
documentation says about jobs (a process created by a process in a job is in the job unless the job allows
breakaway; when the last handle to a KILL_ON_JOB_CLOSE job closes, every process in it ends; a process's handles
close when it ends). The real ctypes calls cannot run here; their structure layout is checked against the SDK's
sizes."""

from __future__ import annotations

import ctypes
import itertools
import struct
from dataclasses import dataclass, field

import pytest

from plugboard.core.launch import winjob
from plugboard.core.launch.winjob import (
    JOB_OBJECT_LIMIT_BREAKAWAY_OK,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK,
    KillOnCloseJob,
)

CURRENT_PROCESS = -1  # GetCurrentProcess()'s pseudo-handle
ERROR_ACCESS_DENIED = 5


@dataclass
class Job:
    flags: int = 0
    members: set[int] = field(default_factory=set)
    handles: int = 1


@dataclass
class Process:
    parent: int | None
    alive: bool = True
    jobs: set[int] = field(default_factory=set)
    handles: set[int] = field(default_factory=set)


class FakeKernel:
    """`winjob.JobApi` over a small model of processes, jobs and handles; `current` is the calling process."""

    def __init__(self, current: int = 100, *, refuse_assign: bool = False) -> None:
        self.current = current
        self.refuse_assign = refuse_assign
        self.processes: dict[int, Process] = {current: Process(parent=None)}
        self.jobs: dict[int, Job] = {}
        self._numbers = itertools.count(1000)
        self.calls: list[str] = []

    # -- JobApi ------------------------------------------------------------------------------------------------

    def create_job(self) -> int:
        self.calls.append("create_job")
        handle = next(self._numbers)
        self.jobs[handle] = Job()
        self.processes[self.current].handles.add(handle)
        return handle

    def set_limit_flags(self, job: int, flags: int) -> None:
        self.calls.append(f"set_limit_flags {flags:#x}")
        self.jobs[job].flags = flags

    def current_process(self) -> int:
        return CURRENT_PROCESS

    def assign(self, job: int, process: int) -> None:
        self.calls.append("assign")
        if self.refuse_assign:
            raise OSError(ERROR_ACCESS_DENIED, "Access is denied")
        pid = self.current if process == CURRENT_PROCESS else process
        self.jobs[job].members.add(pid)
        self.processes[pid].jobs.add(job)

    def close(self, handle: int) -> None:
        self.calls.append("close")
        self.processes[self.current].handles.discard(handle)
        self._release(handle)

    # -- the rest of the model ---------------------------------------------------------------------------------

    def create_process(self, parent: int, *, breakaway: bool = False) -> int:
        """CreateProcess from `parent` (CREATE_BREAKAWAY_FROM_JOB when `breakaway`)."""
        pid = next(self._numbers)
        child = Process(parent=parent)
        for handle in self.processes[parent].jobs:
            flags = self.jobs[handle].flags
            leaves = flags & JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK or (
                breakaway and flags & JOB_OBJECT_LIMIT_BREAKAWAY_OK
            )
            if not leaves:
                child.jobs.add(handle)
                self.jobs[handle].members.add(pid)
        self.processes[pid] = child
        return pid

    def terminate(self, pid: int) -> None:
        """TerminateProcess: the process ends and the kernel closes every handle it held."""
        process = self.processes[pid]
        if not process.alive:
            return
        process.alive = False
        for handle in list(process.handles):
            process.handles.discard(handle)
            self._release(handle)

    def _release(self, handle: int) -> None:
        job = self.jobs[handle]
        job.handles -= 1
        if job.handles == 0 and job.flags & JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE:
            for pid in list(job.members):
                self.terminate(pid)

    def alive(self, pid: int) -> bool:
        return self.processes[pid].alive

    def open_handles(self) -> int:
        return sum(len(p.handles) for p in self.processes.values() if p.alive)


def test_killing_the_launcher_ends_the_server_and_every_process_it_started() -> None:
    kernel = FakeKernel()
    launcher = kernel.current

    assert KillOnCloseJob(kernel).contain_current_process() is None
    server = kernel.create_process(launcher)
    grandchild = kernel.create_process(server)
    great = kernel.create_process(grandchild)
    kernel.terminate(launcher)  # Claude Desktop ends the connector with TerminateProcess

    assert not any(kernel.alive(pid) for pid in (server, grandchild, great))


def test_the_launcher_is_in_the_job_before_it_starts_anything_so_no_child_escapes_between_calls() -> None:
    kernel = FakeKernel()
    KillOnCloseJob(kernel).contain_current_process()

    assert kernel.calls == ["create_job", f"set_limit_flags {JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE:#x}", "assign"]
    assert kernel.processes[kernel.current].jobs  # the launcher itself is a member


def test_no_descendant_can_break_away_from_the_job() -> None:
    kernel = FakeKernel()
    KillOnCloseJob(kernel).contain_current_process()
    server = kernel.create_process(kernel.current)
    runaway = kernel.create_process(server, breakaway=True)  # CREATE_BREAKAWAY_FROM_JOB

    kernel.terminate(kernel.current)

    assert not kernel.alive(runaway)
    (job,) = kernel.jobs.values()
    assert not job.flags & (JOB_OBJECT_LIMIT_BREAKAWAY_OK | JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK)


def test_the_job_handle_stays_open_while_the_launcher_runs() -> None:
    kernel = FakeKernel()
    job = KillOnCloseJob(kernel)
    job.contain_current_process()
    server = kernel.create_process(kernel.current)

    assert "close" not in kernel.calls and job.handle is not None
    assert kernel.alive(server)


def test_a_refused_assignment_says_why_and_leaves_no_handle_open() -> None:
    kernel = FakeKernel(refuse_assign=True)  # Windows 7, or a parent job with UI limits

    problem = KillOnCloseJob(kernel).contain_current_process()

    assert problem is not None and "Access is denied" in problem
    assert kernel.calls[-1] == "close" and kernel.open_handles() == 0
    server = kernel.create_process(kernel.current)
    kernel.terminate(kernel.current)
    assert kernel.alive(server)  # no job: the known gap stays, and the launcher logged why


def test_containing_twice_makes_one_job() -> None:
    kernel = FakeKernel()
    job = KillOnCloseJob(kernel)

    assert job.contain_current_process() is None
    assert job.contain_current_process() is None
    assert kernel.calls.count("create_job") == 1


def test_the_module_keeps_one_job_for_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(winjob, "_held", [])
    kernel = FakeKernel()

    assert winjob.contain_this_process(kernel) is None
    assert winjob.contain_this_process(kernel) is None
    assert kernel.calls.count("create_job") == 1


@pytest.mark.skipif(struct.calcsize("P") != 8, reason="the sizes below are those of 64-bit Windows")
def test_the_limit_structure_has_the_windows_sdk_layout() -> None:
    # JOBOBJECT_EXTENDED_LIMIT_INFORMATION is 144 bytes on x64, with LimitFlags at offset 16 of the basic part.
    assert ctypes.sizeof(winjob.JOBOBJECT_BASIC_LIMIT_INFORMATION) == 64
    assert ctypes.sizeof(winjob.IO_COUNTERS) == 48
    assert ctypes.sizeof(winjob.JOBOBJECT_EXTENDED_LIMIT_INFORMATION) == 144
    assert winjob.JOBOBJECT_BASIC_LIMIT_INFORMATION.LimitFlags.offset == 16
