"""Other MCP clients' config files: where they live, how each names things, and reading their servers.

One `ClientFormat` per client (FACTS.md A, "Other clients"), all JSON with a map of servers:

- cursor: ~/.cursor/mcp.json; `mcpServers`; remote `url` + `headers`; `${env:X}` references.
- vscode: <VS Code user folder>/mcp.json (JSONC); `servers`, each with `type`; remote `type: http` + `url`;
  `inputs` prompts and `${input:X}` references.
- claude-code: ~/.claude.json (top-level `mcpServers` = user scope, `projects[path].mcpServers` = local scope) or a
  project's .mcp.json; remote `type: http|sse` + `url`; `${X}` and `${X:-default}` references.
- windsurf: ~/.codeium/windsurf/mcp_config.json; `mcpServers`; remote `serverUrl`; `disabled`.
- cline: <VS Code user folder>/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json;
  `mcpServers`; remote `url` (+ `type`); `disabled`, `autoApprove`.
- lmstudio: ~/.lmstudio/mcp.json; `mcpServers` as Cursor's.
- shareable: any file; Plugboard's own export, `mcpServers` with secrets written as `${secret:KEY}`.

OAuth: every one of these clients signs in to a remote server by itself when the server answers 401, so a bare `url`
says nothing either way. Three formats can *say* a server signs in, and only those are read as OAuth remotes
(`ForeignServer.oauth`, which import turns into `plugboard proxy … --oauth`):

- VS Code and Claude Code: an `oauth` object (`clientId`; Claude Code also `scopes` as one string, `callbackPort`,
  `authServerMetadataUrl`); the shareable file uses the same key.
- Cursor: an `auth` object (`CLIENT_ID`, `CLIENT_SECRET`, `scopes` as a list).
- Windsurf, Cline and LM Studio have no OAuth marker: their remotes import without `--oauth`.

What Plugboard cannot carry is named in the notes: a client secret (Plugboard signs in as a public client with
PKCE), a fixed callback port (the redirect uses a free loopback port), a metadata URL override (discovery follows
the server's own metadata), and a client id that only refers to a value kept elsewhere (`${env:ID}`).

Reading is lenient (comments and trailing commas allowed, as VS Code's JSONC is): these files are not Claude's, we
only read them. A value that *refers* to a secret kept elsewhere (`${input:X}`, `${env:X}`, `${X}`, `${secret:X}`)
has no value in the file; the importer asks for it. Zed's `context_servers` is not supported yet.

`looks_secret` decides which plaintext values are secrets: by the variable or header name (words such as TOKEN,
KEY, SECRET, PASSWORD, AUTH, PAT, CREDENTIALS; names ending in _PATH/_FILE/_DIR/_URL are paths or addresses) and by
the value (well-known token prefixes, a URL with a password in it). It errs on the side of the keyring.
"""

from __future__ import annotations

import json
import os
import platform
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugboard.core.errors import NotFoundError, PlugboardError
from plugboard.core.files.fd_io import NotPlainFile, TooLarge, read_plain_file


@dataclass(frozen=True)
class ClientFormat:
    id: str
    label: str
    servers_key: str
    url_key: str
    """The key a remote server's address is written under on export ("url", or Windsurf's "serverUrl")."""
    remote_type: str | None
    """The `type` written for a remote server on export (None: no type key)."""
    local_type: str | None
    """The `type` written for a stdio server on export (VS Code wants "stdio")."""
    reference: str
    """How a secret KEY is referenced on export; `{}` is the KEY."""
    has_disabled: bool
    """The format has a `disabled` flag, so disabled connectors can be exported as such."""


CLIENTS: dict[str, ClientFormat] = {
    c.id: c
    for c in (
        ClientFormat("cursor", "Cursor", "mcpServers", "url", None, None, "${{env:{}}}", False),
        ClientFormat("vscode", "VS Code", "servers", "url", "http", "stdio", "${{input:{}}}", False),
        ClientFormat("claude-code", "Claude Code", "mcpServers", "url", "http", "stdio", "${{{}}}", False),
        ClientFormat("windsurf", "Windsurf", "mcpServers", "serverUrl", None, None, "${{env:{}}}", True),
        ClientFormat("cline", "Cline", "mcpServers", "url", "streamableHttp", None, "<{}>", True),
        ClientFormat("lmstudio", "LM Studio", "mcpServers", "url", None, None, "<{}>", False),
        ClientFormat("shareable", "Shareable file", "mcpServers", "url", None, None, "${{secret:{}}}", True),
    )
}
CLINE_EXTENSION = "saoudrizwan.claude-dev"


def client(client_id: str) -> ClientFormat:
    try:
        return CLIENTS[client_id]
    except KeyError:
        raise NotFoundError(f"unknown client {client_id!r}; choose one of: {', '.join(CLIENTS)}") from None


def _vscode_user_dir(system: str, env: Mapping[str, str], home: Path) -> Path:
    if system == "Darwin":
        return home / "Library" / "Application Support" / "Code" / "User"
    if system == "Windows":
        appdata = Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming"
        return appdata / "Code" / "User"
    config_home = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    return config_home / "Code" / "User"


def default_path(
    client_id: str,
    *,
    system: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Path:
    """The client's user-scope config file on this OS (it may not exist)."""
    system = system or platform.system()
    env = os.environ if env is None else env
    home = home or Path.home()
    if client_id == "cursor":
        return home / ".cursor" / "mcp.json"
    if client_id == "vscode":
        return _vscode_user_dir(system, env, home) / "mcp.json"
    if client_id == "claude-code":
        return home / ".claude.json"
    if client_id == "windsurf":
        return home / ".codeium" / "windsurf" / "mcp_config.json"
    if client_id == "cline":
        return (
            _vscode_user_dir(system, env, home)
            / "globalStorage"
            / CLINE_EXTENSION
            / "settings"
            / ("cline_mcp_settings.json")
        )
    if client_id == "lmstudio":
        return home / ".lmstudio" / "mcp.json"
    if client_id == "shareable":
        raise PlugboardError("a shareable file has no usual place: give its PATH")
    client(client_id)
    raise AssertionError(client_id)


# A client's config is usually a few kB, but Claude Code's ~/.claude.json keeps every project's state beside its
# servers and grows to tens of MB; far beyond that is not a config (a link to /dev/zero, a disk image).
MAX_CLIENT_FILE_BYTES = 128 * 2**20


# -- lenient JSON ---------------------------------------------------------------------------------------------


def strip_jsonc(text: str) -> str:
    """`text` without // and /* */ comments and trailing commas (outside strings), for JSONC files."""
    from plugboard.core.config.repair import strip_comments_and_trailing_commas

    return strip_comments_and_trailing_commas(text)[0]


def read_client_bytes(path: Path) -> bytes | None:
    """The exact bytes of a client's config file, None if there is none. The same bounded read as Claude's config
    (`fd_io.read_plain_file`): a named pipe in the file's place is refused instead of hanging import and export, a
    link to a device or a huge file instead of filling the memory."""
    try:
        return read_plain_file(path, MAX_CLIENT_FILE_BYTES)
    except NotPlainFile as exc:
        raise PlugboardError(f"{path} is {exc.kind}, not a file; nothing was read from it") from exc
    except TooLarge as exc:
        raise PlugboardError(
            f"{path} is larger than {MAX_CLIENT_FILE_BYTES // 2**20} MB: that is not an MCP client's config "
            "Plugboard reads"
        ) from exc
    except OSError as exc:
        raise PlugboardError(f"cannot read {path}: {exc.strerror or exc}") from exc


def read_json_file(path: Path) -> dict[str, Any]:
    """A client's config file as an object; comments and trailing commas are accepted."""
    raw = read_client_bytes(path)
    if raw is None:
        raise NotFoundError(f"{path} does not exist")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlugboardError(f"{path} is not UTF-8 text (byte {exc.start + 1})") from exc
    return parse_json_text(text, path)


def parse_json_text(text: str, path: Path) -> dict[str, Any]:
    """A client's config document (`text`, read from `path`) as an object; comments and trailing commas are
    accepted."""
    try:
        data = json.loads(strip_jsonc(text))
    except json.JSONDecodeError as exc:
        raise PlugboardError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from exc
    if not isinstance(data, dict):
        raise PlugboardError(f"{path} does not hold a JSON object")
    return data


# -- references and secrets -----------------------------------------------------------------------------------

# ${input:id} (VS Code), ${env:NAME} (Cursor, Windsurf, VS Code), ${secret:KEY} (ours), ${NAME} / ${NAME:-default}
# (Claude Code). Group 1 is the referenced name.
# `<KEY>` is what our own export writes for Cline and LM Studio, which have no interpolation (group 2).
REFERENCE = re.compile(r"\$\{(?:input:|env:|secret:)?([A-Za-z_][A-Za-z0-9_.-]*)(?::-[^}]*)?\}|<([A-Z_][A-Z0-9_]*)>")


def references(value: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in REFERENCE.finditer(value)]


# -- servers as other clients describe them ------------------------------------------------------------------


@dataclass(frozen=True)
class OAuthMarker:
    """A remote server's "this one signs in with OAuth", as its client's file says it (module docstring)."""

    client_id: str | None = None
    scope: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForeignServer:
    """One server from another client's file, as written there (values may hold plaintext secrets)."""

    name: str
    scope: str = ""
    """Where in the file: "" (the only list), "user", or "project <path>" (Claude Code)."""
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict, repr=False)
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    transport: str | None = None
    disabled: bool = False
    dropped: tuple[str, ...] = ()
    """Keys Claude Desktop cannot hold (cwd, autoApprove, timeout, …), for the preview's notes."""
    oauth: OAuthMarker | None = None
    """Set when the file marks this remote server as one that signs in with OAuth."""
    problem: str | None = None
    """Why it cannot be imported, when it cannot."""


_KNOWN_KEYS = {"command", "args", "env", "url", "serverUrl", "headers", "type", "transportType", "disabled"}
_OAUTH_KEYS = ("oauth", "auth")
_REMOTE_TYPES = {"http", "sse", "streamable-http", "streamablehttp", "streamable_http"}


def read_entry(name: str, raw: Any) -> ForeignServer:
    """One server entry as another client writes it (`{"url": …, "headers": …}`, `{"command": …}`), read by the
    same rules as an import (`clients.remote_entries` reads a remote entry found in Claude's own file with it)."""
    return _server(name, raw, "")


def _server(name: str, raw: Any, scope: str) -> ForeignServer:
    if not isinstance(raw, dict):
        return ForeignServer(name, scope, problem="its entry is not an object")
    transport = raw.get("type") or raw.get("transportType")
    transport = str(transport) if transport is not None else None
    url = raw.get("url") or raw.get("serverUrl")
    remote = url is not None or (transport or "").lower() in _REMOTE_TYPES
    oauth = _oauth_marker(raw) if remote else None
    known = _KNOWN_KEYS | (set(_OAUTH_KEYS) if oauth is not None else set())
    dropped = tuple(sorted(k for k in raw if k not in known))
    disabled = raw.get("disabled") is True
    env_raw = raw.get("env") or {}
    headers_raw = raw.get("headers") or {}
    if not isinstance(env_raw, dict) or not isinstance(headers_raw, dict):
        return ForeignServer(name, scope, problem="its env or headers are not an object")
    env = {str(k): _text(v) for k, v in env_raw.items()}
    headers = {str(k): _text(v) for k, v in headers_raw.items()}
    if remote:
        if not isinstance(url, str) or not url.strip():
            return ForeignServer(name, scope, transport=transport, problem="it is a remote server without an address")
        return ForeignServer(
            name,
            scope,
            url=url.strip(),
            headers=headers,
            env=env,
            transport=transport,
            disabled=disabled,
            dropped=dropped,
            oauth=oauth,
        )
    command = raw.get("command")
    if not isinstance(command, str) or not command.strip():
        return ForeignServer(name, scope, problem="it has neither a command nor a url")
    args = raw.get("args") or []
    if not isinstance(args, list):
        return ForeignServer(name, scope, problem="its args are not a list")
    return ForeignServer(
        name,
        scope,
        command=command,
        args=tuple(_text(a) for a in args),
        env=env,
        transport=transport,
        disabled=disabled,
        dropped=dropped,
    )


def _oauth_marker(raw: dict[str, Any]) -> OAuthMarker | None:
    """The OAuth marker of a remote server's entry (`oauth` of VS Code / Claude Code / ours, `auth` of Cursor)."""
    marker = raw.get("oauth")
    cursor = marker is None
    if cursor:
        marker = raw.get("auth")
    if not isinstance(marker, dict):
        return None
    client_id = marker.get("CLIENT_ID" if cursor else "clientId")
    scopes = marker.get("scopes", marker.get("scope"))
    notes: list[str] = []
    if isinstance(scopes, list):
        scopes = " ".join(str(s) for s in scopes)
    if not isinstance(scopes, str) or not scopes.strip():
        scopes = None
    if not isinstance(client_id, str) or not client_id.strip():
        client_id = None
    elif references(client_id):
        notes.append("its OAuth client id refers to a value kept elsewhere; Plugboard registers itself instead")
        client_id = None
    if marker.get("CLIENT_SECRET" if cursor else "clientSecret"):
        notes.append("its OAuth client secret is not carried over: Plugboard signs in as a public client (PKCE)")
    if marker.get("callbackPort") is not None:
        notes.append("its fixed OAuth callback port is not kept: Plugboard's sign-in uses a free loopback port")
    if marker.get("authServerMetadataUrl"):
        notes.append("its sign-in server override is not kept: Plugboard follows the server's own metadata")
    return OAuthMarker(client_id.strip() if client_id else None, scopes, tuple(notes))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def servers_in(client_id: str, data: Mapping[str, Any]) -> list[ForeignServer]:
    """The servers a client's (parsed) config document holds, in file order."""
    fmt = client(client_id)
    found: list[ForeignServer] = []
    block = data.get(fmt.servers_key)
    if client_id == "vscode" and block is None:
        block = data.get("mcpServers")  # some people write Cursor's key in VS Code's file
    if block is not None and not isinstance(block, dict):
        raise PlugboardError(f'"{fmt.servers_key}" in the {fmt.label} file is not an object')
    scope = "user" if client_id == "claude-code" and isinstance(data.get("projects"), dict) else ""
    for name, raw in (block or {}).items():
        found.append(_server(str(name), raw, scope))
    if client_id == "claude-code":
        projects = data.get("projects")
        for project, pdata in projects.items() if isinstance(projects, dict) else ():
            pservers = pdata.get("mcpServers") if isinstance(pdata, dict) else None
            if not isinstance(pservers, dict):
                continue
            for name, raw in pservers.items():
                found.append(_server(str(name), raw, f"project {project}"))
    return found


def read_client(client_id: str, path: Path | None = None) -> tuple[Path, list[ForeignServer]]:
    """(the file read, its servers). `path` defaults to the client's usual user-scope file."""
    target = Path(path).expanduser() if path is not None else default_path(client_id)
    if not target.exists():
        fmt = client(client_id)
        raise NotFoundError(
            f"no {fmt.label} config at {target}; is {fmt.label} set up on this computer? "
            f"Give the file's path: plugboard import {client_id} PATH"
        )
    return target, servers_in(client_id, read_json_file(target))
