"""One advisory lock per Plugboard home, held while editing Claude's config or the store.

Two Plugboard processes (the app and a `plugboard` command, say) never interleave their read-modify-write cycles.
The lock is re-entrant within a process: an edit of Claude's config may update the store inside it.
Claude Desktop does not take this lock; `config.claude_file` detects its writes by comparing bytes instead.

The lock file is 0600 like everything else Plugboard keeps (`LOCK_FILE_MODE`): another local user must not be
able to open it, and so hold it, and so stall every Plugboard edit. A lock file left 0644 by an older version is
narrowed when it is next taken.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock

from plugboard.core.paths import PlugboardDirs, ensure_dir

# A holder that waits longer than this is stuck behind a hung process; tell the user instead of hanging.
LOCK_TIMEOUT_S = 30.0
LOCK_FILE_MODE = 0o600

_locks: dict[str, FileLock] = {}
_guard = threading.Lock()


@contextmanager
def edit_lock(dirs: PlugboardDirs) -> Iterator[None]:
    from filelock import Timeout

    from plugboard.core.errors import PlugboardError

    ensure_dir(dirs.lock_file.parent)
    key = str(dirs.lock_file)
    with _guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = FileLock(key, mode=LOCK_FILE_MODE)
    try:
        lock.acquire(timeout=LOCK_TIMEOUT_S)
    except Timeout as exc:
        raise PlugboardError(
            f"another Plugboard process has been editing for over {LOCK_TIMEOUT_S:.0f} s (lock {key}); try again",
            plain="Another Plugboard window or command is busy changing Claude's settings; try again in a moment.",
        ) from exc
    try:
        _narrow(key)
        yield
    finally:
        lock.release()


def _narrow(path: str) -> None:
    """filelock applies the mode to a lock file it creates, not to one that exists already."""
    with contextlib.suppress(OSError):
        if stat.S_IMODE(os.stat(path).st_mode) != LOCK_FILE_MODE:
            os.chmod(path, LOCK_FILE_MODE)
