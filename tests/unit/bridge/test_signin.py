"""The relay's use of an OAuth sign-in: the bearer on each request, one retry after a 401, one browser sign-in at a
time from the proxy, never a terminal browser on Claude's pipes. A scripted `OAuthSession` stands in here; the real
one against the SDK's authorization server is in tests/integration/bridge/test_oauth_proxy.py."""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from plugboard.core.bridge.era import Era, EraCache
from plugboard.core.bridge.oauth.errors import SignInFailed, SignInRequired
from plugboard.core.bridge.oauth.session import SignedIn
from plugboard.core.bridge.proxy import Proxy
from plugboard.core.bridge.signin import RelaySignIn, browser_available, open_browser
from unit.bridge.test_proxy import FAST, INIT, URL, WAIT_S, Client, Server, line, standard


class ScriptedSession:
    """What the relay calls on `OAuthSession`, scripted: a token that `on_unauthorized` renews, a sign-in that
    `login` (gated by `allow_login`) creates."""

    name = "remote"

    def __init__(self, token: str | None = "old", *, login_fails: bool = False) -> None:
        self.token = token
        self.login_fails = login_fails
        self.logins = 0
        self.unauthorized: list[str | None] = []
        self.allow_login = threading.Event()
        self.allow_login.set()

    def headers(self) -> dict[str, str]:
        if self.token is None:
            raise SignInRequired(self.name, "auth.example", "needed")
        return {"Authorization": f"Bearer {self.token}"}

    def on_unauthorized(self, www_authenticate: str | None) -> None:
        self.unauthorized.append(www_authenticate)
        if self.token == "old":
            self.token = "new"
            return
        raise SignInRequired(self.name, "auth.example", "ended")

    def login(self, *, open_url: Any = None, timeout_s: float | None = None) -> SignedIn:
        self.logins += 1
        assert self.allow_login.wait(WAIT_S)
        if self.login_fails:
            raise SignInFailed(self.name, "auth.example", "the sign-in was not completed (access_denied)")
        self.token = f"login-{self.logins}"
        return SignedIn("auth.example", "mcp", "registered")

    def secret_values(self) -> list[str]:
        return [self.token] if self.token else []

    def close(self) -> None:
        return None


def relay(session: ScriptedSession, logs: list[str] | None = None) -> RelaySignIn:
    return RelaySignIn(
        session,  # type: ignore[arg-type]
        log=(logs if logs is not None else []).append,
        opener=lambda _url: True,
        has_browser=lambda: True,
    )


@pytest.fixture
def make() -> Iterator[Callable[..., tuple[Proxy, Client, Server, list[str]]]]:
    made: list[Proxy] = []

    def factory(handler: Callable[[httpx.Request], httpx.Response], auth: RelaySignIn) -> Any:
        client, server, logs = Client(), Server(handler), []
        EraCache().put(URL, Era.HANDSHAKE)
        proxy = Proxy(
            "remote",
            URL,
            write=client.write,
            log=logs.append,
            transport=httpx.MockTransport(server),
            backoff=FAST,
            auth=auth,
        )
        made.append(proxy)
        return proxy, client, server, logs

    yield factory
    for proxy in made:
        proxy.close()


def wants(token: str) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {token}":
            return httpx.Response(401, headers={"www-authenticate": 'Bearer error="invalid_token"'})
        return standard(request)

    return handler


def test_a_401_renews_the_token_through_the_sign_in_and_the_request_goes_once_more(make: Any) -> None:
    session = ScriptedSession()
    proxy, client, server, logs = make(wants("new"), relay(session))
    proxy.handle_line(line(INIT))
    (answer,) = client.wait_for(1)
    assert answer["result"]["serverInfo"] == {"name": "mock"}
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer old", "Bearer new"]
    assert session.unauthorized == ['Bearer error="invalid_token"']
    proxy.log("a line that quotes Bearer new by accident")
    assert logs[-1] == "a line that quotes Bearer ******** by accident"  # tokens are masked, renewed ones too


def test_a_second_401_is_the_answer_and_says_to_sign_in_again(make: Any) -> None:
    session = ScriptedSession()
    proxy, client, server, _logs = make(wants("never"), relay(session))
    proxy.handle_line(line(INIT))
    (answer,) = client.wait_for(1)
    assert "refused the sign-in (HTTP 401" in answer["error"]["message"]
    assert "`plugboard login remote`" in answer["error"]["message"]
    assert len(server.requests) == 2  # one retry, not a loop


def test_a_needed_sign_in_opens_the_browser_once_while_other_requests_wait_for_it() -> None:
    session = ScriptedSession(token=None)
    session.allow_login.clear()
    signin = relay(session)
    got: list[dict[str, str]] = []
    threads = [threading.Thread(target=lambda: got.append(signin.headers())) for _ in range(3)]
    for thread in threads:
        thread.start()
    # All three need the sign-in; one has the browser open, the others wait for it.
    session.allow_login.set()
    for thread in threads:
        thread.join(WAIT_S)
    assert session.logins == 1 and signin.logins == 1
    assert got == [{"Authorization": "Bearer login-1"}] * 3


def test_a_sign_in_that_failed_is_not_offered_again_by_the_same_proxy() -> None:
    session = ScriptedSession(token=None, login_fails=True)
    logs: list[str] = []
    signin = relay(session, logs)
    with pytest.raises(SignInFailed):
        signin.headers()
    with pytest.raises(SignInRequired, match="plugboard login remote"):
        signin.headers()
    assert session.logins == 1
    assert any("signing in did not complete" in entry for entry in logs)


def test_without_a_browser_the_sign_in_is_left_to_plugboard_login() -> None:
    session = ScriptedSession(token=None)
    logs: list[str] = []
    signin = RelaySignIn(session, log=logs.append, opener=lambda _url: True, has_browser=lambda: False)  # type: ignore[arg-type]
    with pytest.raises(SignInRequired, match="needs you to sign in"):
        signin.headers()
    assert session.logins == 0
    assert logs == ["sign-in needed, and no browser can be opened from here: run `plugboard login remote`"]


@pytest.fixture
def browser_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set BROWSER for this test; `webbrowser` registers its browsers once per process, so that is forgotten."""

    def use(command: str) -> None:
        monkeypatch.setenv("BROWSER", command)
        monkeypatch.setattr(webbrowser, "_tryorder", None)  # private: the only way to make it read BROWSER again
        monkeypatch.setattr(webbrowser, "_browsers", {})

    return use


def test_a_terminal_browser_is_never_started_from_the_proxy(browser_env: Callable[[str], None]) -> None:
    browser_env("lynx")
    assert not browser_available()
    assert open_browser("http://127.0.0.1:1/authorize") is False


def test_the_browser_gets_neither_our_stdin_nor_our_stdout(
    browser_env: Callable[[str], None], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "browser"
    seen = tmp_path / "seen"
    script.write_text(f'#!/bin/sh\nreadlink /proc/self/fd/0 > "{seen}"\necho "opened $1"\n', encoding="utf-8")
    script.chmod(0o755)
    browser_env(str(script))

    assert browser_available()
    assert open_browser("http://127.0.0.1:1/authorize") is True

    assert seen.read_text().strip() == "/dev/null"
    out, err = capfd.readouterr()
    assert "opened http://127.0.0.1:1/authorize" in err  # the browser's chatter goes to stderr…
    assert "opened" not in out  # …never to stdout, which carries the client's JSON-RPC
