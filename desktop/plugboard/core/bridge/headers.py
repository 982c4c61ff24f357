"""The bridge's auth headers: `--header 'K: V'` (a value may name keyring secrets) and `--bearer-secret KEY`.

Syntax (stable; it is written into Claude's config):

- `--header 'Name: value'` sends `Name: value` on every request to the remote server.
- Inside a value, `${secret:KEY}` is replaced by the keyring secret `NAME/KEY` (service `plugboard`, NAME = the
  connector), so the config file names the secret and never holds it: `--header 'X-Api-Key: ${secret:API_KEY}'`,
  `--header 'Authorization: Token ${secret:TOKEN}'`. KEY is an environment-variable-like name. `$${` writes a
  literal `${`. Any other `$` is literal.
- `--bearer-secret KEY` is shorthand for `--header 'Authorization: Bearer ${secret:KEY}'`.

A referenced secret missing from the keyring is a `secrets.MissingSecrets` naming the command that sets it. Header
names that the transport owns (Accept, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Host,
and the 2026-07-28 routing headers Mcp-Method, Mcp-Name, Mcp-Param-*) are refused: overriding them would break the
protocol. Values are returned to the caller only; the list of secret values is returned too, so every log line can
be redacted against them.

A refusal names the header by its name or its position, never by its text: a mistyped `--header 'Bearer abc123'`
has no name, and its text is the token, which would otherwise reach the log, the status record and Claude.

`refuse_plaintext_secret` is what `run.proxy_entry` (and so `plugboard add --remote`) applies before a header
reaches Claude's file: a value that looks secret (`secrets.detect.looks_secret`, the importer's own test) must be a
`${secret:KEY}` reference. The running proxy does not refuse such a header (the entry exists already; refusing it
would only break the connector), it sends it as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from plugboard.core.errors import PlugboardError
from plugboard.core.secrets.keyring import read_secrets

SecretLookup = Callable[[str, str], str | None]

SESSION_HEADER = "mcp-session-id"
VERSION_HEADER = "mcp-protocol-version"
# Headers we set ourselves; a user header with one of these names would break the protocol, so it is refused.
RESERVED_HEADERS = frozenset(
    {"accept", "content-type", SESSION_HEADER, VERSION_HEADER, "last-event-id", "host", "mcp-method", "mcp-name"}
)
# `Mcp-Param-*` headers mirror a tool's arguments (2026-07-28); a user header with this prefix is refused too.
RESERVED_PREFIX = "mcp-param-"

_REFERENCE = re.compile(r"\$\$\{|\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 field-name


def parse_header(spec: str, position: int | None = None) -> tuple[str, str]:
    """(name, value) of one `--header` spec; `position` (1-based) only words the refusal."""
    name, sep, value = spec.partition(":")
    name = name.strip()
    if not sep or not _TOKEN.match(name):
        which = f"--header number {position}" if position else "a --header"
        raise PlugboardError(f"{which} is not of the form 'Name: value' (its text is not shown: it may be a secret)")
    if name.lower() in RESERVED_HEADERS or name.lower().startswith(RESERVED_PREFIX):
        raise PlugboardError(f"--header {name} is set by the proxy itself and cannot be overridden")
    return name, value.strip()


def refuse_plaintext_secret(name: str, value: str, connector: str) -> None:
    """Refuse a header value that looks secret but is not kept in the keyring (not a `${secret:KEY}` reference).

    A value without a reference is judged by `secrets.detect.looks_secret(name, value)`; in a value with references
    (`Bearer ${secret:TOKEN}`), what is left around them must not look like a token itself."""
    from plugboard.core.secrets.detect import key_name, looks_secret, value_looks_secret

    if secret_keys(value):
        rest = _REFERENCE.sub(" ", value).split()
        leak = any(value_looks_secret(word) for word in rest)
    else:
        leak = looks_secret(name, value)
    if leak:
        key = key_name(name)
        raise PlugboardError(
            f"the --header {name} holds a plaintext value that looks secret; keep it in the keyring: "
            f"`plugboard secret set {connector} {key}`, then --header '{name}: ${{secret:{key}}}'"
            + (" (or --bearer-secret KEY for a bearer token)" if name.lower() == "authorization" else "")
        )


def secret_keys(value: str) -> list[str]:
    return [m.group(1) for m in _REFERENCE.finditer(value) if m.group(1)]


def resolve_headers(
    connector: str, specs: list[str], bearer_secret: str | None, get_secret: SecretLookup | None = None
) -> tuple[dict[str, str], list[str]]:
    """(headers to send, secret values used). Raises `secrets.MissingSecrets` or `PlugboardError`."""
    parsed = [parse_header(spec, position) for position, spec in enumerate(specs, 1)]
    if bearer_secret:
        if any(name.lower() == "authorization" for name, _ in parsed):
            raise PlugboardError("use either --bearer-secret or an Authorization --header, not both")
        parsed.append(("Authorization", f"Bearer ${{secret:{bearer_secret}}}"))
    wanted = sorted({key for _, value in parsed for key in secret_keys(value)})
    values = read_secrets(connector, wanted, get_secret)

    def fill(match: re.Match[str]) -> str:
        return "${" if match.group(1) is None else values[match.group(1)]

    headers = {name: _REFERENCE.sub(fill, value) for name, value in parsed}
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise PlugboardError(f"the value of header {name} contains a line break (check the secret)")
    return headers, list(values.values())
