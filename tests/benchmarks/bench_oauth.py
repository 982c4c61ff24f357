"""Which HTTP stack signs the proxy in: httpx with Plugboard's own OAuth client, or httpx2 with the `mcp` SDK's
`OAuthClientProvider` (issue 15: "pick one for the proxy by measurement, keeping the low-latency socket transport").

Run by hand, inside the keyring session (the cold start reads a real stored sign-in):

    bash scripts/test-session.sh .venv/bin/python tests/benchmarks/bench_oauth.py [--calls 200] [--rounds 5] [--runs 9]

1. Import cost in a fresh interpreter, median of --runs, minus `python -c pass`: httpx, httpx2, `mcp.client.auth`,
   `plugboard.core.bridge.oauth.session`.
2. Cold start with a stored sign-in: a fresh interpreter that imports the session and calls `headers()` (one keyring
   read, no network), spawn to exit, median of --runs; beside `python -c pass`. Budget (issue 15): ≤ 250 ms.
3. Request latency: `tools/call echo` on tests/servers/oauth_mcp.py (the SDK's server, stock uvicorn, SSE answers,
   a bearer required on every call), p50/p95 over --rounds × --calls, stacks interleaved round by round:
   - httpx + `http_session`'s low-latency transport, a fixed bearer header (the relay today);
   - the same + `OAuthSession.headers()` on every call (what the relay will do);
   - httpx2 `Client` (sync), a fixed bearer;  httpx2 `AsyncClient`, a fixed bearer;
   - httpx2 `Client` with the same TCP_QUICKACK trick patched into its private pool (is the gap the library or
     the socket transport?);
   - httpx2 `AsyncClient` with `auth=OAuthClientProvider(...)` holding the same token (the SDK's way).
The sign-in itself is done once, in process, with Plugboard's client and an in-memory keyring.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))  # tests/ (servers)

from servers.http_backend import Backend  # noqa: E402

ACCEPT = "application/json, text/event-stream"
INIT = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}
CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "x"}}}
WARMUP_CALLS = 10


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms"


def wall(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=os.environ)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def imports(runs: int) -> None:
    base = wall("pass", runs)
    print(f"interpreter start (python -c pass): {base * 1000:.0f} ms")
    for module in ("httpx", "httpx2", "mcp.client.auth", "plugboard.core.bridge.oauth.session"):
        print(f"  import {module:<38} +{(wall(f'import {module}', runs) - base) * 1000:5.0f} ms")
    both = "import plugboard.core.bridge.oauth.session, httpx"
    print(f"  import {'oauth.session + httpx':<38} +{(wall(both, runs) - base) * 1000:5.0f} ms")


COLD = """
from plugboard.core.bridge.oauth.session import OAuthSession
assert OAuthSession("bench", {url!r}).headers()["Authorization"].startswith("Bearer ")
"""


def cold_start(url: str, record: str, runs: int) -> None:
    from plugboard.core.bridge.oauth.challenge import canonical_resource
    from plugboard.core.secrets import keyring

    keyring.set_credentials(canonical_resource(url), record)
    try:
        base = wall("pass", runs)
        took = wall(COLD.format(url=url), runs)
    finally:
        keyring.delete_credentials(canonical_resource(url))
    verdict = "within" if took <= 0.250 else "OVER"
    print(
        f"cold start with a stored sign-in: {took * 1000:.0f} ms spawn to exit ({verdict} the 250 ms budget; "
        f"interpreter alone {base * 1000:.0f} ms)"
    )


def _quickack_backend2() -> Any:
    """httpcore2's sync backend re-arming TCP_QUICKACK after each read, as `http_session` does for httpcore."""
    import socket

    import httpcore2

    class Stream(httpcore2.NetworkStream):
        def __init__(self, inner: Any) -> None:
            self._inner, self._sock = inner, inner.get_extra_info("socket")

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            data = self._inner.read(max_bytes, timeout)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            return bytes(data)

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._inner.write(buffer, timeout)

        def close(self) -> None:
            self._inner.close()

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    class Backend2(httpcore2.SyncBackend):
        def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
            return Stream(super().connect_tcp(*args, **kwargs))

    return Backend2()


def sse_answer(text: str) -> dict[str, Any]:
    for line in text.splitlines():
        if line.startswith("data: "):
            return dict(json.loads(line[6:]))
    raise RuntimeError("no answer")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    os.environ.setdefault("PLUGBOARD_HOME", str(Path("/tmp") / f"plugboard-bench-oauth-{os.getpid()}"))
    imports(args.runs)

    import anyio
    import httpx
    import httpx2
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
    from pydantic import AnyUrl

    from plugboard.core.bridge.http_session import new_client
    from plugboard.core.bridge.oauth.session import OAuthSession
    from plugboard.core.bridge.oauth.store import CredentialStore, Keyring

    with Backend("oauth_mcp.py", "--access-seconds", "3600") as server:
        memory: dict[str, str] = {}
        store = CredentialStore(
            server.url, keyring=Keyring(memory.get, memory.__setitem__, lambda k: bool(memory.pop(k, None)))
        )
        session = OAuthSession("bench", server.url, store=store)

        def browser(url: str) -> None:
            with httpx.Client(follow_redirects=True, trust_env=False) as c:
                c.get(url)

        session.login(open_url=browser)
        record = next(iter(memory.values()))
        creds = json.loads(record)["issuers"]
        (issuer_creds,) = creds.values()
        token, client = issuer_creds["token"], issuer_creds["client"]
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        cold_start(server.url, record, args.runs)

        def sync_stack(http: Any, extra: Any) -> Any:
            headers = {"Accept": ACCEPT, "Content-Type": "application/json"}
            answer = http.post(server.url, json=INIT, headers={**headers, **extra()})
            sid = answer.headers["mcp-session-id"]
            http.post(
                server.url,
                json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                headers={**headers, **extra(), "Mcp-Session-Id": sid},
            )

            def call() -> float:
                started = time.perf_counter()
                response = http.post(server.url, json=CALL, headers={**headers, **extra(), "Mcp-Session-Id": sid})
                sse_answer(response.text)
                return time.perf_counter() - started

            for _ in range(WARMUP_CALLS):
                call()
            return call

        class StoredTokens:
            async def get_tokens(self) -> OAuthToken | None:
                return OAuthToken(
                    access_token=token["access_token"], token_type="Bearer", refresh_token=token["refresh_token"]
                )

            async def set_tokens(self, tokens: OAuthToken) -> None:
                pass

            async def get_client_info(self) -> OAuthClientInformationFull | None:
                return OAuthClientInformationFull(
                    client_id=client["client_id"],
                    client_secret=client["client_secret"],
                    redirect_uris=[AnyUrl(client["redirect_uri"])],
                    token_endpoint_auth_method=client["auth_method"],
                )

            async def set_client_info(self, info: OAuthClientInformationFull) -> None:
                pass

        async def async_calls(n: int, with_provider: bool) -> list[float]:
            auth = None
            if with_provider:
                metadata = OAuthClientMetadata(redirect_uris=[AnyUrl(client["redirect_uri"])])
                auth = OAuthClientProvider(server.url, metadata, StoredTokens())
            extra = {} if with_provider else bearer
            async with httpx2.AsyncClient(auth=auth, timeout=30) as http:
                headers = {"Accept": ACCEPT, "Content-Type": "application/json", **extra}
                answer = await http.post(server.url, json=INIT, headers=headers)
                sid = answer.headers["mcp-session-id"]
                headers["Mcp-Session-Id"] = sid
                await http.post(
                    server.url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
                )
                took = []
                for i in range(WARMUP_CALLS + n):
                    started = time.perf_counter()
                    response = await http.post(server.url, json=CALL, headers=headers)
                    sse_answer(response.text)
                    if i >= WARMUP_CALLS:
                        took.append(time.perf_counter() - started)
                return took

        relay_http = new_client(read_timeout_s=30)
        quick2 = httpx2.Client(timeout=30)
        quick2._transport._pool._network_backend = _quickack_backend2()  # type: ignore[attr-defined]
        oauth_http = new_client(read_timeout_s=30)
        plain2 = httpx2.Client(timeout=30)
        stacks: dict[str, Any] = {
            "httpx + Plugboard's transport, fixed bearer": sync_stack(relay_http, lambda: bearer),
            "httpx + Plugboard's transport + OAuthSession.headers()": sync_stack(oauth_http, session.headers),
            "httpx2 Client (sync), fixed bearer": sync_stack(plain2, lambda: bearer),
            "httpx2 Client + a TCP_QUICKACK backend, fixed bearer": sync_stack(quick2, lambda: bearer),
        }
        results: dict[str, list[float]] = {
            name: []
            for name in [*stacks, "httpx2 AsyncClient, fixed bearer", "httpx2 AsyncClient + OAuthClientProvider"]
        }
        for round_ in range(args.rounds):
            order = list(results)
            order = order[round_ % len(order) :] + order[: round_ % len(order)]
            for name in order:
                if name in stacks:
                    results[name] += [stacks[name]() for _ in range(args.calls)]
                else:
                    provider = name.endswith("OAuthClientProvider")
                    results[name] += anyio.run(async_calls, args.calls, provider)
        relay_http.close()
        oauth_http.close()
        plain2.close()
        quick2.close()
        session.close()
    print(f"tools/call echo, {args.rounds} × {args.calls} calls per stack:")
    for name, values in results.items():
        print(f"  {name:<56} {ms(values)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
