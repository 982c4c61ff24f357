"""What the client reads when the remote server cannot answer: one sentence saying what failed and what to do.

`Unanswered` carries that sentence through the relay's layers to the one place that writes the JSON-RPC error.
`Explainer` words it for one connector (its name, its address as `url.display_url` shows it, whether credentials were
configured, the tunnel's state when there is one). An HTTP error's body is explained, not passed on: a JSON-RPC
error's message, or (an nginx 502 page, a login form) the HTML page's <title> or its tag-stripped text, on one line,
at most `ERROR_DETAIL_CHARS` characters (`error_detail`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

from plugboard.core.bridge.url import display_url

# How much of an error body we read to explain a failure: a JSON-RPC error or a short HTML page, never a dump.
ERROR_BODY_BYTES = 4096
# How much of an error body's text reaches Claude and the log: one readable sentence ("502 Bad Gateway", "upstream
# timed out"), short enough for Claude's error banner; the rest is page furniture.
ERROR_DETAIL_CHARS = 120

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_INVISIBLE = re.compile(rb"<(script|style|head)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_TAG = re.compile(rb"<[^>]*>?")


class Unanswered(Exception):
    """The server will not answer this request; `str(exc)` is the sentence the client gets instead."""


def error_detail(body: bytes, content_type: str = "") -> str:
    """The readable part of an HTTP error body: an HTML page's <title> (else its text without tags), or plain text;
    whitespace collapsed to one line, at most `ERROR_DETAIL_CHARS` characters."""
    head = body.lstrip()[:64].lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")):
        title = _TITLE.search(body)
        text = title.group(1) if title and title.group(1).strip() else _TAG.sub(b" ", _INVISIBLE.sub(b" ", body))
        detail = html.unescape(text.decode("utf-8", "replace"))
    else:
        detail = body.decode("utf-8", "replace")
    detail = " ".join(detail.split())
    if len(detail) > ERROR_DETAIL_CHARS:
        detail = detail[: ERROR_DETAIL_CHARS - 1].rstrip() + "…"
    return detail


def describe(exc: BaseException) -> str:
    """A short name for a network failure: "connection refused", "connection reset", else the exception's words."""
    text = str(exc).strip()
    cause = exc.__cause__ or exc.__context__
    while cause is not None and not text:
        text = str(cause).strip()
        cause = cause.__cause__ or cause.__context__
    kind = type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    if "reset" in text.lower():
        return "connection reset"
    return f"{kind}: {text}" if text else kind


class Explainer:
    """The sentences for one connector. `hint()` names a better cause when there is one (the tunnel is down)."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        timeout_s: float,
        configured_auth: bool,
        hint: Callable[[], str | None] | None = None,
        oauth: bool = False,
    ) -> None:
        self.name = name
        self.url = url
        self.timeout_s = timeout_s
        self.configured_auth = configured_auth
        self.oauth = oauth
        self._hint = hint

    def hint(self) -> str | None:
        return self._hint() if self._hint else None

    def unreachable(self, exc: BaseException) -> str:
        why = self.hint() or f"cannot connect to {display_url(self.url)} ({describe(exc)})"
        return f"the remote MCP server is unreachable: {why}. Is it running? Check with `plugboard doctor {self.name}`"

    def timed_out(self) -> str:
        return f"the remote MCP server did not answer within {self.timeout_s:g} s"

    def connection_failed(self, exc: BaseException) -> str:
        hint = self.hint()
        why = f"; {hint}" if hint else ""
        return f"the connection to the remote MCP server broke ({describe(exc)}){why}; try again"

    def http_error(self, status: int, body: bytes, content_type: str) -> str:
        detail = ""
        try:
            parsed = json.loads(body)
            detail = error_detail(str(parsed["error"]["message"]).encode("utf-8", "replace"))
        except (ValueError, KeyError, TypeError):
            pass
        if not detail:
            detail = error_detail(body, content_type)
        detail = f": {detail}" if detail else ""
        if status in (401, 403) and self.oauth:
            return (
                f"the remote MCP server refused the sign-in (HTTP {status}{detail}); sign in again: "
                f"`plugboard login {self.name}`"
            )
        if status in (401, 403):
            word = "refused our credentials" if self.configured_auth else "requires credentials"
            fix = (
                f"store a valid token with `plugboard secret set {self.name} KEY` (the key named in --bearer-secret "
                "or --header) and restart Claude"
                if self.configured_auth
                else "add --bearer-secret KEY (or --header) to this connector and store the token with "
                f"`plugboard secret set {self.name} KEY`"
            )
            return f"the remote MCP server {word} (HTTP {status}{detail}); {fix}"
        if status >= 500:
            return f"the remote MCP server failed (HTTP {status}{detail}); try again, or check the server's logs"
        return f"the remote MCP server rejected the request (HTTP {status}{detail})"
