"""Linux: the launcher's keeper, a small process that owns the server's whole tree and outlives the launcher.

The problem (issue 16, item 10). Claude Desktop may end `plugboard run` with SIGKILL, and then none of the
launcher's code runs. `PR_SET_PDEATHSIG` (what the launcher used alone before) only reaches the server itself, and
only with a signal it may ignore; the server's own children stay, and one that left the process group (`setsid`,
a double-forked daemon) escapes even a group signal. Measured before this module: a server ignoring SIGTERM with a
setsid'd grandchild left both running after the launcher's SIGKILL, for ever.

The mechanism. Just before starting the server, the launcher forks (no exec: the child is a copy of the running
interpreter, so it costs milliseconds and works the same from a source install or a frozen bundle, where there is
no `python` to exec). The child, the keeper, closes every descriptor it does not need, makes itself a child
subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`), starts the server as its own child, and tells the launcher the
server's pid. From then on every descendant of the server stays in the keeper's
tree whatever it does: an orphan is re-parented to the nearest living subreaper ancestor, which is the keeper, not
init. So the keeper can always find the whole tree (its own descendants), and "no child left" means "the tree is
gone". The keeper:

- reaps everything (the server and re-parented orphans) on its main thread and reports the server's end to the
  launcher at once;
- on "stop SIG" from the launcher (a forwarded signal, or stdin closed), runs `process_tree.terminate_tree` with
  SIG first: SIG to the group and every descendant, `term_s`, then SIGKILL;
- when the server has ended, ends what it left behind the same way (SIGTERM, grace, SIGKILL);
- when the launcher is gone (its end of the control pipe closes: the kernel closes it on SIGKILL too), ends the
  whole tree the same way, then exits.

It ignores the stop signals (SIGTERM, SIGINT, SIGHUP: a handler, so the server does not inherit "ignored"), leaves
the launcher's process group (a signal to that group does not take it before its work is done), closes its copies
of Claude's stdin/stdout/stderr once the server has them (Claude sees EOF when the launcher and the server are
gone), and is named
`plugboard-keep` in `ps`. The server gets `PR_SET_PDEATHSIG` = SIGKILL towards the keeper: if the keeper itself is
killed, which only a deliberate kill does, the server at least does not outlive it.

Alternatives measured or ruled out here (a 2-core Linux 6.x VM, no systemd, cgroup v1 read-only):
- the launcher as subreaper plus a watchdog that polls the tree: when the launcher dies its children go to init
  before a watchdog can look, so the watchdog must keep a snapshot and misses what was born and orphaned since;
- a cgroup per server: complete, but needs a delegated cgroup v2 subtree (`systemd-run --user --scope`, a D-Bus
  round trip per start) and there is none in containers or here;
- a user + pid namespace (the kernel kills a namespace when its init dies): complete, but it changes what the
  server sees (its pid, its uid mapping), and Ubuntu 24.04 restricts unprivileged user namespaces;
- pidfds: they tell us a process ended, not which processes make up the tree.
Figures measured here: the keeper adds ~5 ms from spawn to the server's first stderr line (6.4 vs 1.1 ms, median of
80) and 2.8 MB of memory of its own (USS; 6.7 MB PSS, the rest shared with the launcher by copy-on-write). After the
launcher's SIGKILL, a server ignoring SIGTERM with a setsid'd grandchild ignoring it too is gone in 3.07 s
(TERM_GRACE_S, then SIGKILL); well-behaved ones in 50-80 ms. Before: both ran on indefinitely
(tests/integration/launch/test_process_tree_cleanup.py has the cases).

Messages: keeper → launcher `pid N`, `error ERRNO TEXT` (the server could not start), `kill` (escalating to
SIGKILL), `exit CODE` (Popen's convention: -N for signal N); launcher → keeper `stop SIG`. One line each, far below
PIPE_BUF, so a write is never split.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from plugboard.core.launch.process_tree import Graces, signal_tree, terminate_tree

if TYPE_CHECKING:
    import psutil

# <linux/prctl.h>
PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
PR_SET_CHILD_SUBREAPER = 36
# What `ps` and `top` show for the keeper (the kernel keeps 15 bytes).
KEEPER_NAME = b"plugboard-keep"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# The launcher waits this long for the keeper's first message. Forking and exec'ing take milliseconds; only a
# machine swapping hard is slower, and then failing the start with a clear message beats hanging Claude.
SPAWN_REPORT_S = 30.0


class KeeperUnavailable(Exception):
    """No keeper here (not Linux, or prctl refused): the launcher starts the server itself."""


def _prctl() -> Callable[..., int]:
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError) as exc:
        raise KeeperUnavailable(str(exc)) from exc
    return prctl


def available() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(os, "waitid")


class KeptServer:
    """The launcher's handle on a server whose parent is the keeper: its pid, its stderr, wait, stop, close."""

    def __init__(self, keeper_pid: int, *, stderr_fd: int, ctl_w: int, rep_r: int) -> None:
        self.keeper_pid = keeper_pid
        self.pid = 0  # the server's, once the keeper reports it
        self.stderr_fd = stderr_fd
        self._ctl_w = ctl_w
        self._rep_r = rep_r
        self._buffer = b""
        self._eof = False
        self.escalated = threading.Event()
        """Set when the keeper reported it had to SIGKILL the server."""
        self._closed = False

    def stop(self, sig: int) -> None:
        """Ask the keeper to stop the tree, `sig` first. Returns at once; a second call forwards `sig` again."""
        with contextlib.suppress(OSError):  # the keeper is gone: so is the tree
            os.write(self._ctl_w, f"stop {int(sig)}\n".encode())

    def wait(self, on_kill: Callable[[], None] | None = None) -> int:
        """Block until the server ends; its exit code (-N for signal N). `on_kill` runs if the keeper escalates."""
        for line in self._messages(None):
            kind, _, rest = line.partition(" ")
            if kind == "exit":
                return int(rest)
            if kind == "kill":
                self.escalated.set()
                if on_kill is not None:
                    on_kill()
        # The keeper vanished without a word (killed outright): the server got SIGKILL through its parent-death
        # signal.
        return -int(signal.SIGKILL)

    def close(self, timeout: float) -> None:
        """Tell the keeper we are done (it ends what is left of the tree) and reap it if it finishes in `timeout`;
        otherwise it finishes on its own. Idempotent."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            os.close(self._ctl_w)
        for _line in self._messages(timeout):
            pass  # late notes from the sweep of what the server left behind
        if self._eof:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.keeper_pid, 0)  # it closed its end: it is exiting, so this returns at once
        for fd in (self._rep_r, self.stderr_fd):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _messages(self, timeout: float | None) -> Iterator[str]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                yield line.decode("ascii", "replace")
            if self._eof:
                return
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._rep_r], [], [], left)[0]:
                    return
            chunk = os.read(self._rep_r, 4096)
            if not chunk:
                self._eof = True
            self._buffer += chunk


def spawn(argv: list[str], env: dict[str, str], *, stdin_fd: int, graces: Graces) -> KeptServer:
    """Fork the keeper, which starts `argv` (its stdin `stdin_fd`, stdout ours, stderr a pipe we read).

    Raises OSError when the server cannot be started (as `Popen` would), `KeeperUnavailable` when there can be no
    keeper here. Call it from a process with no other thread running (the launcher does, before its threads start):
    the keeper is a fork of it."""
    if not available():
        raise KeeperUnavailable("not Linux")
    prctl = _prctl()
    stderr_r, stderr_w = os.pipe()
    ctl_r, ctl_w = os.pipe()
    rep_r, rep_w = os.pipe()
    parent = os.getpid()
    # A stop signal during the fork must reach the launcher's handler (which keeps it for later), not run that
    # handler inside the keeper: block them until each side has its own.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        keeper_pid = os.fork()
        if keeper_pid == 0:
            for fd in (stderr_r, ctl_w, rep_r):
                os.close(fd)
            _keeper_main(prctl, _Setup(parent, argv, env, stdin_fd, stderr_w, ctl_r, rep_w, graces))
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    for fd in (stderr_w, ctl_r, rep_w):
        os.close(fd)
    server = KeptServer(keeper_pid, stderr_fd=stderr_r, ctl_w=ctl_w, rep_r=rep_r)
    first = next(server._messages(SPAWN_REPORT_S), "")
    kind, _, rest = first.partition(" ")
    if kind == "pid":
        server.pid = int(rest)
        return server
    server.close(graces.kill_s)
    if kind == "error":
        number, _, text = rest.partition(" ")
        raise OSError(int(number), text)
    raise OSError(0, "the process keeper ended before starting the server")


# -- the keeper process ------------------------------------------------------------------------------------------


def _send(fd: int, message: str) -> None:
    with contextlib.suppress(OSError):  # the launcher is gone: nobody to tell, the work goes on
        os.write(fd, (message + "\n").encode("ascii", "replace"))


def _ignore(_signum: int, _frame: object) -> None:
    """The keeper's answer to a stop signal: none. It acts on the launcher's messages and on its death."""


def _die_with_parent(prctl: Callable[..., int], parent: int) -> Callable[[], None]:
    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(int(signal.SIGKILL)), 0, 0, 0)
        if os.getppid() != parent:  # the keeper died between fork and prctl: the signal will never come
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


@dataclass(frozen=True)
class _Setup:
    launcher: int  # the launcher's pid
    argv: list[str]
    env: dict[str, str]
    stdin_fd: int
    stderr_w: int  # the write end of the server's stderr pipe
    ctl_r: int  # launcher → keeper
    rep_w: int  # keeper → launcher
    graces: Graces


def _keeper_main(prctl: Callable[..., int], setup: _Setup) -> NoReturn:
    """The keeper's whole life; never returns into the launcher's code (os._exit, no clean-up of the copy)."""
    try:
        code = _keep(prctl, setup)
    except BaseException:  # nothing of the launcher's may run here; an unexpected error still ends the process
        code = 2
    os._exit(code)


def _keep(prctl: Callable[..., int], setup: _Setup) -> int:
    # Everything the launcher built stays as it is, never collected here: a finaliser run in this copy could close a
    # descriptor number we reuse below. (We leave through os._exit, so nothing of it is torn down either.)
    gc.freeze()
    _close_inherited({0, 1, 2, setup.stdin_fd, setup.stderr_w, setup.ctl_r, setup.rep_w})
    for sig in STOP_SIGNALS:
        signal.signal(sig, _ignore)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    prctl(PR_SET_NAME, ctypes.c_char_p(KEEPER_NAME), 0, 0, 0)
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    if prctl(PR_SET_CHILD_SUBREAPER, ctypes.c_ulong(1), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        _send(setup.rep_w, f"error {err} cannot keep the server's processes together: {os.strerror(err)}")
        return 1
    try:
        proc = subprocess.Popen(
            setup.argv,
            stdin=setup.stdin_fd,
            stdout=None,
            stderr=setup.stderr_w,
            env=setup.env,
            start_new_session=True,
            preexec_fn=_die_with_parent(prctl, os.getpid()),  # noqa: PLW1509 - the keeper has no other thread yet
        )
    except OSError as exc:
        _send(setup.rep_w, f"error {exc.errno or 0} {exc.strerror or exc}")
        return 1
    _send(setup.rep_w, f"pid {proc.pid}")
    if setup.stdin_fd > 2:
        os.close(setup.stdin_fd)
    ctl_r = setup.ctl_r
    if os.getppid() != setup.launcher:
        os.close(ctl_r)  # the launcher died while we spawned: the control loop sees EOF at once
        ctl_r = os.open(os.devnull, os.O_RDONLY)
    _detach_stdio(setup.stderr_w)
    _Keeper(proc, ctl_r, setup.rep_w, setup.graces).run()
    return 0


def _close_inherited(keep: set[int]) -> None:
    """Close every descriptor the fork copied from the launcher but the keeper does not use. A copy held here of, say,
    the write end of a pipe another part of the launcher's process owns would keep its reader from ever seeing EOF."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            with contextlib.suppress(OSError):  # the listing's own descriptor, closed already
                os.close(fd)


def _detach_stdio(stderr_w: int) -> None:
    """Let go of Claude's pipes (and the server's stderr pipe): only the launcher and the server hold them."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    os.close(stderr_w)


class _Keeper:
    def __init__(self, proc: subprocess.Popen[bytes], ctl_r: int, rep_w: int, graces: Graces) -> None:
        self.proc = proc
        self.ctl_r = ctl_r
        self.rep_w = rep_w
        self.graces = graces
        self.server_ended = threading.Event()
        self.tree_empty = threading.Event()

    def run(self) -> None:
        threading.Thread(target=self._control, name="keeper-control", daemon=True).start()
        self._reap()

    def _reap(self) -> None:
        """Reap every child (the server and the orphans re-parented to us) until none is left."""
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED)
            except ChildProcessError:
                break
            if info is None or info.si_pid != self.proc.pid:
                continue
            code = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
            self.proc.returncode = code
            _send(self.rep_w, f"exit {code}")
            self.server_ended.set()
            threading.Thread(target=self._sweep, name="keeper-sweep", daemon=True).start()
        self.tree_empty.set()

    def _sweep(self) -> None:
        """The server ended: what it left behind goes too."""
        terminate_tree(_KeptTree(self, self.tree_empty), graces=self.graces)

    def _control(self) -> None:
        stopping = False
        for line in _lines(self.ctl_r):
            kind, _, rest = line.partition(" ")
            if kind != "stop" or not rest.isdigit():
                continue
            if stopping:
                signal_tree(_KeptTree(self, self.server_ended), int(rest))  # a repeated stop signal, forwarded
                continue
            stopping = True
            terminate_tree(
                _KeptTree(self, self.server_ended),
                first_signal=int(rest),
                graces=self.graces,
                on_kill=lambda: _send(self.rep_w, "kill"),
            )
        # The launcher closed its end: it is done, or it was killed. Either way the tree goes now.
        terminate_tree(_KeptTree(self, self.tree_empty), graces=self.graces)


def _lines(fd: int) -> Iterator[str]:
    buffer = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.decode("ascii", "replace")


class _KeptTree:
    """The keeper's tree: its own descendants, all of them (it is their subreaper); gone when `until` is set."""

    def __init__(self, keeper: _Keeper, until: threading.Event) -> None:
        self._keeper = keeper
        self._until = until

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self._keeper.proc

    def members(self) -> list[psutil.Process]:
        import psutil

        try:
            return list(psutil.Process().children(recursive=True))
        except psutil.Error:
            return []

    def wait_gone(self, timeout: float) -> bool:
        return self._until.wait(timeout)
