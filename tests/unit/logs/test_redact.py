"""Secret masking in whole texts and in streams cut at arbitrary points."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plugboard.core.logs.redact import MASK, MASK_BYTES, Redactor

TOKEN = "ghp_abc123SECRETvalue"


def test_every_occurrence_of_a_secret_is_masked() -> None:
    text = f"token={TOKEN} again {TOKEN}"

    assert Redactor([TOKEN]).redact(text) == f"token={MASK} again {MASK}"


def test_a_secret_containing_another_is_masked_whole() -> None:
    assert Redactor(["abc", "xxabcxx"]).redact("<xxabcxx>") == f"<{MASK}>"


def test_empty_values_mask_nothing() -> None:
    assert Redactor(["", ""]).redact("plain text") == "plain text"


def test_regex_characters_in_a_secret_are_taken_literally() -> None:
    assert Redactor(["a.b*c"]).redact("a.b*c aXbbc") == f"{MASK} aXbbc"


def test_a_secret_split_across_two_chunks_never_passes_through() -> None:
    stream = Redactor([TOKEN]).stream()
    first = stream.feed(b"log: " + TOKEN[:7].encode())
    second = stream.feed(TOKEN[7:].encode() + b" end\n")

    assert TOKEN[:7].encode() not in first
    assert first + second == b"log: " + MASK_BYTES + b" end\n"


def test_a_finished_line_is_released_at_once() -> None:
    stream = Redactor([TOKEN]).stream()

    assert stream.feed(b"server ready\n") == b"server ready\n"


def test_the_held_back_tail_comes_out_at_end_of_stream() -> None:
    stream = Redactor([TOKEN]).stream()
    out = stream.feed(b"no newline at the end")

    assert out + stream.flush() == b"no newline at the end"


@given(
    before=st.binary(max_size=40),
    after=st.binary(max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=6),
)
def test_streamed_output_equals_whole_text_redaction_wherever_the_stream_is_cut(
    before: bytes, after: bytes, cuts: list[int]
) -> None:
    redactor = Redactor([TOKEN, "s3cr3t"])
    data = before + TOKEN.encode() + b"\n" + after + b"s3cr3t" + after
    stream = redactor.stream()
    out = b""
    start = 0
    for cut in sorted(c for c in cuts if c < len(data)):
        out += stream.feed(data[start:cut])
        start = cut
    out += stream.feed(data[start:]) + stream.flush()

    assert out == redactor.redact_bytes(data)
    assert TOKEN.encode() not in out and b"s3cr3t" not in out
