"""The `plugboard` command.

Each sub-command group lives in `plugboard.commands.<group>` and exposes `register(subparsers, parents)`. Registering
is cheap (argparse only); a handler imports what it needs when it runs, so `plugboard run` and `plugboard proxy`,
which Claude Desktop starts for every connector, never load Qt, httpx or the MCP SDK unless they use them.

The registry is explicit: every group is imported by a written-out `from plugboard.commands import ...` statement,
never by a name computed at run time. A freezer (PyInstaller, packaging/) follows written imports only; a group
imported by name would silently vanish from a frozen build (`invalid choice: 'proxy' (choose from )`). A group that
cannot be imported is an error, not a shorter `--help`. tests/unit/test_cli_registry.py checks that every module
in `plugboard.commands` with a `register` function is listed here, and the package smoke test (packaging/smoke.py)
that every sub-command is present in the built command.

Exit codes (DESIGN.md): 0 ok, 1 failure with a one-line reason on stderr, 2 usage. The reason, and any notice the
core emits meanwhile (`core.notices`: "put back X"), are printed on stderr through `commands.terminal.safe`, so
text from Claude's file cannot drive the terminal or add lines.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from types import ModuleType


def _all_groups() -> tuple[ModuleType, ...]:
    """Every command group, in the order of `plugboard --help`."""
    from plugboard.commands import (
        auth,
        backups,
        catalog,
        claude,
        clients,
        connectors,
        doctor,
        gui,
        logs,
        proxy,
        relink,
        run,
        secrets,
        tunnel,
    )

    return (
        connectors,
        relink,
        backups,
        secrets,
        auth,
        run,
        doctor,
        logs,
        tunnel,
        proxy,
        claude,
        clients,
        catalog,
        gui,
    )


def _run_group() -> ModuleType:
    from plugboard.commands import run

    return run


def _proxy_group() -> ModuleType:
    from plugboard.commands import proxy

    return proxy


# Claude Desktop starts these for every connector at once: import and build only their own group (0.3 ms instead of
# ~26 ms for every group's parser, measured by tests/benchmarks/bench_launcher.py).
FAST_PATHS: dict[str, Callable[[], ModuleType]] = {"run": _run_group, "proxy": _proxy_group}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    # `--config` is accepted before or after the sub-command: `plugboard --config X list`, `plugboard list --config X`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="Claude Desktop config file to use (default: found automatically; env PLUGBOARD_CLAUDE_CONFIG)",
    )
    parser = argparse.ArgumentParser(
        prog="plugboard",
        description="Manage Claude Desktop's MCP connectors. With no command, opens the Plugboard app.",
        parents=[common],
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (FAST_PATHS[only](),) if only else _all_groups():
        module.register(subparsers, [common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from plugboard.core.errors import PlugboardError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv and argv[0] in FAST_PATHS else None)
    args = _parse(parser, argv)
    if not hasattr(args, "config"):
        args.config = None
    handler = getattr(args, "handler", None)
    if handler is None:
        from plugboard.commands.gui import open_app

        handler = open_app
    from plugboard.commands.terminal import safe
    from plugboard.core import notices

    def tell(notice: notices.Notice) -> None:
        print(f"plugboard: {safe(notice.text)}", file=sys.stderr, flush=True)

    # `run` and `proxy` talk to Claude Desktop on stdio and log elsewhere; every other command says what the core
    # did on its own.
    stop_telling = None if argv and argv[0] in FAST_PATHS else notices.subscribe(tell)
    try:
        return int(handler(args) or 0)
    except PlugboardError as exc:
        message = str(exc)
        if args.config:  # a suggested command must act on the same file
            message = message.replace("`plugboard repair", f"`plugboard --config {shlex.quote(args.config)} repair")
        print(f"plugboard: {safe(message)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `plugboard backups | head -1`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a disk or permission problem the code did not foresee: still one line, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"plugboard: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("plugboard: interrupted", file=sys.stderr)
        return 130
    finally:
        if stop_telling is not None:
            stop_telling()


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse argv; for commands that run a command line (`set_defaults(command_line=[])`), everything after the
    first `--` is that command line, untouched by argparse (its `-y`, `--port`, even a second `--`, are the server's).
    """
    if "--" in argv:
        cut = argv.index("--")
        head, tail = argv[:cut], argv[cut + 1 :]
        args = _parse_all(parser, head)
        if isinstance(getattr(args, "command_line", None), list):
            args.command_line = tail
            return args
    return _parse_all(parser, argv)


def _parse_all(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """`parse_args`, except that an argument nobody knows is refused by the sub-command it was given to, so the
    usage printed is that command's (`plugboard list --jsn` shows `list`'s options, not the top-level list)."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        _chosen(parser, args).error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def _chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost sub-command's parser that `args` went through."""
    while True:
        group = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        name = getattr(args, group.dest, None) if group is not None and group.dest != argparse.SUPPRESS else None
        if group is None or name not in group.choices:
            return parser
        parser = group.choices[name]


if __name__ == "__main__":
    raise SystemExit(main())
