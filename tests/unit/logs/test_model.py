"""The merged log model: parsing, the bounded ring buffer, subscribers, tailing across rotation and truncation."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from plugboard.core.logs import model as lm
from plugboard.core.logs.connector_log import ConnectorLog, rotated_paths
from plugboard.core.logs.redact import MASK, Redactor
from plugboard.core.paths import plugboard_dirs


@pytest.mark.parametrize(
    ("line", "level"),
    [
        (b"[error] spawn npx ENOENT", lm.ERROR),
        (b"2025-06-03 12:00:01 WARN disk almost full", lm.WARNING),
        (b"ERROR:root:boom", lm.ERROR),
        (b"warning: deprecated option", lm.WARNING),
        (b"Traceback (most recent call last):", lm.ERROR),
        (b"ValueError: bad value", lm.ERROR),
        (b"(debug) cache hit", lm.DEBUG),
        (b"INFO server listening", lm.INFO),
        (b"Loading error handlers", lm.INFO),  # a level word in prose is not a level
        (b"plain text", lm.INFO),
    ],
)
def test_levels_are_parsed_loosely_from_the_shapes_servers_use(line: bytes, level: str) -> None:
    assert lm.parse_level(line) == level


def test_a_connector_log_line_gives_its_stamp_and_marks_plugboard_notes() -> None:
    lines = lm.stamped_lines(
        [
            b"2025-06-03T07:23:52.664Z [plugboard] started pid 42: npx -y server",
            b"2025-06-03T07:23:53.000Z ERROR: token rejected",
            b"  continuation without a stamp",
        ],
        lm.LAUNCHER,
    )
    assert [(ln.stream, ln.level, ln.text) for ln in lines] == [
        ("plugboard", lm.INFO, "started pid 42: npx -y server"),
        ("stderr", lm.ERROR, "ERROR: token rejected"),
        ("stderr", lm.INFO, "  continuation without a stamp"),
    ]
    assert lines[0].time == pytest.approx(1748935432.664)
    assert lines[2].time == lines[1].time


def test_the_splitter_holds_a_partial_line_until_its_newline_arrives() -> None:
    splitter = lm.LineSplitter()
    assert splitter.feed(b"one\ntw") == [b"one"]
    assert splitter.feed(b"o\nthree") == [b"two"]
    assert splitter.flush() == [b"three"]
    assert splitter.flush() == []


def test_the_ring_buffer_keeps_only_the_newest_lines_but_counts_all() -> None:
    model = lm.LogModel("x", capacity=3)
    splitter = lm.LineSplitter()
    model.feed_stream(splitter, b"".join(b"line %d\n" % i for i in range(10)), lm.SUPERVISOR, "stderr")
    assert [ln.text for ln in model.lines()] == ["line 7", "line 8", "line 9"]
    assert model.total == 10
    assert len(model) == 3


def test_subscribers_get_batches_until_they_unsubscribe() -> None:
    model = lm.LogModel("x")
    batches: list[list[str]] = []

    def on_batch(batch: list[lm.LogLine]) -> None:
        batches.append([ln.text for ln in batch])

    model.subscribe(on_batch)
    splitter = lm.LineSplitter()
    model.feed_stream(splitter, b"a\nb\n", lm.SUPERVISOR, "stderr")
    model.unsubscribe(on_batch)
    model.feed_stream(splitter, b"c\n", lm.SUPERVISOR, "stderr")
    assert batches == [["a", "b"]]


def test_secrets_are_masked_even_when_split_across_lines_of_history() -> None:
    secret = "ghp_logModelSecret_123"
    model = lm.LogModel("x", redactor=Redactor([secret]))
    model.feed_stream(lm.LineSplitter(), f"token={secret}\n".encode(), lm.SUPERVISOR, "stderr")
    model.load_history([[lm.LogLine(1.0, lm.CLAUDE, "claude", lm.INFO, f"env {secret}")]])
    texts = [ln.text for ln in model.lines()]
    assert texts == [f"token={MASK}", f"env {MASK}"]
    assert not any(secret in t for t in texts)


def test_history_from_several_sources_is_merged_by_time_and_filtered_by_since() -> None:
    a = [lm.LogLine(t, lm.LAUNCHER, "stderr", lm.INFO, f"launcher {t}") for t in (1.0, 3.0, 5.0)]
    b = [lm.LogLine(t, lm.CLAUDE, "claude", lm.INFO, f"claude {t}") for t in (2.0, 4.0)]
    model = lm.LogModel("x")
    model.load_history([a, b], since=2.0)
    assert [ln.text for ln in model.lines()] == ["claude 2.0", "launcher 3.0", "claude 4.0", "launcher 5.0"]
    assert [ln.text for ln in model.lines(since=4.5)] == ["launcher 5.0"]


def test_a_tail_reads_appends_then_follows_a_truncation_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_bytes(b"old\n")
    with lm.FileTail(path) as tail:
        assert tail.read() == b"old\n"
        with path.open("ab") as f:
            f.write(b"new\n")
        assert tail.read() == b"new\n"
        path.write_bytes(b"")  # truncated in place
        assert tail.read() == b""
        path.write_bytes(b"after\n")
        assert tail.read() == b"after\n"
        assert tail.truncations == 1


def test_a_tail_started_at_the_end_skips_what_was_there() -> None:
    dirs = plugboard_dirs()
    with ConnectorLog("quiet", dirs) as log:
        log.write(b"before\n")
        with lm.FileTail(log.path, from_start=False) as tail:
            assert tail.read() == b""
            log.write(b"after\n")
            assert tail.read().endswith(b"after\n")


def test_a_tail_survives_the_connector_logs_own_rotation_without_losing_a_line() -> None:
    dirs = plugboard_dirs()
    log = ConnectorLog("chatty", dirs, max_bytes=200, keep=2)
    received = bytearray()
    with lm.FileTail(log.path, rotated=rotated_paths(log.path, 2)) as tail:
        for i in range(40):
            log.write(b"line %03d\n" % i)
            if i % 7 == 0:
                received += tail.read()
        received += tail.read()
        assert tail.rotations >= 5  # some reads came after two rotations: the file between was read whole
    log.close()
    lines = lm.stamped_lines(bytes(received).splitlines(), lm.LAUNCHER)
    assert [ln.text for ln in lines] == [f"line {i:03d}" for i in range(40)]


def test_a_file_that_appears_later_is_read_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    with lm.FileTail(path, from_start=False) as tail:
        assert tail.read() == b""
        path.write_bytes(b"first\n")
        assert tail.read() == b"first\n"


def test_follow_delivers_new_bytes_until_stopped(tmp_path: Path) -> None:
    path = tmp_path / "f.log"
    path.write_bytes(b"")
    got = threading.Event()
    seen: list[bytes] = []

    def handle(data: bytes) -> None:
        seen.append(data)
        got.set()

    stop = threading.Event()
    tail = lm.FileTail(path)
    thread = threading.Thread(target=lm.follow, args=([(tail, handle)], stop, 0.01))
    thread.start()
    try:
        with path.open("ab") as f:
            f.write(b"live\n")
            f.flush()
            os.fsync(f.fileno())
        assert got.wait(5.0)
    finally:
        stop.set()
        thread.join(5.0)
    assert b"".join(seen) == b"live\n"
    assert not thread.is_alive()
