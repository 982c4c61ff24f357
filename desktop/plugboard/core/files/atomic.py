"""Crash-safe file replacement.

`write_atomic` writes a temporary file in the target's own folder (so the rename never crosses file systems),
fsyncs it, gives it the target's mode (0600 for a new file: Claude's config and our store describe the user's
tools), renames it over the target in one step and fsyncs the folder so the rename itself survives a power cut.
A reader, or a process killed at any instant, sees the old bytes or the new bytes, never a mix or an empty file.

Callers pass the real path of the file (`Connectors` resolves symbolic links first), so a config that is a link
into a dotfiles repository stays a link and its target gets the new content.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

NEW_FILE_MODE = 0o600


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data`. An existing file keeps its permission bits unless `mode` is given."""
    folder = path.parent
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = NEW_FILE_MODE
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".plugboard-tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    # The new content is in place now; a folder that cannot be fsynced (some FUSE and network mounts answer
    # EINVAL) only weakens durability across a power cut, so it must not turn a done write into a failure.
    with contextlib.suppress(OSError):
        fsync_dir(folder)


def remove_stale_temps(path: Path) -> int:
    """Delete temporary files a killed writer of `path` left behind. Call it only while holding the edit lock."""
    removed = 0
    for stale in path.parent.glob(f".{path.name}.*.plugboard-tmp"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            removed += 1
    return removed


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable. Windows cannot open folders for fsync; NTFS journals renames itself."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
