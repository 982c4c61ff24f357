"""`OAuthSession` against an authorization server in an `httpx.MockTransport` (STYLE.md §5): the decisions the real
server in tests/integration/bridge/test_oauth.py cannot be made to take — a mix-up of issuers, an `iss` that does not
match, a server without PKCE, a refused registration, a refresh that another process already did, a retry loop.

The keyring is an in-memory dict behind the store's `Keyring`, the lock the real file lock in the test's own
Plugboard home, and the browser a function that answers the real loopback receiver over HTTP as the server would.
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from plugboard.core.bridge.oauth import registration
from plugboard.core.bridge.oauth.errors import SignInFailed, SignInRequired, SignInUnreachable
from plugboard.core.bridge.oauth.grants import Token
from plugboard.core.bridge.oauth.session import OAuthSession, StoredSignIn, stored_sign_in
from plugboard.core.bridge.oauth.store import CredentialStore, Keyring, Record
from plugboard.core.entries import ProxyEntry

MCP = "https://mcp.example.com/mcp"
ISSUER = "https://id.example.com"
# The loopback receiver answers the stand-in browser in milliseconds; a second is a loaded machine.
BROWSER_TIMEOUT_S = 10.0


class FakeServer:
    """An MCP endpoint that wants a bearer, its protected resource metadata, and its authorization server."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.forms: list[dict[str, str]] = []
        self.prm: dict[str, Any] | None = {
            "resource": MCP,
            "authorization_servers": [ISSUER],
            "scopes_supported": ["notes"],
        }
        self.asm: dict[str, Any] = {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "registration_endpoint": f"{ISSUER}/register",
            "revocation_endpoint": f"{ISSUER}/revoke",
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["notes", "offline_access"],
        }
        self.registration: tuple[int, dict[str, Any]] = (
            201,
            {"client_id": "client-1", "token_endpoint_auth_method": "none"},
        )
        self.token_answer: Callable[[dict[str, str]], httpx.Response] = self._tokens
        self.valid: set[str] = set()
        self.serial = 0

    def _tokens(self, form: dict[str, str]) -> httpx.Response:
        if form["grant_type"] == "refresh_token" and form["refresh_token"] != f"rt-{self.serial}":
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "refresh token spent"})
        self.serial += 1
        self.valid.add(f"at-{self.serial}")
        return httpx.Response(
            200,
            json={
                "access_token": f"at-{self.serial}",
                "token_type": "bearer",
                "expires_in": 3600,
                "refresh_token": f"rt-{self.serial}",
            },
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url).split("?")[0]
        self.calls[f"{request.method} {url}"] += 1
        if url == MCP:
            auth = request.headers.get("authorization", "")
            if auth.removeprefix("Bearer ") in self.valid:
                return httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": {}})
            challenge = 'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="notes"'
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        if url == "https://mcp.example.com/.well-known/oauth-protected-resource/mcp":
            return httpx.Response(200, json=self.prm) if self.prm else httpx.Response(404)
        if url == f"{ISSUER}/.well-known/oauth-authorization-server":
            return httpx.Response(200, json=self.asm)
        if url == f"{ISSUER}/register":
            status, body = self.registration
            return httpx.Response(status, json=body)
        if url in (f"{ISSUER}/token", f"{ISSUER}/revoke"):
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.forms.append(form)
            return self.token_answer(form) if url.endswith("/token") else httpx.Response(200)
        return httpx.Response(404)


class Browser:
    """Approves at once: sends the loopback receiver the redirect an authorization server would."""

    def __init__(self, *, iss: str | None = ISSUER, error: str | None = None) -> None:
        self.iss, self.error = iss, error
        self.seen: dict[str, str] = {}

    def __call__(self, url: str) -> None:
        self.seen = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        answer = {"state": self.seen["state"]}
        answer.update({"error": self.error} if self.error else {"code": "the-code"})
        if self.iss:
            answer["iss"] = self.iss
        with urllib.request.urlopen(f"{self.seen['redirect_uri']}?{urlencode(answer)}", timeout=BROWSER_TIMEOUT_S):
            pass


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def keyring() -> dict[str, str]:
    return {}


def session_for(server: FakeServer, keyring: dict[str, str], **kwargs: Any) -> OAuthSession:
    memory = Keyring(keyring.get, keyring.__setitem__, lambda k: keyring.pop(k, None) is not None)
    http = httpx.Client(transport=httpx.MockTransport(server.handle))
    return OAuthSession("notes", MCP, store=CredentialStore(MCP, keyring=memory), http=http, **kwargs)


def stored(keyring: dict[str, str]) -> Record:
    record = Record.from_text(keyring[MCP], MCP)
    assert record is not None
    return record


def test_login_discovers_registers_and_stores_the_tokens_per_issuer_and_resource(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    browser = Browser()
    session = session_for(server, keyring)

    signed = session.login(open_url=browser)

    assert (signed.host, signed.client) == ("id.example.com", "registered")
    sent = browser.seen
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert sent["resource"] == MCP
    assert sent["scope"] == "notes offline_access"  # the challenge's scope, and offline_access the issuer offers
    assert sent["redirect_uri"].startswith("http://127.0.0.1:") and sent["redirect_uri"].endswith("/callback")
    exchange = server.forms[-1]
    assert exchange["grant_type"] == "authorization_code" and exchange["code"] == "the-code"
    assert exchange["resource"] == MCP and len(exchange["code_verifier"]) >= 43
    record = stored(keyring)
    assert record.issuer == ISSUER and list(record.issuers) == [ISSUER]
    assert session.headers() == {"Authorization": "Bearer at-1"}


def test_an_answer_from_another_issuer_is_refused(server: FakeServer, keyring: dict[str, str]) -> None:
    session = session_for(server, keyring)

    with pytest.raises(SignInFailed, match="the answer came from another sign-in server"):
        session.login(open_url=Browser(iss="https://evil.example.com"))

    assert not any(f.get("grant_type") == "authorization_code" for f in server.forms)


def test_a_missing_iss_is_refused_only_when_the_server_promised_one(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    session_for(server, keyring).login(open_url=Browser(iss=None))
    server.asm["authorization_response_iss_parameter_supported"] = True
    keyring.clear()

    with pytest.raises(SignInFailed, match="did not say which sign-in server sent it"):
        session_for(server, keyring).login(open_url=Browser(iss=None))


def test_metadata_that_names_another_issuer_is_refused(server: FakeServer, keyring: dict[str, str]) -> None:
    server.asm["issuer"] = "https://evil.example.com"

    with pytest.raises(SignInFailed, match=r"calls itself https://evil\.example\.com"):
        session_for(server, keyring).login(open_url=Browser())


def test_a_server_without_pkce_s256_is_refused(server: FakeServer, keyring: dict[str, str]) -> None:
    del server.asm["code_challenge_methods_supported"]

    with pytest.raises(SignInFailed, match="PKCE"):
        session_for(server, keyring).login(open_url=Browser())


def test_metadata_describing_another_resource_is_refused(server: FakeServer, keyring: dict[str, str]) -> None:
    assert server.prm is not None
    server.prm["resource"] = "https://other.example.com/mcp"

    with pytest.raises(SignInFailed, match="describes another server"):
        session_for(server, keyring).login(open_url=Browser())


def test_without_resource_metadata_the_endpoints_origin_is_asked(keyring: dict[str, str]) -> None:
    server = FakeServer()
    server.prm = None
    server.asm["issuer"] = "https://mcp.example.com"
    original = server.handle

    def handle(request: httpx.Request) -> httpx.Response:
        if str(request.url) == "https://mcp.example.com/.well-known/oauth-authorization-server":
            return httpx.Response(200, json=server.asm)
        return original(request)

    server.handle = handle  # type: ignore[method-assign]

    session_for(server, keyring).login(open_url=Browser(iss=None))

    assert stored(keyring).issuer == "https://mcp.example.com"


def test_a_configured_client_id_is_used_without_registering(server: FakeServer, keyring: dict[str, str]) -> None:
    browser = Browser()

    signed = session_for(server, keyring, client_id="my-app", scope="notes").login(open_url=browser)

    assert signed.client == "configured"
    assert browser.seen["client_id"] == "my-app" and browser.seen["scope"] == "notes"
    assert server.calls[f"POST {ISSUER}/register"] == 0


def test_a_client_metadata_document_is_the_client_id_where_the_server_supports_it(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    server.asm["client_id_metadata_document_supported"] = True
    browser = Browser()
    document = "https://plugboard.example/oauth/client.json"

    signed = session_for(server, keyring, client_metadata_url=document).login(open_url=browser)

    assert signed.client == registration.METADATA_DOCUMENT and browser.seen["client_id"] == document
    assert server.calls[f"POST {ISSUER}/register"] == 0


def test_a_registration_that_needs_a_secret_the_server_did_not_issue_is_refused(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    server.registration = (201, {"client_id": "c", "token_endpoint_auth_method": "client_secret_basic"})

    with pytest.raises(SignInFailed, match="did not issue one"):
        session_for(server, keyring).login(open_url=Browser())


def test_a_server_that_offers_no_way_to_get_a_client_id_says_to_configure_one(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    del server.asm["registration_endpoint"]

    with pytest.raises(SignInFailed, match="--client-id ID"):
        session_for(server, keyring).login(open_url=Browser())


def test_a_secret_client_authenticates_at_the_token_endpoint_as_registered(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    server.asm["token_endpoint_auth_methods_supported"] = ["client_secret_post"]
    server.registration = (
        201,
        {"client_id": "c", "client_secret": "s3cr3t", "token_endpoint_auth_method": "client_secret_post"},
    )

    session_for(server, keyring).login(open_url=Browser())

    assert server.forms[-1]["client_secret"] == "s3cr3t"
    assert "s3cr3t" in stored(keyring).secret_values()


def test_a_declined_sign_in_says_what_the_server_said(server: FakeServer, keyring: dict[str, str]) -> None:
    with pytest.raises(SignInFailed, match="not completed \\(access_denied\\)"):
        session_for(server, keyring).login(open_url=Browser(error="access_denied"))


def test_nothing_known_sends_no_token_and_the_401_then_asks_for_a_sign_in(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    session = session_for(server, keyring)

    assert session.headers() == {}
    with pytest.raises(SignInRequired) as raised:
        session.on_unauthorized('Bearer scope="notes"')

    assert raised.value.kind == "needed" and raised.value.host == "id.example.com"


def test_a_sign_in_stored_by_another_process_is_found_after_the_401(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    later = session_for(server, keyring)
    assert later.headers() == {}  # started before anyone signed in

    session_for(server, keyring).login(open_url=Browser())
    later.on_unauthorized(None)

    assert later.headers() == {"Authorization": "Bearer at-1"}


def test_an_expired_token_is_refreshed_once_and_the_rotated_token_kept(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    clock = [1000.0]
    session = session_for(server, keyring, clock=lambda: clock[0])
    session.login(open_url=Browser())
    clock[0] += 3600

    assert session.headers() == {"Authorization": "Bearer at-2"}
    assert session.headers() == {"Authorization": "Bearer at-2"}
    refreshes = [f for f in server.forms if f["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1 and refreshes[0]["refresh_token"] == "rt-1" and refreshes[0]["resource"] == MCP
    token = stored(keyring).current
    assert token is not None and token.token is not None and token.token.refresh_token == "rt-2"


def test_a_token_another_process_refreshed_is_taken_without_a_request(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    clock = [1000.0]
    first = session_for(server, keyring, clock=lambda: clock[0])
    first.login(open_url=Browser())
    second = session_for(server, keyring, clock=lambda: clock[0])
    assert second.headers() == {"Authorization": "Bearer at-1"}
    clock[0] += 3600

    first.headers()  # refreshes: rt-1 is spent
    assert second.headers() == {"Authorization": "Bearer at-2"}

    assert len([f for f in server.forms if f["grant_type"] == "refresh_token"]) == 1


def test_a_refused_refresh_ends_the_sign_in_and_says_to_sign_in_again(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    session = session_for(server, keyring)
    session.login(open_url=Browser())
    server.valid.clear()
    server.serial = 99  # the server forgot every refresh token

    with pytest.raises(SignInRequired) as raised:
        session.on_unauthorized('Bearer error="invalid_token"')

    assert raised.value.kind == "ended"
    assert str(raised.value) == (
        'Your sign-in to id.example.com for "notes" has ended (revoked or expired); sign in again: `plugboard login notes`'
    )
    current = stored(keyring).current
    assert current is not None and current.token is None and current.client is not None


def test_a_renewed_token_refused_again_asks_for_a_sign_in_instead_of_looping(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    session = session_for(server, keyring)
    session.login(open_url=Browser())

    session.on_unauthorized('Bearer error="invalid_token"')  # renewed once
    with pytest.raises(SignInRequired):
        session.on_unauthorized('Bearer error="invalid_token"')

    assert len([f for f in server.forms if f["grant_type"] == "refresh_token"]) == 1


def test_a_request_for_more_scope_says_so(server: FakeServer, keyring: dict[str, str]) -> None:
    session = session_for(server, keyring)
    session.login(open_url=Browser())

    with pytest.raises(SignInRequired, match=r"asks for more permissions for \"notes\" \(notes:admin\)"):
        session.on_unauthorized('Bearer error="insufficient_scope", scope="notes:admin"')


def test_an_unreachable_token_endpoint_is_its_own_error(server: FakeServer, keyring: dict[str, str]) -> None:
    clock = [1000.0]
    session = session_for(server, keyring, clock=lambda: clock[0])
    session.login(open_url=Browser())
    clock[0] += 3600

    def refuse(_form: dict[str, str]) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    server.token_answer = refuse

    with pytest.raises(
        SignInUnreachable, match=r"Cannot reach the sign-in server id.example.com .*\(connection refused\)"
    ):
        session.headers()


def test_logout_forgets_every_issuers_sign_in_and_revokes_the_refresh_token(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    session = session_for(server, keyring)
    session.login(open_url=Browser())

    assert session.logout()

    assert keyring == {}
    assert server.forms[-1] == {"token": "rt-1", "token_type_hint": "refresh_token", "client_id": "client-1"}
    assert session.headers() == {}
    assert not session.logout()


def test_secret_values_name_the_tokens_for_redaction(server: FakeServer, keyring: dict[str, str]) -> None:
    session = session_for(server, keyring)
    assert session.secret_values() == []
    session.login(open_url=Browser())

    assert set(session.secret_values()) == {"at-1", "rt-1"}


def test_the_session_of_an_entry_uses_its_client_id_and_scope() -> None:
    entry = ProxyEntry("n", MCP, oauth=True, client_id="app", scope="a b", program="/bin/plugboard")

    session = OAuthSession.for_entry(entry)

    assert (session.name, session.server_url, session.client_id, session.scope) == ("n", MCP, "app", "a b")


def test_a_token_is_renewed_a_little_before_it_expires_never_long_before() -> None:
    hour = Token("a", expires_at=3600.0, obtained_at=0.0)
    short = Token("b", expires_at=20.0, obtained_at=0.0)

    assert hour.fresh(3569.0) and not hour.fresh(3571.0)
    assert short.fresh(17.9) and not short.fresh(18.1)
    assert Token("c").fresh(1e12)


def test_a_record_reads_back_as_it_was_written(server: FakeServer, keyring: dict[str, str]) -> None:
    session_for(server, keyring).login(open_url=Browser())
    record = stored(keyring)

    again = Record.from_text(record.to_text(), MCP)

    assert again == record
    assert json.loads(record.to_text())["version"] == 1


def test_the_store_lock_is_reentrant_in_its_thread_and_excludes_other_threads(keyring: dict[str, str]) -> None:
    import threading

    memory = Keyring(keyring.get, keyring.__setitem__, lambda k: keyring.pop(k, None) is not None)
    store = CredentialStore(MCP, keyring=memory)
    other_inside = threading.Event()

    def other() -> None:
        with store.locked():
            other_inside.set()

    with store.locked(), store.locked():  # a nested use in the same thread does not wait on itself
        thread = threading.Thread(target=other)
        thread.start()
        assert not other_inside.wait(0.3)  # the other thread waits while we hold the lock
    thread.join(BROWSER_TIMEOUT_S)

    assert other_inside.is_set()


def test_what_the_keyring_holds_is_told_without_the_network_as_the_relay_would_use_it(
    server: FakeServer, keyring: dict[str, str]
) -> None:
    memory = Keyring(keyring.get, keyring.__setitem__, lambda k: keyring.pop(k, None) is not None)
    entry = ProxyEntry.new("notes", MCP, oauth=True)

    def look(now: float = 1e12) -> StoredSignIn | None:
        return stored_sign_in(entry, store=CredentialStore(MCP, keyring=memory), clock=lambda: now)

    assert look() == StoredSignIn("mcp.example.com", usable=False)  # nothing yet: the MCP server's host

    session_for(server, keyring).login(open_url=Browser())
    token = stored(keyring).current.token  # type: ignore[union-attr]
    assert token is not None and token.expires_at is not None
    fresh = look(token.obtained_at + 1)
    assert fresh == StoredSignIn("id.example.com", usable=True, since=token.obtained_at)
    assert look(token.expires_at + 1).usable  # expired, but the refresh token renews it without a person
    assert server.calls["POST https://id.example.com/token"] == 1  # looking asked nobody

    record = stored(keyring)
    assert record.current is not None and record.current.token is not None
    record.current.token = Token(record.current.token.access_token, None, token.expires_at, token.obtained_at)
    keyring[MCP] = record.to_text()
    assert look(token.obtained_at + 1).usable
    assert look(token.expires_at + 1) == StoredSignIn("id.example.com", usable=False)  # expired, nothing renews it

    record.current.token = None  # a refresh the server refused: the relay forgot the token
    keyring[MCP] = record.to_text()
    assert look() == StoredSignIn("id.example.com", usable=False)


def test_a_look_that_finds_the_lock_held_says_it_cannot_tell_instead_of_waiting(
    keyring: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from plugboard.core.bridge.oauth import session as oauth_session

    monkeypatch.setattr(oauth_session, "PEEK_LOCK_S", 0.05)
    memory = Keyring(keyring.get, keyring.__setitem__, lambda k: keyring.pop(k, None) is not None)
    store = CredentialStore(MCP, keyring=memory)
    holding, release = threading.Event(), threading.Event()

    def refresher() -> None:  # another process renewing the token holds the lock
        with store.locked():
            holding.set()
            release.wait(BROWSER_TIMEOUT_S)

    thread = threading.Thread(target=refresher)
    thread.start()
    try:
        assert holding.wait(BROWSER_TIMEOUT_S)
        assert stored_sign_in(ProxyEntry.new("notes", MCP, oauth=True), store=store) is None
    finally:
        release.set()
        thread.join(BROWSER_TIMEOUT_S)
