"""`plugboard gui` (and `plugboard` with no command): open the desktop app. Qt is imported only here."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("gui", parents=parents, help="open the Plugboard app (the default)")
    p.set_defaults(handler=open_app)


def open_app(args: argparse.Namespace) -> int:
    from plugboard.gui.app import run_app

    return run_app(getattr(args, "config", None))
