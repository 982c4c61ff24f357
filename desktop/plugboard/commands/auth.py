"""`plugboard login NAME` / `plugboard logout NAME`: sign a remote connector in to its server (OAuth), or out.

Only parsing and printing live here: the connector's entry is read through `core.entries` (it must be a
`plugboard proxy … --oauth` entry, enabled or switched off), and the sign-in itself is
`core.bridge.oauth.session.OAuthSession`. The tokens go to the keyring and nowhere else; nothing here prints them.
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


def _session(args: argparse.Namespace) -> Any:
    from plugboard.core.bridge.oauth.entry import signing_entry
    from plugboard.core.bridge.oauth.session import OAuthSession
    from plugboard.core.config.connectors import Connectors

    connector = Connectors.open(args.config).get(args.name)
    return OAuthSession.for_entry(signing_entry(connector.name, connector.entry))


def cmd_login(args: argparse.Namespace) -> int:
    from plugboard.core.bridge.oauth.challenge import host_of

    session = _session(args)

    def show(url: str) -> None:
        print(
            f"Opening your browser to sign in to {host_of(url)}. If no browser opens, visit this address:\n  {url}",
            file=sys.stderr,
            flush=True,
        )

    try:
        signed = session.login(show_url=show)
    finally:
        session.close()
    granted = f" ({signed.scope})" if signed.scope else ""
    print(f'Signed in to {signed.host} for "{args.name}"{granted}. The sign-in is kept in the system keyring.')
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    session = _session(args)
    try:
        existed = session.logout()
    finally:
        session.close()
    if existed:
        print(f'Signed "{args.name}" out; its sign-in is no longer in the keyring.')
    else:
        print(f'"{args.name}" was not signed in; nothing to remove.')
    return 0
