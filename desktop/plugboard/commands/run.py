"""`plugboard run NAME [--secret KEY]... -- COMMAND [ARGS...]`: the launcher Claude Desktop starts.

Only argument parsing lives here; `plugboard.core.launch.launcher` does the work (its docstring has the process
model).
Everything after `--` belongs to the server, including options that look like ours. argparse cannot express
"options, then `--`, then a command with its own options" after a positional (a REMAINDER positional swallows
`--secret` too), so the words after NAME are split here: `--secret KEY` / `--secret=KEY` up to `--`, the server
command after it. Without `--`, the first word that is not `--secret` starts the command.
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
    parser.set_defaults(handler=lambda args: handle(parser, args))


def handle(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from plugboard.core.entries import split_launcher_words
    from plugboard.core.launch.launcher import main

    split = split_launcher_words(list(args.server))
    if split is None:
        parser.error("--secret needs a KEY")
    more_secrets, server = split
    if not server:
        parser.error("no server command: use `plugboard run NAME [--secret KEY]... -- COMMAND [ARGS...]`")
    return main(args.name, [*args.secret, *more_secrets], server)
