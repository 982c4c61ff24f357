"""An incremental Server-Sent Events parser that survives whatever a remote server sends.

Owns the byte-level SSE grammar (WHATWG HTML "Parsing an event stream") for the proxy: bytes arrive in arbitrary
chunks from a socket; `SSEParser.feed` returns the complete events they finish and keeps the rest. Lines end in
CRLF, LF or CR (a CR at the very end of a chunk may be the first half of a CRLF, so it is held back one byte).

Malformed input never raises: a line without a colon is a field with an empty value, unknown fields are ignored,
invalid UTF-8 is replaced, a `retry:` that is not all digits is ignored, an `id:` containing NUL is ignored (as the
spec says). An event whose data grows past `MAX_EVENT_BYTES` is dropped whole and counted in `dropped`, so a broken
or hostile server cannot make the proxy buffer without bound; the stream goes on with the next event.

Events with no data, or only empty `data:` lines, are not dispatched (the spec would dispatch the second kind with
empty data; nothing in MCP is an empty message), but their `id:` still updates `last_event_id`: that is exactly the
"priming event" of Streamable HTTP (FACTS.md §B.9), which gives a resumption point and nothing to relay.
"""

from __future__ import annotations

from dataclasses import dataclass

# The biggest single MCP message we expect is a tool result with an embedded file; 64 MiB is far beyond any
# real one and still bounded.
MAX_EVENT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class SSEEvent:
    event: str  # "message" when the server sent no `event:` line
    data: str
    id: str | None  # the stream's last event id when this event was dispatched
    retry_ms: int | None  # the latest `retry:` value seen on the stream


class SSEParser:
    """Feed bytes, get events. One parser per HTTP response."""

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self.last_event_id: str | None = None
        self.retry_ms: int | None = None
        self.dropped = 0
        self._buffer = b""
        self._event = ""
        self._data: list[str] = []
        self._data_bytes = 0
        self._oversized = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        data = self._buffer + chunk
        events: list[SSEEvent] = []
        start = 0
        length = len(data)
        while start < length:
            lf = data.find(b"\n", start)
            cr = data.find(b"\r", start, lf if lf >= 0 else length)
            if cr >= 0:
                if cr == length - 1:
                    break  # maybe half of a CRLF; wait for the next byte
                end, nxt = cr, (cr + 2 if data[cr + 1 : cr + 2] == b"\n" else cr + 1)
            elif lf >= 0:
                end, nxt = lf, lf + 1
            else:
                break
            event = self._line(data[start:end])
            if event is not None:
                events.append(event)
            start = nxt
        self._buffer = data[start:]
        if len(self._buffer) > self.max_event_bytes:
            # One line longer than any event may be: drop it and everything up to the next line end.
            self._buffer = b""
            self._oversized = True
        return events

    def finish(self) -> list[SSEEvent]:
        """End of stream: an event not terminated by a blank line is discarded (spec), a partial line too."""
        self._buffer = b""
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
        if raw[:1] == b":":
            return None  # comment (keep-alive)
        line = raw.decode("utf-8", "replace")
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data_bytes += len(raw)
            if self._data_bytes > self.max_event_bytes:
                self._oversized = True
                self._data = []
            elif not self._oversized:
                self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
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
        event = SSEEvent(self._event or "message", "\n".join(self._data), self.last_event_id, self.retry_ms)
        self._reset_event()
        return event
