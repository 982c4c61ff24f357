"""Masking secret values in text that leaves the launcher (stderr, logs, status records).

`Redactor` replaces every occurrence of every secret value with `MASK`, and of every form in which a program is
likely to print it (`forms`): upper- or lower-case, base64 (standard and URL-safe, at each of the three byte
alignments, so the token inside `base64("Authorization: Bearer <token>")` that a server echoes in a 500 page is
caught too), hex, URL-encoded, JSON-escaped. Every non-empty value is masked, however short: a log with too many
masks is a nuisance, a log with a token in it is a leak. The encoded forms are only looked for when the value has
at least `MIN_FORMS_LEN` bytes: the base64 of a 3-byte value is 2-4 letters, which would mask random words.

Matching runs over the lower-cased bytes (`bytes.lower` changes ASCII letters only, so offsets map back one to
one), which makes it case-insensitive for free: a line goes through one compiled pattern of every form, a pipe
chunk through one `bytes.find` scan per form (faster on long inputs, see `_FIND_FROM`); both find the same union of
occurrences. Overlapping occurrences (a secret containing another, two secrets sharing a stretch) are masked as one
region.

A base64 form is the run of letters that depend on the value's bytes alone; the one or two letters at each end
also carry bits of the neighbouring bytes and stay visible (at most 10 bits of the value's first and last byte).

`StreamRedactor` does the same over a byte stream that arrives in arbitrary chunks (a child's stderr pipe). A
secret can be split across two reads, so the tail of a chunk that could be the start of a form is held back
until the next chunk (or `flush()` at end of stream). A chunk that ends with a newline is released whole when
no form contains a newline, so line-oriented stderr is passed on without delay.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterable, Iterator
from urllib.parse import quote, quote_plus

MASK = "********"
MASK_BYTES = MASK.encode()
# Below this many bytes a value is masked as itself (any case) only: its encoded forms would be a few letters long
# and match ordinary words. Tokens, keys and passwords are longer.
MIN_FORMS_LEN = 6

_URLSAFE = bytes.maketrans(b"+/", b"-_")
# From this many bytes on, one `bytes.find` scan per form (a vectorised search, ~10 GB/s each here) beats one pass
# of the combined pattern, which tries every form at each byte that starts one (~50-100 MB/s for 5 secrets); below
# it the pattern's single call wins (a log line). Measured by tests/benchmarks/bench_redact.py.
_FIND_FROM = 256


def _encode(text: str) -> bytes:
    """UTF-8, with bytes that came in undecodable (surrogateescape) given back as they were; never raises."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is not an escaped byte
        return text.encode("utf-8", "surrogatepass")


def forms(secret: str) -> set[bytes]:
    """Every spelling of `secret` that is masked, lower-cased (see the module docstring)."""
    raw = _encode(secret)
    found = {raw}
    if len(raw) >= MIN_FORMS_LEN:
        # Lower-casing the bytes folds ASCII letters only: spell out the other letters' cases too.
        found.update((_encode(secret.upper()), _encode(secret.lower())))
        found.add(raw.hex().encode())
        for shift in range(3):
            # Encoded after `shift` other bytes, the value's letters start at letter ceil(8*shift/6) and the last
            # letter that holds its bits alone is letter floor(8*(shift+len)/6) - 1.
            encoded = base64.b64encode(bytes(shift) + raw)
            core = encoded[-(-8 * shift // 6) : 8 * (shift + len(raw)) // 6]
            found.update((core, core.translate(_URLSAFE)))
        for spelled in (quote(raw, safe=""), quote(raw), quote_plus(raw)):
            found.add(spelled.encode())
        for escaped in (json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]):
            found.add(_encode(escaped))
            found.add(_encode(escaped.replace("/", "\\/")))  # JSON's optional `\/`
    return {f.lower() for f in found if f}


def _pattern(values: Iterable[bytes]) -> re.Pattern[bytes] | None:
    unique = sorted(set(values), key=len, reverse=True)
    if not unique:
        return None
    return re.compile(b"|".join(re.escape(v) for v in unique))


class Redactor:
    """Masks a fixed set of secret values, in every form `forms` lists, in text or bytes."""

    def __init__(self, secrets: Iterable[str]) -> None:
        needles: set[bytes] = set()
        for secret in secrets:
            if secret:
                needles |= forms(secret)
        self._pattern = _pattern(needles)
        self._needles = tuple(sorted(needles))
        # The same forms as text, for the common case of an ASCII line holding none: no encode, no decode.
        ascii_forms = [n.decode("ascii") for n in needles if n.isascii()]
        self._ascii_text = re.compile("|".join(map(re.escape, ascii_forms))) if ascii_forms else None
        self.longest = max((len(v) for v in needles), default=0)
        self.newline_in_secret = any(b"\n" in v for v in needles)

    def spans(self, data: bytes) -> list[tuple[int, int]]:
        """Where forms occur in `data`, overlapping occurrences merged, in order."""
        pattern = self._pattern
        if pattern is None:
            return []
        lowered = data.lower()
        if len(lowered) >= _FIND_FROM:
            return self._spans_by_find(lowered)
        found: list[tuple[int, int]] = []
        match = pattern.search(lowered)
        while match is not None:
            start, end = match.span()
            if found and start < found[-1][1]:
                if end > found[-1][1]:
                    found[-1] = (found[-1][0], end)
            else:
                found.append((start, end))
            # From the next byte, not the match's end: another form may start inside this one and reach past it.
            match = pattern.search(lowered, start + 1)
        return found

    def _spans_by_find(self, lowered: bytes) -> list[tuple[int, int]]:
        """The same union of occurrences as the pattern's, one `bytes.find` scan per form (see `_FIND_FROM`)."""
        hits: list[tuple[int, int]] = []
        for needle in self._needles:
            at = lowered.find(needle)
            while at != -1:
                hits.append((at, at + len(needle)))
                at = lowered.find(needle, at + 1)
        if not hits:
            return []
        hits.sort()
        found = [hits[0]]
        for start, end in hits[1:]:
            if start < found[-1][1]:
                if end > found[-1][1]:
                    found[-1] = (found[-1][0], end)
            else:
                found.append((start, end))
        return found

    def redact_bytes(self, data: bytes) -> bytes:
        if self._pattern is None:
            return data
        return _masked(data, self.spans(data), len(data))

    def redact(self, text: str) -> str:
        if self._pattern is None:
            return text
        if text.isascii() and (self._ascii_text is None or self._ascii_text.search(text.lower()) is None):
            return text  # a non-ASCII form cannot occur in ASCII text, and no ASCII one does
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a lone surrogate that is not an escaped byte: keep it as it was
            return self.redact_bytes(text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")
        return self.redact_bytes(data).decode("utf-8", "surrogateescape")

    def stream(self) -> StreamRedactor:
        return StreamRedactor(self)


def _masked(data: bytes, spans: list[tuple[int, int]], upto: int) -> bytes:
    """`data[:upto]` with every span masked (spans end at or before `upto`)."""
    if not spans:
        return data[:upto] if upto < len(data) else data
    out = bytearray()
    pos = 0
    for start, end in spans:
        out += data[pos:start]
        out += MASK_BYTES
        pos = end
    out += data[pos:upto]
    return bytes(out)


class StreamRedactor:
    """Chunk-by-chunk redaction that never lets a secret through when it straddles two chunks."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """Return the redacted bytes that are safe to emit now; keep back a possible secret prefix."""
        r = self._redactor
        data = self._pending + chunk if self._pending else chunk
        if r._pattern is None:
            self._pending = b""
            return data
        # Any partial occurrence of a form at the end is shorter than the longest form; after a newline there
        # is none, unless a form spans lines.
        line_done = data.endswith(b"\n") and not r.newline_in_secret
        cut = len(data) if line_done else max(0, len(data) - (r.longest - 1))
        # Every form starting before `cut` is complete in `data`; one that reaches past `cut` is emitted whole.
        spans = [span for span in r.spans(data) if span[0] < cut]
        if spans:
            cut = max(cut, spans[-1][1])
        self._pending = data[cut:]
        return _masked(data, spans, cut)

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
