"""Secret masking in whole texts and in streams cut at arbitrary points."""

from __future__ import annotations

import pytest
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


# -- issue 16 item 13: the forms a program prints a secret in ------------------------------------------------------

BEARER = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
PASSWORD = "s3cr3t/pa ss+wörd&"


def _forms_of(secret: str) -> dict[str, str]:
    import base64
    import json
    from urllib.parse import quote, quote_plus

    raw = secret.encode()
    return {
        "upper-case": secret.upper(),
        "mixed case": secret.swapcase(),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "url-encoded": quote(secret, safe=""),
        "url-encoded, lower-case escapes": quote(secret, safe="").lower(),
        "url-encoded form": quote_plus(secret),
        "json-escaped": json.dumps(secret)[1:-1],
        "json-escaped ascii": json.dumps(secret, ensure_ascii=True)[1:-1].replace("/", "\\/"),
        "base64": base64.b64encode(raw).decode(),
        "url-safe base64": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        **{
            f"base64 after {n} other bytes": base64.b64encode(b"Bearer "[:n] + raw + b"!").decode() for n in range(1, 4)
        },
    }


@pytest.mark.parametrize("secret", [BEARER, PASSWORD])
@pytest.mark.parametrize("form", sorted(_forms_of(BEARER)))
def test_every_common_form_of_a_secret_is_masked(secret: str, form: str) -> None:
    spelled = _forms_of(secret)[form]
    masked = Redactor([secret]).redact(f"log: [{spelled}] end")

    assert MASK in masked
    assert masked.startswith("log: [") and masked.endswith("] end")
    # What is left: the letters that also carry a neighbouring byte's bits, and the neighbours' own letters.
    assert len(masked) - len("log: [] end") - len(MASK) <= 9


def test_the_base64_of_a_bearer_token_inside_a_500_page_never_passes_a_stream() -> None:
    import base64

    echoed = base64.b64encode(f"Authorization: Bearer {BEARER}".encode()).decode()
    page = (
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\n\r\n<html><body><h1>500</h1>"
        f"<pre>request headers (debug): {echoed}</pre></body></html>\n"
    ).encode()
    redactor = Redactor([BEARER])
    for cut in range(1, len(page), 7):
        stream = redactor.stream()
        out = stream.feed(page[:cut]) + stream.feed(page[cut:]) + stream.flush()
        assert base64.b64decode(echoed).decode().endswith(BEARER)
        assert echoed not in out.decode()
        assert MASK_BYTES in out
        core = echoed[len("Authorization: Bearer ") * 4 // 3 + 2 : -4]
        assert core.encode() not in out


def test_short_values_are_masked_as_themselves_only() -> None:
    # A 3-byte value's base64 or hex would be a few letters that ordinary words contain.
    redactor = Redactor(["abc"])
    assert redactor.redact("ABC abc YWJj 616263") == f"{MASK} {MASK} YWJj 616263"


def test_a_secret_with_a_lone_surrogate_or_raw_bytes_never_raises() -> None:
    redactor = Redactor(["\ud800abcdefgh", "x\udcffyyyyyyy"])
    assert redactor.redact("a \ud800abcdefgh b") == f"a {MASK} b"
    assert redactor.redact_bytes(b"x\xffyyyyyyy") == MASK_BYTES


def test_the_launcher_pipe_reader_masks_the_forms_too() -> None:
    import base64
    import os

    from plugboard.core.logs.redact import read_redacted

    read_end, write_end = os.pipe()
    try:
        os.write(write_end, f"token {base64.b64encode(BEARER.encode()).decode()} {BEARER.upper()}\n".encode())
        os.close(write_end)
        write_end = -1
        out = b"".join(read_redacted(read_end, Redactor([BEARER])))
    finally:
        os.close(read_end)
        if write_end != -1:
            os.close(write_end)
    # The base64 form keeps its last letters, which also hold the padding's bits ("Q==").
    assert out == b"token " + MASK_BYTES + b"Q== " + MASK_BYTES + b"\n"
