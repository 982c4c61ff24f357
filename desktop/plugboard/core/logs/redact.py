"""Masking secret values in text that leaves the launcher (stderr, logs, status records).

`Redactor` replaces every occurrence of every secret value with `MASK`. Values are matched exactly, longest
first, so a secret that contains another secret is masked whole. Every non-empty value is masked, however
short: a log with too many masks is a nuisance, a log with a token in it is a leak.

`StreamRedactor` does the same over a byte stream that arrives in arbitrary chunks (a child's stderr pipe). A
secret can be split across two reads, so the tail of a chunk that could be the start of a secret is held back
until the next chunk (or `flush()` at end of stream). A chunk that ends with a newline is released whole when
no secret contains a newline, so line-oriented stderr is passed on without delay.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator

MASK = "********"
MASK_BYTES = MASK.encode()


def _pattern(values: Iterable[bytes]) -> re.Pattern[bytes] | None:
    unique = sorted({v for v in values if v}, key=len, reverse=True)
    if not unique:
        return None
    return re.compile(b"|".join(re.escape(v) for v in unique))


class Redactor:
    """Masks a fixed set of secret values in text or bytes."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._values = [s.encode("utf-8") for s in secrets if s]
        self._pattern = _pattern(self._values)
        self.longest = max((len(v) for v in self._values), default=0)
        self.newline_in_secret = any(b"\n" in v for v in self._values)

    def redact_bytes(self, data: bytes) -> bytes:
        if self._pattern is None:
            return data
        return self._pattern.sub(MASK_BYTES, data)

    def redact(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self.redact_bytes(text.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")

    def stream(self) -> StreamRedactor:
        return StreamRedactor(self)


class StreamRedactor:
    """Chunk-by-chunk redaction that never lets a secret through when it straddles two chunks."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """Return the redacted bytes that are safe to emit now; keep back a possible secret prefix."""
        r = self._redactor
        data = self._pending + chunk
        if r._pattern is None:
            self._pending = b""
            return data
        # Any partial occurrence of a secret at the end is shorter than the longest secret; after a newline there
        # is none, unless a secret spans lines.
        line_done = data.endswith(b"\n") and not r.newline_in_secret
        cut = len(data) if line_done else max(0, len(data) - (r.longest - 1))
        out = bytearray()
        pos = 0
        for match in r._pattern.finditer(data):
            if match.start() >= cut:
                break
            out += data[pos : match.start()] + MASK_BYTES
            pos = match.end()
        # A match that started before `cut` may end after it: it is complete, so it was emitted whole above.
        cut = max(cut, pos)
        out += data[pos:cut]
        self._pending = data[cut:]
        return bytes(out)

    def flush(self) -> bytes:
        """End of stream: whatever is held back cannot become a secret any more."""
        rest, self._pending = self._pending, b""
        return self._redactor.redact_bytes(rest)


# One read from a child's stderr pipe: the pipe buffer's size on Linux, so one read usually empties it.
PIPE_READ_CHUNK = 64 * 1024


def read_redacted(fd: int, redactor: Redactor) -> Iterator[bytes]:
    """Everything readable from pipe `fd` until EOF, masked, in order (shared by the launcher and the supervisor).

    A read error counts as EOF: the child is gone. Empty pieces are not yielded; the held-back tail comes last.
    """
    stream = redactor.stream()
    while True:
        try:
            chunk = os.read(fd, PIPE_READ_CHUNK)
        except OSError:
            chunk = b""
        if not chunk:
            rest = stream.flush()
            if rest:
                yield rest
            return
        out = stream.feed(chunk)
        if out:
            yield out
