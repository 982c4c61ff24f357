"""Server-Sent Events for the bridge: an incremental parser that survives whatever a remote server sends, and the one
iterator every reader of an event stream uses (`events`).

Owns the byte-level SSE grammar (WHATWG HTML "Parsing an event stream"): bytes arrive in arbitrary chunks from a
socket; `SSEParser.feed` returns the complete events they finish and keeps the rest. Lines end in CRLF, LF or CR; a CR
that ends a chunk ends its line at once, and an LF that starts the next chunk is then the second half of that CRLF.

Linear in the size of an event (issue 16: a 50 MB answer took 27 s when every chunk was appended to the whole
buffered line and searched again): an unfinished line is kept as a list of chunks, each chunk is searched once, and
the pieces are joined once when the line ends. Field values stay bytes until an event is dispatched, so a large
`data:` line is copied a bounded number of times; `SSEEvent.payload` is the event's data as bytes (what the relay
writes), `SSEEvent.data` the same decoded.

Malformed input never raises: a line without a colon is a field with an empty value, unknown fields are ignored,
invalid UTF-8 in `event:`/`id:` is replaced, a `retry:` that is not all digits is ignored, an `id:` containing NUL is
ignored (as the spec says). An event whose data grows past `MAX_EVENT_BYTES` is dropped whole and counted in
`dropped`, so a broken or hostile server cannot make the proxy buffer without bound; the stream goes on with the next
event. An event the stream ends in the middle of (no blank line after it) is never dispatched: a truncated answer is
not an answer.

Events with no data, or only empty `data:` lines, are not dispatched (the spec would dispatch the second kind with
empty data; nothing in MCP is an empty message), but their `id:` still updates `last_event_id`: that is exactly the
"priming event" of Streamable HTTP (FACTS.md §B.9), which gives a resumption point and nothing to relay.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# The biggest single MCP message we expect is a tool result with an embedded file; 64 MiB is far beyond any
# real one and still bounded.
MAX_EVENT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class SSEEvent:
    event: str  # "message" when the server sent no `event:` line
    payload: bytes  # the data lines joined by "\n", as the server sent them
    id: str | None  # the stream's last event id when this event was dispatched
    retry_ms: int | None  # the latest `retry:` value seen on the stream

    @property
    def data(self) -> str:
        return self.payload.decode("utf-8", "replace")


class SSEParser:
    """Feed bytes, get events. One parser per HTTP response (a resumed stream may carry on with the same one)."""

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self.last_event_id: str | None = None
        self.retry_ms: int | None = None
        self.dropped = 0
        self._pending: list[bytes] = []  # the unfinished line, in the chunks it arrived in
        self._pending_bytes = 0
        self._skip_lf = False  # the last chunk ended in CR: an LF first in the next one belongs to it
        self._skip_line = False  # the rest of an oversized line is being thrown away
        self._event = ""
        self._data: list[bytes] = []
        self._data_bytes = 0
        self._oversized = False

    @property
    def buffered(self) -> int:
        """Bytes held for the unfinished line and event (bounded by about twice `max_event_bytes`)."""
        return self._pending_bytes + self._data_bytes

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        start, length = 0, len(chunk)
        if self._skip_lf and length:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                start = 1
        while start < length:
            lf = chunk.find(b"\n", start)
            cr = chunk.find(b"\r", start, lf if lf >= 0 else length)
            if cr >= 0:
                end = cr
                if cr + 1 < length:
                    after = cr + 2 if chunk[cr + 1] == 0x0A else cr + 1
                else:
                    after, self._skip_lf = length, True
            elif lf >= 0:
                end, after = lf, lf + 1
            else:
                break
            piece = chunk[start:end]
            if self._pending:
                self._pending.append(piece)
                piece = b"".join(self._pending)
                self._pending, self._pending_bytes = [], 0
            if self._skip_line:
                self._skip_line = False  # the end of a line already dropped as too long
            else:
                event = self._line(piece)
                if event is not None:
                    events.append(event)
            start = after
        if start < length and not self._skip_line:
            self._pending.append(chunk[start:] if start else chunk)
            self._pending_bytes += length - start
            if self._pending_bytes > self.max_event_bytes:
                # One line longer than any event may be: drop it and everything up to the next line end.
                self._pending, self._pending_bytes = [], 0
                self._skip_line = True
                self._oversized = True
        return events

    def finish(self) -> list[SSEEvent]:
        """End of stream: an event not terminated by a blank line is discarded (spec), a partial line too."""
        self._pending, self._pending_bytes = [], 0
        self._skip_lf = self._skip_line = False
        self._reset_event()
        return []

    def _reset_event(self) -> None:
        self._event = ""
        self._data = []
        self._data_bytes = 0
        self._oversized = False

    def _line(self, raw: bytes) -> SSEEvent | None:
        if not raw:
            return self._dispatch()
        colon = raw.find(b":")
        if colon == 0:
            return None  # comment (keep-alive)
        if colon < 0:
            name, value = raw, b""
        else:
            name = raw[:colon]
            skip = colon + 2 if raw[colon + 1 : colon + 2] == b" " else colon + 1
            value = raw[skip:]
        if name == b"data":
            self._data_bytes += len(value) + 1
            if self._data_bytes > self.max_event_bytes:
                self._oversized = True
                self._data = []
            elif not self._oversized:
                self._data.append(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\0" not in value:
                self.last_event_id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        if self._oversized:
            self.dropped += 1
            self._reset_event()
            return None
        if not any(self._data):
            self._reset_event()  # no data, or only empty `data:` lines: a priming event, nothing to relay
            return None
        payload = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        event = SSEEvent(self._event or "message", payload, self.last_event_id, self.retry_ms)
        self._reset_event()
        return event


def events(chunks: Iterable[bytes], parser: SSEParser | None = None) -> Iterator[SSEEvent]:
    """The events of a stream, as they complete: `events(response.iter_bytes(), parser)`. Pass a parser to read
    `last_event_id` / `retry_ms` afterwards or to carry on after a resumed stream; errors of the stream propagate."""
    parser = parser or SSEParser()
    for chunk in chunks:
        yield from parser.feed(chunk)
