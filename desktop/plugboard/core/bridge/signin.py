"""The relay's use of an OAuth sign-in (`plugboard proxy … --oauth`): the bearer on every request, one retry after a
401, and a first sign-in from the proxy itself.

`bridge.oauth.session.OAuthSession` owns the sign-in (discovery, the keyring record, renewing under the lock every
process shares, the browser flow). `RelaySignIn` is what `http_session.HttpSession` calls around each request:

- `headers()` before sending: `{"Authorization": "Bearer …"}` (renewed first when expired), or `{}` while nothing
  is known about the server yet — that request's 401 then says where to sign in.
- `refused(www_authenticate)` after a 401 (or a 403 whose challenge asks for more scope): the session renews the
  token or looks up a sign-in stored for the challenge's issuer; the request is then sent once more. A second 401
  is the answer.
- When only a person can help (`SignInRequired`: no sign-in yet, or it ended), the proxy signs in itself, as users of
  mcp-remote expect: the system browser opens on the authorization page (`webbrowser`, so `BROWSER` is honoured;
  the tests use a headless stand-in) and the request waits for the sign-in, bounded by its own deadline. One sign-in
  at a time: requests that need it meanwhile wait for that one and then retry. A sign-in that failed or timed out
  is not started again by this process (no browser tabs piling up while Claude retries); the client then gets the
  sentence naming `plugboard login NAME`. Another sign-in is offered no sooner than `RELOGIN_AFTER_S` after one
  that succeeded.

The browser must not inherit the proxy's stdin/stdout: they carry the client's JSON-RPC. So the browser command is
started here with stdin from /dev/null and stdout to stderr (`open_browser`); a browser that needs a terminal (lynx,
w3m, elinks…, what `webbrowser` picks when there is no display) is not started at all, and the sign-in is left to
`plugboard login NAME` in a terminal.

Every error is a `PlugboardError` whose text is the sentence the client reads (`SignInRequired`,
`SignInUnreachable`, `SignInFailed`); the transport turns it into the request's JSON-RPC error.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from plugboard.core.errors import PlugboardError

if TYPE_CHECKING:
    from plugboard.core.bridge.oauth.errors import SignInRequired
    from plugboard.core.bridge.oauth.session import OAuthSession

# After a sign-in from the proxy succeeded, a new demand for one this soon means the server does not take what it
# granted: offering the browser again would loop. A person can still run `plugboard login NAME`.
RELOGIN_AFTER_S = 600.0
# A browser command that is not a known browser is run and waited for (`webbrowser` does the same); it exits once
# its page has loaded.
BROWSER_COMMAND_WAIT_S = 10.0
# Browsers `webbrowser` may pick that draw in the terminal: started from the proxy they would read and write the
# client's protocol pipes.
TERMINAL_BROWSERS = frozenset({"www-browser", "links", "elinks", "lynx", "w3m", "links2", "browsh"})

Logger = Callable[[str], None]


def open_browser(url: str) -> bool:
    """Open `url` in the system browser without handing it our stdin/stdout. False when no browser could be."""
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if isinstance(browser, webbrowser.GenericBrowser):  # BROWSER=cmd, xdg-open, gio, … (BackgroundBrowser too)
        if browser.name.rsplit("/", 1)[-1] in TERMINAL_BROWSERS:
            return False
        argv = [browser.name, *(arg.replace("%s", url) for arg in browser.args)]
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=2, stderr=2, start_new_session=True)
        except OSError:
            return False
        if isinstance(browser, webbrowser.BackgroundBrowser):
            return True
        try:
            return proc.wait(BROWSER_COMMAND_WAIT_S) == 0
        except subprocess.TimeoutExpired:
            return True  # still showing the page; the redirect is what we wait for
    if isinstance(browser, webbrowser.UnixBrowser) and not browser.background:
        return False  # a terminal browser (elinks and the like)
    try:
        return bool(browser.open(url, new=1))  # GUI browsers are started detached from our stdin/stdout
    except webbrowser.Error:
        return False


def browser_available() -> bool:
    """Whether `open_browser` has a browser it would start (no browser is started to find out)."""
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if isinstance(browser, webbrowser.GenericBrowser):
        return browser.name.rsplit("/", 1)[-1] not in TERMINAL_BROWSERS
    return not (isinstance(browser, webbrowser.UnixBrowser) and not browser.background)


class RelaySignIn:
    """One proxy's use of one connector's sign-in. Thread-safe."""

    def __init__(
        self,
        session: OAuthSession,
        *,
        log: Logger,
        interactive: bool = True,
        opener: Callable[[str], bool] = open_browser,
        has_browser: Callable[[], bool] = browser_available,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.name = session.name
        self._log = log
        self._interactive = interactive
        self._opener = opener
        self._has_browser = has_browser
        self._clock = clock
        self._lock = threading.Lock()  # one sign-in at a time
        self._generation = 0  # sign-ins completed by this process
        self._gave_up = False
        self._last_ok: float | None = None
        self._secrets_lock = threading.Lock()
        self._secrets: set[str] = set()
        self.logins = 0

    def headers(self, deadline: float | None = None) -> dict[str, str]:
        from plugboard.core.bridge.oauth.errors import SignInRequired

        seen = self._generation
        try:
            found = self.session.headers()
        except SignInRequired as exc:
            self._sign_in(exc, seen, deadline)
            found = self.session.headers()
        self._note_secrets(found)
        return found

    def refused(self, www_authenticate: str | None, deadline: float | None = None) -> None:
        """The server refused what we sent (401): have something new to send, or raise the sentence."""
        from plugboard.core.bridge.oauth.errors import SignInRequired

        seen = self._generation
        try:
            self.session.on_unauthorized(www_authenticate)
        except SignInRequired as exc:
            self._sign_in(exc, seen, deadline)

    def secret_values(self) -> list[str]:
        """Every token this proxy has sent or holds, for masking log lines: kept here, so a log line never waits
        for the session (which may be renewing a token under its lock)."""
        with self._secrets_lock:
            return list(self._secrets)

    def _note_secrets(self, headers: dict[str, str]) -> None:
        bearer = headers.get("Authorization", "").removeprefix("Bearer ").strip()
        with self._secrets_lock:
            if bearer and bearer in self._secrets:
                return
        values = [bearer, *self.session.secret_values()] if bearer else self.session.secret_values()
        with self._secrets_lock:
            self._secrets.update(v for v in values if v)

    def close(self) -> None:
        self.session.close()

    def _sign_in(self, needed: SignInRequired, seen: int, deadline: float | None) -> None:
        """Sign in with the browser (once at a time), or raise `needed`."""
        with self._lock:
            if self._generation != seen:
                return  # another request signed in while this one waited
            recent = self._last_ok is not None and self._clock() - self._last_ok < RELOGIN_AFTER_S
            if not self._interactive or self._gave_up or recent:
                raise needed
            if not self._has_browser():
                self._gave_up = True
                self._log(f"{needed.reason}, and no browser can be opened from here: run `plugboard login {self.name}`")
                raise needed
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 1.0:
                raise needed
            self._log(
                f"{needed.reason}: opening the browser to sign in to {needed.host} "
                f"(from a terminal: `plugboard login {self.name}`)"
            )
            try:
                signed = self.session.login(open_url=self._opener, timeout_s=left)
            except PlugboardError as exc:
                self._gave_up = True
                self._log(f"[error] signing in did not complete: {exc}")
                raise
            self.logins += 1
            self._generation += 1
            self._last_ok = self._clock()
            self._log(f"signed in to {signed.host} ({signed.client} client); the sign-in is kept in the system keyring")
