"""The browser half of signing in: open the authorization page, and receive the redirect on 127.0.0.1.

RFC 8252 (OAuth for native apps): the redirect goes to `http://127.0.0.1:PORT/callback` on a port of our own —
random unless a registration was made for a particular one — bound to the loopback address only, so nothing else on
the network can deliver (or read) the authorization code. One thread serves it, with a bounded wait:

- `LOGIN_TIMEOUT_S` for the person to finish (typing a password, a second factor);
- `REQUEST_READ_TIMEOUT_S` for any one connection to send its request line, so a browser's speculative connection
  that sends nothing does not hold the only thread;
- a request for another path (`/favicon.ico`), or a callback whose `state` is not this sign-in's (a stale tab, or a
  web page trying to end our sign-in with a code of its choosing), is answered and ignored; the wait goes on.

The page a person lands on is plain: "Signed in … you can close this tab", or what the server said went wrong.
Nothing is logged: the request line holds the authorization code.

The browser is opened with Python's `webbrowser`, which honours `BROWSER` (the tests' headless stand-in follows
the redirects itself). It runs on its own thread: a `BROWSER` command that is not a known browser is run and
*waited for* by `webbrowser`, and it will only finish once we have answered its redirect.
"""

from __future__ import annotations

import contextlib
import html
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from plugboard.core.errors import PlugboardError

CALLBACK_PATH = "/callback"
# A person signs in: a password manager, a second factor, maybe a coffee. Five minutes, then we stop waiting.
LOGIN_TIMEOUT_S = 300.0
# A connection that has not sent its request line after this long is a browser's speculative one.
REQUEST_READ_TIMEOUT_S = 5.0
# The browser command (`BROWSER`) exits once its page has loaded; after the redirect we wait this long for it.
BROWSER_EXIT_WAIT_S = 10.0


@dataclass(frozen=True)
class Redirect:
    """What came back on the redirect URI (RFC 6749 §4.1.2, RFC 9207 `iss`)."""

    code: str | None
    state: str | None
    iss: str | None
    error: str | None
    error_description: str | None


class LoginTimedOut(PlugboardError):
    """Nobody finished signing in within `LOGIN_TIMEOUT_S`."""


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font:16px system-ui,sans-serif;max-width:32em;margin:4em auto;color:#222}}</style></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""


class _Server(HTTPServer):
    expected_state: str
    result: Redirect | None
    service: str


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = REQUEST_READ_TIMEOUT_S
    server_version = "Plugboard"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line carries the authorization code."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self._page(404, "Not found", "This address only receives Plugboard's sign-in.")
            return
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        state = query.get("state")
        if state is None or not secrets.compare_digest(state.encode(), self.server.expected_state.encode()):
            self._page(400, "Not this sign-in", "Plugboard is not waiting for this sign-in. You can close this tab.")
            return
        redirect = Redirect(
            query.get("code"), state, query.get("iss"), query.get("error"), query.get("error_description")
        )
        if redirect.error or not redirect.code:
            said = html.escape(redirect.error_description or redirect.error or "no authorization code came back")
            self._page(200, "Not signed in", f"Signing in to {self.server.service} did not finish: {said}.")
        else:
            self._page(
                200,
                "Signed in",
                f"Plugboard is signed in to {html.escape(self.server.service)}. You can close this tab.",
            )
        self.server.result = redirect

    def _page(self, status: int, title: str, text: str) -> None:
        body = _PAGE.format(title=html.escape(title), text=text).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


class LoopbackReceiver:
    """A one-shot HTTP listener on 127.0.0.1 for the authorization redirect. Use as a context manager."""

    def __init__(self, port: int = 0, *, service: str = "the server") -> None:
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.result = None
        self._server.expected_state = ""
        self._server.service = service
        self.port: int = self._server.server_address[1]

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"

    def wait(
        self,
        authorization_url: str,
        state: str,
        *,
        open_url: Callable[[str], object] | None = None,
        timeout_s: float = LOGIN_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> Redirect:
        """Open `authorization_url` in the browser and serve until this sign-in's redirect arrives."""
        self._server.expected_state = state
        opener = threading.Thread(
            target=open_url or open_in_browser, args=(authorization_url,), name="oauth-browser", daemon=True
        )
        opener.start()
        deadline = clock() + timeout_s
        try:
            while self._server.result is None:
                remaining = deadline - clock()
                if remaining <= 0:
                    raise LoginTimedOut(
                        f"nobody finished signing in within {timeout_s / 60:.0f} minutes; run the sign-in again"
                    )
                self._server.timeout = remaining
                self._server.handle_request()
            return self._server.result
        finally:
            opener.join(BROWSER_EXIT_WAIT_S)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._server.server_close()

    def __enter__(self) -> LoopbackReceiver:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_in_browser(url: str) -> bool:
    """The system browser (`BROWSER` first, as `webbrowser` reads it). False when none could be started."""
    import webbrowser

    try:
        return webbrowser.open(url, new=1)
    except webbrowser.Error:
        return False
