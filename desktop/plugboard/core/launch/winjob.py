"""Windows: the launcher and everything it starts share one Job object, which ends them all when the launcher ends.

Windows has no process groups, no parent-death signal and no subreaper; killing `plugboard run` (Claude Desktop
ends a connector with TerminateProcess) used to leave the server and its children running. A Job object with
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE ends every process in it when the last handle to the job closes, and the
kernel closes a process's handles when it ends, however it ends (Raymond Chen, "Destroying all child processes
(and grandchildren) when the parent exits", The Old New Thing, 2013-12-09).

So before starting the server the launcher creates an unnamed job (its handle not inheritable: a copy held by the
server would keep the job open), sets KILL_ON_JOB_CLOSE (and neither breakaway flag, so no child can leave), and
assigns *itself* to it. A process created by a process in a job is in that job from its first instruction, so the
server and all its descendants are in it with no window between CreateProcess and AssignProcessToJobObject (the
race that assigning the server after it started would have). The handle is never closed on purpose: its closing,
at the launcher's end, is what ends the tree.

Nested jobs (Windows 8 and later) let this work when Claude Desktop already runs us in a job of its own. Where the
assignment is refused (Windows 7, or a parent job with UI limits: ERROR_ACCESS_DENIED), the launcher runs as
before and notes why in the connector's log.

The Win32 calls sit behind `JobApi`; `Kernel32` is the ctypes implementation (not run here: this is tested on
Linux with a fake kernel that models jobs, handles and process creation, and the structure layout is checked
against the sizes the Windows SDK gives).
"""

from __future__ import annotations

import ctypes
from typing import Protocol

# <winnt.h>
JOB_OBJECT_LIMIT_BREAKAWAY_OK = 0x00000800
JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK = 0x00001000
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
# JOBOBJECTINFOCLASS
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9


class JobApi(Protocol):
    """The Win32 calls the launcher needs; each raises OSError on failure."""

    def create_job(self) -> int:
        """CreateJobObjectW(NULL, NULL): a new unnamed job whose handle child processes do not inherit."""
        ...

    def set_limit_flags(self, job: int, flags: int) -> None:
        """SetInformationJobObject(job, JobObjectExtendedLimitInformation) with these LimitFlags."""
        ...

    def current_process(self) -> int:
        """GetCurrentProcess(): the pseudo-handle of this process."""
        ...

    def assign(self, job: int, process: int) -> None:
        """AssignProcessToJobObject(job, process)."""
        ...

    def close(self, handle: int) -> None:
        """CloseHandle(handle)."""
        ...


class KillOnCloseJob:
    """One process's kill-on-close job: `contain_current_process` once, then hold it until the process ends."""

    def __init__(self, api: JobApi) -> None:
        self.api = api
        self.handle: int | None = None

    def contain_current_process(self) -> str | None:
        """Put this process (and so everything it starts from now on) in the job. None when done, else a sentence
        saying why not; then nothing is left open and the caller runs without the guarantee. Idempotent."""
        if self.handle is not None:
            return None
        try:
            job = self.api.create_job()
        except OSError as exc:
            return f"Windows refused a job object ({exc})"
        try:
            self.api.set_limit_flags(job, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE)
            self.api.assign(job, self.api.current_process())
        except OSError as exc:
            self.api.close(job)
            return f"Windows refused to put the launcher in a job object ({exc})"
        # Held, never closed: the kernel closes it when this process ends, and that ends every process in the job.
        self.handle = job
        return None


# The process's one job, held for as long as the process lives.
_held: list[KillOnCloseJob] = []


def contain_this_process(api: JobApi | None = None) -> str | None:
    """The launcher's call before it starts the server (see the module docstring); None when contained."""
    if not _held:
        _held.append(KillOnCloseJob(api if api is not None else Kernel32()))
    return _held[0].contain_current_process()


# -- the real calls ----------------------------------------------------------------------------------------------


class IO_COUNTERS(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in ("Read", "Write", "Other", "ReadT", "WriteT", "OtherT")]


class JOBOBJECT_BASIC_LIMIT_INFORMATION(ctypes.Structure):
    _fields_ = [
        ("PerProcessUserTimeLimit", ctypes.c_int64),  # LARGE_INTEGER
        ("PerJobUserTimeLimit", ctypes.c_int64),
        ("LimitFlags", ctypes.c_uint32),  # DWORD
        ("MinimumWorkingSetSize", ctypes.c_size_t),  # SIZE_T
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", ctypes.c_uint32),
        ("Affinity", ctypes.c_size_t),  # ULONG_PTR
        ("PriorityClass", ctypes.c_uint32),
        ("SchedulingClass", ctypes.c_uint32),
    ]


class JOBOBJECT_EXTENDED_LIMIT_INFORMATION(ctypes.Structure):
    _fields_ = [
        ("BasicLimitInformation", JOBOBJECT_BASIC_LIMIT_INFORMATION),
        ("IoInfo", IO_COUNTERS),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


class Kernel32:
    """`JobApi` through ctypes (Windows only; not run here)."""

    def __init__(self) -> None:
        from ctypes import wintypes

        dll = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
        self._create = dll.CreateJobObjectW
        self._create.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR]
        self._create.restype = wintypes.HANDLE
        self._set = dll.SetInformationJobObject
        self._set.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD]
        self._set.restype = wintypes.BOOL
        self._assign = dll.AssignProcessToJobObject
        self._assign.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
        self._assign.restype = wintypes.BOOL
        self._current = dll.GetCurrentProcess
        self._current.argtypes = []
        self._current.restype = wintypes.HANDLE
        self._close = dll.CloseHandle
        self._close.argtypes = [wintypes.HANDLE]
        self._close.restype = wintypes.BOOL

    @staticmethod
    def _error() -> OSError:
        error: OSError = ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined,unused-ignore]
        return error

    def create_job(self) -> int:
        handle = self._create(None, None)  # NULL security attributes: the handle is not inheritable
        if not handle:
            raise self._error()
        return int(handle)

    def set_limit_flags(self, job: int, flags: int) -> None:
        info = JOBOBJECT_EXTENDED_LIMIT_INFORMATION()
        info.BasicLimitInformation.LimitFlags = flags
        ok = self._set(job, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS, ctypes.byref(info), ctypes.sizeof(info))
        if not ok:
            raise self._error()

    def current_process(self) -> int:
        return int(self._current())

    def assign(self, job: int, process: int) -> None:
        if not self._assign(job, process):
            raise self._error()

    def close(self, handle: int) -> None:
        self._close(handle)
