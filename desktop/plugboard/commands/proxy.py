"""`plugboard proxy NAME URL [--ssh PROFILE] [--header 'K: V']... [--bearer-secret KEY] [--timeout S]
[--oauth [--client-id ID] [--scope S]]`.

Only argument parsing lives here (cheap: `plugboard --help` and every command's start import it); the bridge itself
is `plugboard.core.bridge.run`, imported when the command runs. The header syntax is documented in
`plugboard.core.bridge.headers`.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "proxy",
        parents=parents,
        help="bridge Claude to a remote MCP server over HTTP (what Claude's config entries run)",
        description=(
            "A stdio MCP server for Claude Desktop that relays every message to the remote MCP server at URL "
            "(Streamable HTTP, or the older HTTP+SSE transport), re-opening the session if the server restarts."
        ),
    )
    parser.add_argument("name", metavar="NAME", help="the connector's name in Claude's config")
    parser.add_argument("url", metavar="URL", help="the remote MCP endpoint, e.g. http://127.0.0.1:5000/mcp")
    parser.add_argument(
        "--ssh",
        metavar="PROFILE",
        help="reach URL through this tunnel profile (`plugboard tunnel add`); URL is as the SSH host sees it",
    )
    parser.add_argument(
        "--header",
        metavar="'K: V'",
        action="append",
        default=[],
        help="send this header; ${secret:KEY} in V is the keyring secret NAME/KEY (repeatable)",
    )
    parser.add_argument(
        "--bearer-secret",
        metavar="KEY",
        help="send `Authorization: Bearer <keyring secret NAME/KEY>`",
    )
    parser.add_argument(
        "--timeout",
        metavar="S",
        type=float,
        default=None,
        help="answer a request with an error if the server has not answered it after S seconds (default 120)",
    )
    parser.add_argument(
        "--oauth",
        action="store_true",
        help="sign in to the server with OAuth (the browser opens on the first start; `plugboard login NAME`)",
    )
    parser.add_argument("--client-id", metavar="ID", help="with --oauth: a client id registered with the server")
    parser.add_argument("--scope", metavar="S", help="with --oauth: the scopes to ask for, space-separated")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from plugboard.core.bridge.run import main

    return main(
        args.name,
        args.url,
        header_specs=list(args.header),
        bearer_secret=args.bearer_secret,
        ssh=args.ssh,
        timeout_s=args.timeout,
        oauth=args.oauth,
        client_id=args.client_id,
        scope=args.scope,
    )
