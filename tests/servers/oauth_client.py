"""One process that uses a connector's stored sign-in the way the relay will: `OAuthSession.headers()` before each
request, `on_unauthorized(WWW-Authenticate)` after a 401 and one retry. It initializes an MCP session with the
server and calls its `echo` tool.

    python oauth_client.py NAME URL [--hold]

Prints one JSON line: {"ok": true, "echo": TEXT} or {"ok": false, "error": MESSAGE, "kind": EXCEPTION CLASS}; exit
status 0 or 1. Nothing it prints holds a token. With `--hold`, it waits for a line on stdin before exiting (after
printing), so a test can look at every running process's command line at once.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import httpx

from plugboard.core.bridge.oauth.session import OAuthSession
from plugboard.core.errors import PlugboardError

ACCEPT = "application/json, text/event-stream"
# The test servers answer in milliseconds; a loaded machine with four of us at once, in seconds.
REQUEST_TIMEOUT_S = 30.0


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.headers.get("content-type", "").startswith("application/json"):
        return dict(response.json())
    for line in response.text.splitlines():
        if line.startswith("data: "):
            return dict(json.loads(line.removeprefix("data: ")))
    raise RuntimeError(f"no answer in a {response.status_code} response")


def _post(http: httpx.Client, session: OAuthSession, url: str, body: dict[str, Any], sid: str | None) -> httpx.Response:
    for attempt in (1, 2):
        headers = {"Accept": ACCEPT, "Content-Type": "application/json", **session.headers()}
        if sid:
            headers["Mcp-Session-Id"] = sid
        response = http.post(url, json=body, headers=headers)
        if response.status_code != 401 or attempt == 2:
            return response
        session.on_unauthorized(response.headers.get("www-authenticate"))
    raise AssertionError("unreachable")


def run(name: str, url: str) -> dict[str, Any]:
    session = OAuthSession(name, url)
    try:
        with httpx.Client(trust_env=False, timeout=REQUEST_TIMEOUT_S) as http:
            init = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "oauth-client", "version": "1"},
                },
            }
            response = _post(http, session, url, init, None)
            if response.status_code != 200:
                return {"ok": False, "error": f"initialize answered HTTP {response.status_code}", "kind": "http"}
            sid = response.headers.get("mcp-session-id")
            _post(http, session, url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, sid)
            call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {}}}
            call["params"]["arguments"] = {"text": f"hello from {name}"}
            answer = _answer(_post(http, session, url, call, sid))
            return {"ok": True, "echo": answer["result"]["content"][0]["text"]}
    except PlugboardError as exc:
        return {"ok": False, "error": str(exc), "kind": type(exc).__name__}
    finally:
        session.close()


def main() -> int:
    name, url = sys.argv[1], sys.argv[2]
    result = run(name, url)
    print(json.dumps(result), flush=True)
    if "--hold" in sys.argv[3:]:
        sys.stdin.readline()
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
