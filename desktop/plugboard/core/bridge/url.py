"""The one rule for a remote MCP server's address: what Plugboard accepts (`url_problem`) and what it shows
(`display_url`).

Every place that takes a remote address asks `url_problem`: `plugboard add --remote` and `run.proxy_entry`
(before the address reaches Claude's file), `plugboard proxy` itself (an entry written by hand), the `--ssh` tunnel
set-up, and the app's Remote wizard (`remote.url_problem`). One rule, so an address the wizard accepts is one the
proxy runs, and an address the proxy refuses never reaches Claude's file.

Refused: anything but http:// and https:// (only http:// through an SSH tunnel, which already encrypts); an address
without a host or with a port that is not a number; credentials in the address — `user:password@`, query parameters
whose name or value looks secret (`?api_key=…`, `?token=…`; the test is `secrets.detect.looks_secret`, the same one that
decides what moves to the keyring on import), a path segment that looks like a token. FACTS.md §B.14: tokens go in
`Authorization` (`--bearer-secret KEY`, `--header 'Name: ${secret:KEY}'`), never in the address, because an
address is written into Claude's file, logs and process lists. The sentences name the offending part (a parameter
name), never its value.

`display_url` is what any log line, status record or error message may show of an address: scheme, host, port and
path — no user info, no query, no fragment — so an address written by hand with a token in it still leaks nowhere.

A password typed into an address without percent-encoding can hold `/`, `?` or `#` (issue 16:
`http://ana:pa/ss@host/mcp`). A URL parser then ends the authority early and reads part of the password as the
host, the path or the fragment, so "strip the user info" showed it raw. So an unencoded `@` anywhere in an address
is read as the end of user info: `url_problem` refuses the address (a literal `@` in a path or query is written
`%40`), `display_url` shows only what follows the last `@`, and `url_secrets` names everything before it, for the
redactor.
"""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

# What display_url shows for an address it cannot even split (a broken IPv6 literal): nothing of it.
UNREADABLE = "(an address that cannot be read)"

_CREDENTIALS_FIX = (
    "give credentials as a header instead (--bearer-secret KEY or --header 'Name: ${secret:KEY}'), "
    "so they stay in the keyring"
)


def _after_userinfo(url: str) -> tuple[str, str]:
    """(everything up to and including the last `@` after the scheme's `//`, the address without it): the user info
    however it was typed, `/`, `?` and `#` in a password included."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return "", url
    userinfo, _at, host_onwards = rest.rpartition("@")
    return userinfo, f"{scheme}://{host_onwards}"


def display_url(url: str) -> str:
    """`url` without user info, query and fragment: safe for logs, status records and messages."""
    _userinfo, url = _after_userinfo(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return UNREADABLE
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def url_secrets(url: str) -> list[str]:
    """The parts of an address that may be credentials (user info, its password, the query), longest first, so
    a redactor can mask them wherever a library's message quotes the address."""
    userinfo, rest = _after_userinfo(url)
    parts = [userinfo, userinfo.partition(":")[2]]
    with contextlib.suppress(ValueError):
        parts.append(urlsplit(rest).query)
    return sorted({part for part in parts if part}, key=len, reverse=True)


def url_problem(url: str, *, tunnel: bool = False) -> str | None:
    """Why `url` cannot be a remote MCP server's address (one sentence), or None. With `tunnel`, the address is as
    the SSH host sees it: http:// with an explicit port."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "The address cannot be read (check the brackets around an IPv6 host)."
    if tunnel and parts.scheme != "http":
        return "The address starts with http:// (the SSH tunnel already encrypts the connection)."
    if parts.scheme not in ("http", "https"):
        return "The address must start with http:// or https://."
    if "@" in url:
        # User info, or a password with `/`, `?` or `#` in it that a parser reads as path, query or fragment.
        return f"The address holds a user name or password (an @ in it; write a literal @ as %40); {_CREDENTIALS_FIX}."
    try:
        port = parts.port
    except ValueError:
        return "The port in the address is not a number."
    if not parts.hostname:
        where = " (as the server sees it, usually 127.0.0.1)" if tunnel else ""
        return f"The address names no host{where}."
    if tunnel and port is None:
        return "Add the port the MCP server listens on, such as :5000."
    return _secret_in(parts.path, parts.query)


def _secret_in(path: str, query: str) -> str | None:
    from plugboard.core.secrets.detect import looks_secret, value_looks_secret

    for name, value in parse_qsl(query, keep_blank_values=True):
        if looks_secret(name, value):
            return f"The address carries a secret in its query (?{name}=…); {_CREDENTIALS_FIX}."
    if any(value_looks_secret(unquote(segment)) for segment in path.split("/")):
        return f"The address has a token in its path; {_CREDENTIALS_FIX}."
    return None
