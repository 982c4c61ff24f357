"""One advisory lock per Plugboard home, held while editing Claude's config or the store.

Two Plugboard processes (the app and a `plugboard` command, say) never interleave their read-modify-write cycles.
The lock is re-entrant within a process: an edit of Claude's config may update the store inside it.
Claude Desktop does not take this lock; `claude_config` detects its writes by comparing bytes instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock

from plugboard.core.paths import PlugboardDirs, ensure_dir

# A holder that waits longer than this is stuck behind a hung process; tell the user instead of hanging.
LOCK_TIMEOUT_S = 30.0

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
            lock = _locks[key] = FileLock(key)
    try:
        lock.acquire(timeout=LOCK_TIMEOUT_S)
    except Timeout as exc:
        raise PlugboardError(
            f"another Plugboard process has been editing for over {LOCK_TIMEOUT_S:.0f} s (lock {key}); try again"
        ) from exc
    try:
        yield
    finally:
        lock.release()
