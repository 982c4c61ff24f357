"""The rules for an OAuth proxy entry, applied before one reaches Claude's file (`plugboard add --remote URL --oauth`,
import): `with_oauth(entry, client_id=…, scope=…)` turns a checked proxy entry (`bridge.run.proxy_entry`) into the
same entry with `--oauth [--client-id ID] [--scope S]`, or refuses with the sentence that says why.

- A sign-in replaces a static token: `--oauth` with `--bearer-secret` or an `Authorization` header is refused (the
  proxy would have to choose which to send; the person should).
- Through an SSH tunnel (`--ssh`) the URL names the server as the SSH host sees it, and the sign-in's browser and
  redirect would have to cross the tunnel too: not supported yet, refused rather than written and failing later.
- `plugboard login` / `logout` act on a connector whose entry is such a proxy entry (`signing_entry`); any other
  connector gets the sentence saying how to add one that signs in.
- A client id is RFC 6749's `VSCHAR` text (printable ASCII; no spaces, since it travels in the entry's arguments);
  scopes are RFC 6749 §3.3 scope tokens, written separated by single spaces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from plugboard.core.errors import PlugboardError

if TYPE_CHECKING:
    from plugboard.core.entries import ProxyEntry

_CLIENT_ID = re.compile(r"[\x21-\x7e]{1,512}\Z")
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+\Z")


def clean_scope(scope: str | None) -> str | None:
    """Scopes as written into an entry (single spaces), or None; `PlugboardError` for a character OAuth forbids."""
    if scope is None:
        return None
    words = scope.split()
    bad = [w for w in words if not _SCOPE_TOKEN.match(w)]
    if bad:
        raise PlugboardError(f"--scope {bad[0]!r} is not an OAuth scope (no quotes, backslashes or control characters)")
    return " ".join(words) or None


def check_client_id(client_id: str | None) -> str | None:
    if client_id is None:
        return None
    if not _CLIENT_ID.match(client_id):
        raise PlugboardError("--client-id takes the client id as the sign-in server shows it (no spaces)")
    return client_id


def with_oauth(entry: Mapping[str, Any], *, client_id: str | None = None, scope: str | None = None) -> dict[str, Any]:
    """`entry` (a proxy entry) signing in with OAuth; refuses what the module docstring lists."""
    from plugboard.core.bridge.headers import parse_header
    from plugboard.core.entries import ProxyEntry, parse

    parsed = parse(entry)
    if not isinstance(parsed, ProxyEntry):
        raise PlugboardError("--oauth is for a remote server (plugboard add NAME --remote URL --oauth)")
    if parsed.bearer_secret or any(parse_header(h)[0].lower() == "authorization" for h in parsed.headers):
        raise PlugboardError(
            "use either --oauth (Plugboard signs in and keeps the tokens) or --bearer-secret / an Authorization "
            "header (a token you keep), not both"
        )
    if parsed.ssh:
        raise PlugboardError("signing in with OAuth through an SSH tunnel (--ssh with --oauth) is not supported yet")
    signed = replace(parsed, oauth=True, client_id=check_client_id(client_id), scope=clean_scope(scope))
    return signed.to_json()


def signing_entry(name: str, entry: Mapping[str, Any]) -> ProxyEntry:
    """Connector `name`'s entry as a proxy entry that signs in with OAuth, or the refusal that says what to do."""
    from plugboard.core.entries import ProxyEntry, parse

    parsed = parse(entry)
    if not isinstance(parsed, ProxyEntry) or not parsed.oauth:
        raise PlugboardError(
            f'"{name}" does not sign in with OAuth; a remote server that asks for a sign-in is added with '
            f"`plugboard add NAME --remote URL --oauth`"
        )
    return parsed
