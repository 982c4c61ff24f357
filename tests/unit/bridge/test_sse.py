"""The SSE parser: the grammar, chunk boundaries anywhere, and malformed input that must not break the stream."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from plugboard.core.bridge.sse import SSEParser

STREAM = (
    b": keep-alive\r\n"
    b"id: 7\r\nretry: 1500\r\ndata:\r\n\r\n"  # a priming event: id, empty data -> not dispatched
    b'event: message\ndata: {"a":1}\n\n'
    b"data: line one\rdata: line two\r\r"
    b"id: 9\nevent: endpoint\ndata: /messages?x=1\n\n"
)


def _all(parser: SSEParser, chunks: list[bytes]) -> list[tuple[str, str, str | None]]:
    out = []
    for chunk in chunks:
        out += [(e.event, e.data, e.id) for e in parser.feed(chunk)]
    return out


EXPECTED = [("message", '{"a":1}', "7"), ("message", "line one\nline two", "7"), ("endpoint", "/messages?x=1", "9")]


def test_events_ids_retry_and_priming_events_are_parsed_from_one_chunk() -> None:
    parser = SSEParser()
    assert _all(parser, [STREAM]) == EXPECTED
    assert parser.retry_ms == 1500
    assert parser.last_event_id == "9"


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_the_same_events_come_out_wherever_the_chunks_are_cut(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert _all(SSEParser(), chunks) == EXPECTED


def test_malformed_lines_are_ignored_and_the_stream_goes_on() -> None:
    parser = SSEParser()
    garbage = b"no colon here\nretry: soon\nid: a\x00b\n\xff\xfe: bad utf8\nunknown: field\ndata: ok\n\n"
    events = parser.feed(garbage)
    assert [(e.event, e.data) for e in events] == [("message", "ok")]
    assert parser.retry_ms is None
    assert parser.last_event_id is None


def test_an_oversized_event_is_dropped_whole_and_the_next_one_still_arrives() -> None:
    parser = SSEParser(max_event_bytes=100)
    events = parser.feed(b"data: " + b"x" * 200 + b"\n\ndata: small\n\n")
    assert [e.data for e in events] == ["small"]
    assert parser.dropped == 1


def test_an_endless_line_does_not_grow_the_buffer_without_bound() -> None:
    parser = SSEParser(max_event_bytes=100)
    for _ in range(10):
        assert parser.feed(b"y" * 60) == []
    assert parser.buffered <= 100
    assert [e.data for e in parser.feed(b"\n\ndata: after\n\n")] == ["after"]


def test_an_event_cut_off_by_the_end_of_the_stream_is_not_dispatched() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: half") == []
    assert parser.finish() == []


def test_an_event_cut_at_any_point_by_the_end_of_the_stream_is_never_dispatched() -> None:
    answer = b'data: {"jsonrpc":"2.0","id":7,"result":{"ok":true}}\n\n'
    for cut in range(len(answer) - 1):  # everything short of the blank line that ends the event
        parser = SSEParser()
        assert parser.feed(answer[:cut]) == []
        assert parser.finish() == []


def _parse_seconds(body: bytes, chunk: int) -> float:
    best = float("inf")
    for _ in range(2):
        parser = SSEParser()
        started = time.perf_counter()
        got = [e for i in range(0, len(body), chunk) for e in parser.feed(body[i : i + chunk])]
        best = min(best, time.perf_counter() - started)
        assert len(got) == 1 and len(got[0].payload) == len(body) - 8
    return best


def test_parsing_is_linear_in_the_size_of_an_event_whatever_the_chunk_size() -> None:
    # 16 MB of data in one line, as a socket delivers it (16 KiB reads) and in one piece. Appending each chunk to
    # the buffered line and searching it again (the old parser) made the chunked case ~50x slower here; a linear
    # parser keeps the two within a small factor.
    body = b"data: " + b"x" * 16_000_000 + b"\n\n"
    chunked, whole = _parse_seconds(body, 16384), _parse_seconds(body, len(body))
    assert chunked <= 5 * whole + 0.05, (chunked, whole)
