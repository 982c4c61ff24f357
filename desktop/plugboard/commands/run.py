"""`plugboard run NAME [--secret KEY]... -- COMMAND [ARGS...]`: the launcher Claude Desktop starts.

Only argument parsing lives here; `plugboard.core.launcher` does the work (its docstring has the process
model).
Everything after `--` belongs to the server, including options that look like ours.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        parents=parents,
        help="start a connector's server with its secrets (what Claude's config entries run)",
        description=(
            "Start COMMAND with each --secret KEY read from the keyring into its environment, stdin/stdout "
            "handed straight through, stderr logged with secrets masked, and a status record for "
            "`plugboard list`."
        ),
    )
    parser.add_argument("name", metavar="NAME", help="the connector's name in Claude's config")
    parser.add_argument(
        "--secret",
        metavar="KEY",
        action="append",
        default=[],
        help="environment variable to fill from the keyring entry NAME/KEY (repeatable)",
    )
    parser.add_argument("server", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from plugboard.core.launcher import main

    server = list(args.server)
    if server and server[0] == "--":
        server = server[1:]
    return main(args.name, args.secret, server)
