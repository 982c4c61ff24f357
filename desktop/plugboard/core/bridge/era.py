"""Which protocol era a remote MCP server speaks, decided the way the specification says, and remembered per URL.

Two eras (spec 2026-07-28 `basic/versioning`, FACTS.md §D): **handshake** revisions (2024-11-05 … 2025-11-25) open a
session with `initialize`; the **modern** revision 2026-07-28 has no handshake and no session, and every request
names its version in `_meta`. A dual-era server serves both on one endpoint; the proxy then speaks modern, as the
spec's client rule and the `mcp` SDK's client do.

The rules, as the spec's "Backward Compatibility" sections and the SDK's `mcp/client/_probe.py` apply them:

- Probe with `server/discover` at the newest modern version we speak. A result that lists a modern version we
  speak is modern evidence: adopt it (`judge_discover` → `Adopt`).
- A JSON-RPC error -32022 (`UnsupportedProtocolVersion`) names the server's versions in `data.supported`. A mutual
  modern version means "ask again with that one" (once); a list naming no handshake version at all means the
  server is modern-only and shares no version with us (`Incompatible`: a readable error, never a fallback).
- Anything else — another JSON-RPC error, an HTTP 4xx/5xx without a recognised modern error body, a result that is
  not a discover result, a discover result listing only handshake versions, a probe that timed out — falls back to
  `initialize` (`FallBack`). Only "cannot reach the server" is not an era verdict.
- The fallback `initialize` itself may be answered 400 with a -32022 body (`modern_evidence`): that is a modern
  server too, never a reason to try the legacy HTTP+SSE transport (the bug of issue 15: any 400 used to mean
  "legacy").

`EraCache` remembers the verdict per URL (the spec: clients SHOULD cache it per origin and MAY persist it across
restarts, re-probing when the cached assumption fails), so a known handshake-era server is not probed on every
start. One small JSON file per URL (and SSH tunnel profile, for an address as the SSH host sees it) under Plugboard's
state folder (`state/eras/`): no read-modify-write race between proxies started at once, and the file is named by a
hash of the URL and holds only the address as `display_url` shows it (no user info, no query), the tunnel profile's
name and the verdict — never a credential.

The version lists and error codes mirror `mcp_types` (a unit test compares them): importing the SDK here would cost
the proxy's start ~0.5 s.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from plugboard.core.bridge.url import display_url
from plugboard.core.files.atomic import write_atomic
from plugboard.core.paths import PlugboardDirs, ensure_dir, plugboard_dirs

HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
MODERN_VERSIONS = ("2026-07-28",)
LATEST_HANDSHAKE_VERSION = HANDSHAKE_VERSIONS[-1]
LATEST_MODERN_VERSION = MODERN_VERSIONS[-1]

UNSUPPORTED_PROTOCOL_VERSION = -32022
HEADER_MISMATCH = -32020
MISSING_REQUIRED_CLIENT_CAPABILITY = -32021


class Era(StrEnum):
    HANDSHAKE = "handshake"
    MODERN = "modern"


@dataclass(frozen=True)
class Adopt:
    """The server speaks `version` (modern); `result` is its discover result."""

    version: str
    result: dict[str, Any]


@dataclass(frozen=True)
class Retry:
    """Ask again at `version`, a modern version the server named and we speak."""

    version: str


@dataclass(frozen=True)
class Incompatible:
    """A modern-only server sharing no version with us."""

    supported: list[str]


@dataclass(frozen=True)
class FallBack:
    """Not modern evidence: open a handshake-era session with `initialize`. `why` is for the log."""

    why: str


Verdict = Adopt | Retry | Incompatible | FallBack


def supported_versions(msg: Any) -> list[str] | None:
    """The `supported` list of a JSON-RPC -32022 error, or None when `msg` is not one (or the list is malformed)."""
    error = msg.get("error") if isinstance(msg, dict) else None
    if not isinstance(error, dict) or error.get("code") != UNSUPPORTED_PROTOCOL_VERSION:
        return None
    data = error.get("data")
    supported = data.get("supported") if isinstance(data, dict) else None
    if not isinstance(supported, list) or not all(isinstance(v, str) for v in supported):
        return None
    return list(supported)


def modern_evidence(msg: Any) -> list[str] | None:
    """For an answer to `initialize`: the server's versions when it refused the handshake the way a modern-only
    server does (-32022 naming no handshake version), else None."""
    supported = supported_versions(msg)
    if supported is None or any(v in HANDSHAKE_VERSIONS for v in supported):
        return None
    return supported


def judge_discover(msg: Any, *, asked: str, retried: bool) -> Verdict:
    """What the answer to a `server/discover` sent at version `asked` says (`msg`: the parsed JSON-RPC answer, or
    None when the HTTP answer carried none)."""
    supported = supported_versions(msg)
    if supported is not None:
        mutual = [v for v in MODERN_VERSIONS if v in supported]
        if mutual and not retried and mutual[-1] != asked:
            return Retry(mutual[-1])
        if not any(v in HANDSHAKE_VERSIONS for v in supported):
            return Incompatible(supported)
        return FallBack(f"server/discover: the server names {', '.join(supported) or 'no'} versions")
    if not isinstance(msg, dict):
        return FallBack("server/discover got no JSON-RPC answer")
    error = msg.get("error")
    if isinstance(error, dict):
        return FallBack(f"server/discover got error {error.get('code')} ({_short(error.get('message'))})")
    result = msg.get("result")
    if not isinstance(result, dict):
        return FallBack("server/discover got an answer without a result")
    versions = result.get("supportedVersions")
    if not isinstance(versions, list) or not isinstance(result.get("capabilities"), dict):
        return FallBack("server/discover got a result that is not a discover result")
    mutual = [v for v in MODERN_VERSIONS if v in versions]
    if not mutual:
        return FallBack("server/discover lists no version of the 2026-07-28 era")
    return Adopt(mutual[-1], result)


def _short(text: Any, limit: int = 100) -> str:
    words = " ".join(str(text).split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def incompatible_sentence(supported: list[str]) -> str:
    known = ", ".join(MODERN_VERSIONS + HANDSHAKE_VERSIONS)
    return (
        f"the remote MCP server speaks only protocol versions {', '.join(supported) or '(none named)'}, "
        f"none of which this Plugboard speaks ({known}); update Plugboard"
    )


class EraCache:
    """The last era verdict per URL, in `state/eras/<hash>.json`. Reads and writes never raise: it is a cache."""

    def __init__(self, dirs: PlugboardDirs | None = None) -> None:
        self._dirs = dirs

    def _file(self, url: str, via: str | None) -> Path:
        dirs = self._dirs or plugboard_dirs()
        key = url if via is None else f"{via}\n{url}"
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return dirs.state / "eras" / f"{digest}.json"

    def get(self, url: str, via: str | None = None) -> Era | None:
        """The verdict for `url` (reached through the SSH tunnel profile `via`, when given: two droplets both
        serving `http://127.0.0.1:5000/mcp` are two servers)."""
        try:
            data = json.loads(self._file(url, via).read_text(encoding="utf-8"))
            return Era(data["era"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, url: str, era: Era, via: str | None = None) -> None:
        if self.get(url, via) is era:
            return  # nothing new: no write on every start
        path = self._file(url, via)
        record = {"era": era.value, "url": display_url(url), "checked": int(time.time())}
        if via is not None:
            record["via"] = via
        with contextlib.suppress(OSError):
            ensure_dir(path.parent)
            write_atomic(path, json.dumps(record, indent=1).encode("utf-8"))

    def forget(self, url: str, via: str | None = None) -> None:
        with contextlib.suppress(OSError):
            self._file(url, via).unlink()
