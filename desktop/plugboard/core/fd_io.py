"""Writing to a raw file descriptor: what the launcher (its stderr) and the proxy (stdout to Claude, stderr) share.

Both write to descriptors they inherited rather than to Python's buffered `sys.stdout`/`sys.stderr`: a message to
Claude must leave at once, whole, and a buffered stream would hold it (or interleave two threads' halves).
`os.write` may write less than asked on a pipe, so `write_all` loops. It raises `OSError` when the reader is gone;
each caller decides what that means (the proxy stops relaying, the launcher stops copying stderr there).
"""

from __future__ import annotations

import os


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd`; `OSError` if it is closed."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
