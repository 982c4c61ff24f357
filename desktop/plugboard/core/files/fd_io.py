"""Raw file-descriptor I/O: writing to inherited descriptors (the launcher's stderr, the proxy's stdout to Claude),
and reading a small file that must not hang or exhaust the memory (a config file, ours or another client's).

Writing: both programs write to descriptors they inherited rather than to Python's buffered `sys.stdout`/
`sys.stderr`: a message to Claude must leave at once, whole, and a buffered stream would hold it (or interleave two
threads' halves). `os.write` may write less than asked on a pipe, so `write_all` loops. It raises `OSError` when the
reader is gone; each caller decides what that means (the proxy stops relaying, the launcher stops copying stderr).

Reading (`read_plain_file`): a config path is something a user (or another app) controls. A named pipe in its place
would block `open` and `read` forever; a link to a device (/dev/zero) or a huge file read whole would fill the
memory. So only a plain file is read, opened without waiting for a writer, checked again on the open descriptor
(the path may have changed since the first look), and read up to a limit. The reasons come back as typed
exceptions so each caller says them in its own words (Claude's config engine, the exporter, the importer).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd`; `OSError` if it is closed."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# The size of one read: a config is usually one chunk; a bigger file costs a few reads, never one huge buffer.
READ_CHUNK = 1 << 20


class NotPlainFile(OSError):
    """The path is a folder, a named pipe, a socket or a device: `kind` says which, in words."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path} is {kind}, not a file")
        self.path = path
        self.kind = kind


class TooLarge(OSError):
    """The file holds more than `limit` bytes; it was not read whole."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(f"{path} is larger than {limit} bytes")
        self.path = path
        self.limit = limit


def file_kind(mode: int) -> str | None:
    """None for a plain file; else what the path is, in words ("a named pipe (FIFO)")."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a plain file"


def read_plain_file(path: Path, limit: int) -> bytes | None:
    """The exact bytes of the plain file at `path`, or None when it does not exist. Never blocks on a FIFO nor
    reads more than `limit` bytes: `NotPlainFile` or `TooLarge` instead; any other `OSError` as it came
    (`PermissionError`, ...)."""
    try:
        kind = file_kind(os.stat(path).st_mode)
        if kind is not None:
            raise NotPlainFile(path, kind)
        # O_NONBLOCK: if the path became a FIFO since the stat, opening it must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None
    except IsADirectoryError as exc:
        raise NotPlainFile(path, "a folder") from exc
    try:
        kind = file_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotPlainFile(path, kind)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(READ_CHUNK, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        raise TooLarge(path, limit)
    finally:
        os.close(fd)
