"""`plugboard login NAME` / `plugboard logout NAME`: sign a remote connector in to its server (OAuth), or out.

Only parsing and printing live here: the connector (enabled or switched off) is read from Claude's config, and the
sign-in itself is `core.bridge.oauth.session.sign_in` / `sign_out` (which check that its entry is a
`plugboard proxy … --oauth` entry) — the same calls the app's Sign in button makes. The tokens go to the keyring
and nowhere else; nothing here prints them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "login",
        parents=parents,
        help="sign a remote connector in to its server (OAuth, in your browser)",
        description="Open your browser to sign in to the server of a remote connector added with --oauth. The "
        "sign-in is kept in the system keyring and renewed by itself; every Claude Desktop window uses it.",
    )
    p.add_argument("name", metavar="NAME", help="the connector's name in Claude's config")
    p.set_defaults(handler=cmd_login)

    p = subparsers.add_parser(
        "logout",
        parents=parents,
        help="forget a remote connector's sign-in (OAuth)",
        description="Remove the connector's sign-in from the system keyring and ask its server to revoke it.",
    )
    p.add_argument("name", metavar="NAME", help="the connector's name in Claude's config")
    p.set_defaults(handler=cmd_logout)


def _entry(args: argparse.Namespace) -> Any:
    from plugboard.core.config.connectors import Connectors

    return Connectors.open(args.config).get(args.name).entry


def cmd_login(args: argparse.Namespace) -> int:
    from plugboard.core.bridge.oauth.challenge import host_of
    from plugboard.core.bridge.oauth.session import sign_in

    def show(url: str) -> None:
        print(
            f"Opening your browser to sign in to {host_of(url)}. If no browser opens, visit this address:\n  {url}",
            file=sys.stderr,
            flush=True,
        )

    signed = sign_in(args.name, _entry(args), show_url=show)
    granted = f" ({signed.scope})" if signed.scope else ""
    print(f'Signed in to {signed.host} for "{args.name}"{granted}. The sign-in is kept in the system keyring.')
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    from plugboard.core.bridge.oauth.session import sign_out

    if sign_out(args.name, _entry(args)):
        print(f'Signed "{args.name}" out; its sign-in is no longer in the keyring.')
    else:
        print(f'"{args.name}" was not signed in; nothing to remove.')
    return 0
