"""Reading a secret value from the person at the terminal: a hidden prompt, or one line of stdin when stdin is not
a terminal (scripts, tests). Never from the argument list, where other users' `ps` would see it."""

from __future__ import annotations

import sys

from plugboard.core.errors import PlugboardError


def read_hidden(prompt: str, key: str) -> str:
    """One value, possibly empty."""
    if sys.stdin is None:
        raise PlugboardError(f"no value for {key}: give it on stdin")
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"{prompt} (input hidden): ")
    return sys.stdin.readline().rstrip("\r\n")


def read_secret_value(connector: str, key: str) -> str:
    """A required value: an empty one is refused, so nothing empty is ever stored."""
    from plugboard.core.config.adding import empty_secret_problem

    value = read_hidden(f"{key} for {connector}", key)
    if not value:
        raise PlugboardError(empty_secret_problem(key))
    return value
