"""The era rules (server/discover verdicts, -32022 as modern evidence), the per-URL cache, and the copies of SDK
constants and codecs the proxy keeps to stay light (each compared with the SDK here)."""

from __future__ import annotations

import json
import stat
from typing import Any

import pytest

from plugboard.core.bridge import era
from plugboard.core.bridge.era import Adopt, Era, EraCache, FallBack, Incompatible, Retry, judge_discover
from plugboard.core.bridge.modern import (
    CLIENT_CAPABILITIES_KEY,
    CLIENT_INFO_KEY,
    LOG_LEVEL_KEY,
    MAX_INPUT_ROUNDS,
    NAME_PARAMS,
    PROTOCOL_VERSION_KEY,
    SERVER_INFO_KEY,
    SUBSCRIPTION_ID_KEY,
    header_value,
)
from plugboard.core.paths import plugboard_dirs


def unsupported(*supported: str) -> dict[str, Any]:
    data = {"supported": list(supported), "requested": "2026-07-28"}
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32022, "message": "Unsupported protocol version", "data": data},
    }


def discover_result(*versions: str) -> dict[str, Any]:
    result = {"supportedVersions": list(versions), "capabilities": {"tools": {}}, "resultType": "complete"}
    return {"jsonrpc": "2.0", "id": 1, "result": result}


def test_a_discover_result_listing_our_modern_version_is_adopted() -> None:
    verdict = judge_discover(discover_result("2026-07-28"), asked="2026-07-28", retried=False)
    assert verdict == Adopt("2026-07-28", discover_result("2026-07-28")["result"])


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (discover_result("2025-11-25"), "lists no version of the 2026-07-28 era"),
        ({"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Method not found"}}, "error -32601"),
        ({"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": "Bad Request: Unsupported"}}, "-32000"),
        ({"jsonrpc": "2.0", "id": 1, "result": {"content": []}}, "not a discover result"),
        (None, "no JSON-RPC answer"),
        (unsupported("2025-11-25", "2099-01-01"), "names 2025-11-25, 2099-01-01 versions"),
    ],
)
def test_anything_that_is_not_modern_evidence_falls_back_to_initialize(answer: Any, why: str) -> None:
    verdict = judge_discover(answer, asked="2026-07-28", retried=False)
    assert isinstance(verdict, FallBack)
    assert why in verdict.why


def test_minus_32022_naming_no_handshake_version_is_a_modern_only_server_we_cannot_speak_to() -> None:
    assert judge_discover(unsupported("2099-01-01"), asked="2026-07-28", retried=False) == Incompatible(["2099-01-01"])
    sentence = era.incompatible_sentence(["2099-01-01"])
    assert "speaks only protocol versions 2099-01-01" in sentence and "update Plugboard" in sentence


def test_minus_32022_naming_a_mutual_modern_version_asks_again_once_with_it() -> None:
    assert judge_discover(unsupported("2026-07-28"), asked="2026-99-99", retried=False) == Retry("2026-07-28")
    assert isinstance(judge_discover(unsupported("2026-07-28"), asked="2026-99-99", retried=True), Incompatible)


def test_a_refused_initialize_is_modern_evidence_only_with_minus_32022_and_no_handshake_version() -> None:
    assert era.modern_evidence(unsupported("2026-07-28")) == ["2026-07-28"]
    assert era.modern_evidence(unsupported("2026-07-28", "2025-11-25")) is None
    assert era.modern_evidence({"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": "x"}}) is None
    assert era.modern_evidence({"error": {"code": -32022, "data": {"supported": "2026-07-28"}}}) is None
    assert era.modern_evidence(None) is None


def test_the_verdict_is_cached_per_url_in_a_private_file_without_credentials() -> None:
    cache = EraCache()
    url = "https://alice:s3cret-pass@mcp.example.com/mcp?token=abc123"
    assert cache.get(url) is None
    cache.put(url, Era.MODERN)
    assert cache.get(url) is Era.MODERN
    assert cache.get("https://mcp.example.com/other") is None
    (path,) = (plugboard_dirs().state / "eras").iterdir()
    text = path.read_text(encoding="utf-8")
    assert "s3cret-pass" not in text and "abc123" not in text and "alice" not in text
    assert json.loads(text)["url"] == "https://mcp.example.com/mcp"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cache.put(url, Era.HANDSHAKE)
    assert cache.get(url) is Era.HANDSHAKE


def test_the_same_address_through_two_tunnels_is_two_servers() -> None:
    cache = EraCache()
    url = "http://127.0.0.1:5000/mcp"
    cache.put(url, Era.MODERN, via="ssh droplet-a")
    cache.put(url, Era.HANDSHAKE, via="ssh droplet-b")
    assert cache.get(url, via="ssh droplet-a") is Era.MODERN
    assert cache.get(url, via="ssh droplet-b") is Era.HANDSHAKE
    assert cache.get(url) is None


def test_a_damaged_cache_file_is_no_verdict() -> None:
    cache = EraCache()
    cache.put("http://127.0.0.1:5000/mcp", Era.MODERN)
    (path,) = (plugboard_dirs().state / "eras").iterdir()
    path.write_text('{"era": "sideways"}', encoding="utf-8")
    assert cache.get("http://127.0.0.1:5000/mcp") is None
    path.write_text("{not json", encoding="utf-8")
    assert cache.get("http://127.0.0.1:5000/mcp") is None


def test_the_protocol_constants_match_the_sdks() -> None:
    import mcp_types
    from mcp.client._input_required import DEFAULT_INPUT_REQUIRED_MAX_ROUNDS
    from mcp.shared.inbound import NAME_BEARING_METHODS
    from mcp.shared.subscriptions import SUBSCRIPTION_ID_META_KEY
    from mcp_types import jsonrpc, version

    assert era.HANDSHAKE_VERSIONS == version.HANDSHAKE_PROTOCOL_VERSIONS
    assert era.MODERN_VERSIONS == version.MODERN_PROTOCOL_VERSIONS
    assert era.UNSUPPORTED_PROTOCOL_VERSION == jsonrpc.UNSUPPORTED_PROTOCOL_VERSION
    assert era.HEADER_MISMATCH == jsonrpc.HEADER_MISMATCH
    assert era.MISSING_REQUIRED_CLIENT_CAPABILITY == jsonrpc.MISSING_REQUIRED_CLIENT_CAPABILITY
    assert PROTOCOL_VERSION_KEY == mcp_types.PROTOCOL_VERSION_META_KEY
    assert CLIENT_INFO_KEY == mcp_types.CLIENT_INFO_META_KEY
    assert CLIENT_CAPABILITIES_KEY == mcp_types.CLIENT_CAPABILITIES_META_KEY
    assert LOG_LEVEL_KEY == mcp_types.LOG_LEVEL_META_KEY
    assert SERVER_INFO_KEY == mcp_types.SERVER_INFO_META_KEY
    assert SUBSCRIPTION_ID_KEY == SUBSCRIPTION_ID_META_KEY
    assert dict(NAME_PARAMS) == dict(NAME_BEARING_METHODS)
    assert MAX_INPUT_ROUNDS == DEFAULT_INPUT_REQUIRED_MAX_ROUNDS


@pytest.mark.parametrize(
    "value",
    ["get_weather", "Hello, 世界", " padded ", "line1\nline2", "=?base64?literal?=", "tab\there", "", "a" * 300],
)
def test_header_values_are_encoded_as_the_sdk_encodes_them(value: str) -> None:
    from mcp.shared.inbound import decode_header_value, encode_header_value

    assert header_value(value) == encode_header_value(value)
    assert decode_header_value(header_value(value)) == value
