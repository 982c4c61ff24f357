"""`plugboard list | add | remove | enable | disable | repair`: connectors in Claude's config.

Names and command lines come from Claude's file: every one printed goes through `terminal.safe` (the table) or
JSON escaping (`--json`, which falls back to ASCII escapes when a lone surrogate could not be printed as UTF-8).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from plugboard.commands.terminal import safe


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("list", parents=parents, help="list connectors (enabled and disabled)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_list)

    p = subparsers.add_parser(
        "add",
        parents=parents,
        help="add a connector: plugboard add NAME [--env K=V]... [--secret K]... -- COMMAND [ARGS...]",
        usage="plugboard add NAME [--env K=V]... [--secret KEY]... -- COMMAND [ARGS...]\n"
        "       plugboard add NAME --remote URL [--ssh PROFILE] [--header 'K: V']... [--bearer-secret KEY]\n"
        "       plugboard add NAME --remote URL --oauth [--client-id ID] [--scope S]",
        description="Add a connector to Claude's config. It runs through Plugboard's launcher (`plugboard run`), "
        "which finds the program where Claude cannot (nvm, Homebrew, ~/.local/bin…), keeps its log and status, and "
        "hands it its --secret values from the OS keyring (asked for once, with a hidden prompt or on stdin).",
    )
    p.add_argument("name")
    p.add_argument("--env", action="append", default=[], metavar="K=V", help="a plain environment variable")
    p.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="KEY",
        help="an environment variable kept in the OS keyring (asked for if not set yet)",
    )
    p.add_argument(
        "--plain",
        action="store_true",
        help="write the bare command (Claude starts it directly: no PATH repair, status or log by Plugboard)",
    )
    remote = p.add_argument_group("a remote server (through `plugboard proxy`) instead of a command")
    remote.add_argument(
        "--remote", metavar="URL", help="the remote MCP server's address, e.g. http://127.0.0.1:5000/mcp"
    )
    remote.add_argument(
        "--ssh", metavar="PROFILE", help="reach it through this tunnel profile (`plugboard tunnel add`)"
    )
    remote.add_argument(
        "--header", action="append", default=[], metavar="'K: V'", help="a header; ${secret:KEY} for secrets"
    )
    remote.add_argument("--bearer-secret", metavar="KEY", help="send the keyring secret KEY as a bearer token")
    remote.add_argument("--oauth", action="store_true", help="the server asks for a sign-in (`plugboard login NAME`)")
    remote.add_argument("--client-id", metavar="ID", help="with --oauth: a client id registered with the server")
    remote.add_argument("--scope", metavar="S", help="with --oauth: the permissions to ask for (space-separated)")
    p.set_defaults(handler=cmd_add, command_line=[])

    for verb, text in (
        ("remove", "remove a connector (enabled or disabled)"),
        ("enable", "switch a disabled connector back on"),
        ("disable", "switch a connector off (kept by Plugboard, byte for byte)"),
    ):
        p = subparsers.add_parser(verb, parents=parents, help=text)
        p.add_argument("name")
        if verb != "remove":
            p.add_argument(
                "--restart",
                action="store_true",
                help="if Claude Desktop runs: quit it, write, start it again, and check it kept the change",
            )
        p.set_defaults(handler=cmd_change, verb=verb)

    p = subparsers.add_parser("repair", parents=parents, help="offer to fix a config Claude cannot read")
    p.add_argument("--yes", action="store_true", help="apply without asking")
    p.set_defaults(handler=cmd_repair)


def _connectors(args: argparse.Namespace) -> Any:
    from plugboard.core.config.connectors import Connectors

    return Connectors.open(args.config)


def cmd_list(args: argparse.Namespace) -> int:
    from plugboard.core import install

    connectors = _connectors(args)
    items = connectors.all()
    statuses = _statuses(items)
    # What each launcher/proxy entry's `plugboard` path leads to (core/install.py: current, direct, other, missing).
    links = {c.name: install.link_state(c.command) for c in items if c.via_plugboard}
    if args.json:
        rows = [dict(c.to_json(), status=statuses.get(c.name), plugboard_path=links.get(c.name)) for c in items]
        text = json.dumps(rows, indent=2, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a `\ud800` escape in the file: keep it escaped
            text = json.dumps(rows, indent=2)
        print(text)
        return 0
    if not items:
        from plugboard.core.claude.first_run import claude_setup

        print(claude_setup(connectors.discovery).message or f"No connectors in {connectors.path}.")
        print("Add one with `plugboard catalog add ID` (see `plugboard catalog`) or `plugboard add NAME -- COMMAND`.")
        return 0
    rows_text = [
        (
            safe(c.name),
            "on" if c.enabled else "off",
            c.kind,
            safe(statuses.get(c.name) or ""),
            safe(c.address or " ".join(c.server_command)),
        )
        for c in items
    ]
    header = ("NAME", "ENABLED", "KIND", "STATUS", "COMMAND")
    widths = [max(len(r[i]) for r in [header, *rows_text]) for i in range(4)]
    for row in [header, *rows_text]:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    stale = [c for c in items if links.get(c.name) in install.STALE_STATES]
    if stale:
        from plugboard.core.config.relink import Link

        print()
        for c in stale:
            print(safe(Link(c.name, c.enabled, c.command, links[c.name]).explain()) + ".")
        print("Run `plugboard relink` to make them use this Plugboard.")
    return 0


# The status of an entry Claude Desktop cannot start (`{"url": …}`): what is wrong and the command that fixes it.
NOT_STARTABLE_STATUS = "cannot start: no program (plugboard repair)"


def _statuses(items: list[Any]) -> dict[str, str]:
    """Status of connectors started through `plugboard run`/`proxy` (running / exited 1 / …); others are not watched,
    except one that names no program at all, which says so."""
    from plugboard.core.launch.status import connector_status_label

    statuses = {c.name: connector_status_label(c.name) for c in items if c.via_plugboard}
    statuses.update({c.name: NOT_STARTABLE_STATUS for c in items if c.problem is not None})
    return statuses


def cmd_add(args: argparse.Namespace) -> int:
    """Fill the connector form (`core.config.form`) from the flags; the form's rules refuse what the app refuses."""
    from plugboard.core.config.adding import refuse
    from plugboard.core.config.form import ConnectorForm, EnvVar
    from plugboard.core.errors import PlugboardError

    if args.remote:
        return _add_remote(args)
    if args.oauth or args.client_id is not None or args.scope is not None:
        raise PlugboardError("--oauth, --client-id and --scope are for a remote server: add --remote URL")
    argv = args.command_line
    if not argv:
        raise PlugboardError(
            "say what to run after `--`, e.g. "
            "plugboard add files -- npx -y @modelcontextprotocol/server-filesystem ~/Documents"
        )
    env: list[EnvVar] = []
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise PlugboardError(f"--env takes KEY=VALUE, got {item!r}")
        env.append(EnvVar(key, value))
    env += [EnvVar(key, secret=True) for key in args.secret]
    form = ConnectorForm(args.name, argv[0], argv[1:], env, plain=args.plain)
    refuse(form.problems())  # before asking for any secret value
    connectors = _connectors(args)
    if form.secret_keys:
        from plugboard.commands.prompts import read_hidden
        from plugboard.core.secrets import keyring as secrets

        stored = set()
        for var in form.env:
            if not var.secret:
                continue
            if secrets.get_secret(args.name, var.key) is not None:
                stored.add(var.key)
                change = f"plugboard secret set {args.name} {var.key}"
                print(safe(f"Using the {var.key} already in the keyring for {args.name} (to change it: {change})."))
            else:
                var.value = read_hidden(f"{var.key} for {args.name}", var.key)
        refuse(form.problems(has_secret=lambda _name, key: key in stored))
    form.save(connectors)
    _warn_if_missing(argv[0])
    print(
        f'Added "{safe(args.name)}" to {safe(str(connectors.path))}. '
        "Restart Claude Desktop to use it (plugboard claude restart)."
    )
    return 0


def _warn_if_missing(command: str) -> None:
    """Say now, not when Claude starts it, that the program is not installed (adding it anyway is allowed)."""
    from plugboard.core.errors import PlugboardError
    from plugboard.core.launch.resolve import resolve_command

    try:
        resolve_command(command)
    except PlugboardError as exc:
        print(f"plugboard: warning: {exc}", file=sys.stderr)


def _add_remote(args: argparse.Namespace) -> int:
    from plugboard.core.bridge.headers import secret_keys
    from plugboard.core.bridge.run import proxy_entry
    from plugboard.core.config.adding import check_name
    from plugboard.core.errors import PlugboardError
    from plugboard.core.secrets import keyring as secrets

    if args.command_line or args.env or args.secret:
        raise PlugboardError("--remote takes no command, --env or --secret (use --header / --bearer-secret)")
    check_name(args.name)  # before asking for any secret value
    if args.ssh:
        from plugboard.core.tunnel.profile import load_profile

        load_profile(args.ssh)  # a typo here would only show when Claude starts the connector
    entry = proxy_entry(args.name, args.remote, ssh=args.ssh, headers=args.header, bearer_secret=args.bearer_secret)
    oauth = args.oauth or args.client_id is not None or args.scope is not None
    if oauth:
        from plugboard.core.bridge.oauth.entry import with_oauth

        entry = with_oauth(entry, client_id=args.client_id, scope=args.scope)
    wanted = [args.bearer_secret] if args.bearer_secret else []
    wanted += [key for spec in args.header for key in secret_keys(spec)]
    for key in wanted:
        if secrets.get_secret(args.name, key) is None:
            from plugboard.commands.prompts import read_secret_value

            secrets.set_secret(args.name, key, read_secret_value(args.name, key))
    connectors = _connectors(args)
    connectors.add(args.name, entry)
    via = f" through the tunnel {args.ssh}" if args.ssh else ""
    from plugboard.core.bridge.url import display_url

    where = display_url(args.remote) + via
    print(f'Added "{safe(args.name)}" ({safe(where)}). Restart Claude Desktop to use it (plugboard claude restart).')
    if oauth:
        print(f"Sign in to it once with `plugboard login {safe(args.name)}`.")
    return 0


def cmd_change(args: argparse.Namespace) -> int:
    connectors = _connectors(args)
    current = connectors.get(args.name)
    if args.verb in ("enable", "disable") and current.enabled == (args.verb == "enable"):
        print(f'"{safe(args.name)}" is already {"on" if current.enabled else "off"}; nothing changed.')
        return 0
    kept = current.secret_keys if args.verb == "remove" else []
    if args.verb != "remove":
        from plugboard.core.claude.app import ClaudeApp

        claude = ClaudeApp(config_override=args.config)
        if claude.status().running:
            return _change_while_claude_runs(args, connectors, claude)
    getattr(connectors, args.verb)(args.name)
    if kept:
        keys = ", ".join(kept)
        print(
            f"Its secrets ({safe(keys)}) stay in the keyring; delete them with: "
            f"plugboard secret delete {safe(args.name)} KEY"
        )
    done = {"remove": "Removed", "enable": "Enabled", "disable": "Disabled"}[args.verb]
    print(f'{done} "{safe(args.name)}". Restart Claude Desktop to apply (plugboard claude restart).')
    return 0


def _change_while_claude_runs(args: argparse.Namespace, connectors: Any, claude: Any) -> int:
    """Claude Desktop may write its cached copy over a file changed under it (FACTS.md §A)."""
    wanted = args.verb == "enable"
    if not args.restart:
        getattr(connectors, args.verb)(args.name)
        print(
            f'{"Enabled" if wanted else "Disabled"} "{safe(args.name)}", but Claude Desktop is running: it may '
            "write its own copy over this change. Apply it now with `plugboard claude restart` (or use --restart)."
            + (" Until then Plugboard keeps a copy and puts it back if Claude drops it." if wanted else "")
        )
        return 0
    from plugboard.core.config.apply import apply_changes

    def progress(waited: float) -> None:
        print(f"waiting for Claude Desktop to quit… {waited:.0f} s", file=sys.stderr, flush=True)

    outcome = apply_changes(connectors, {args.name: wanted}, claude, progress=progress)
    print(outcome.message)
    return 0 if outcome.ok and not outcome.restored_after_wipe else 1


def cmd_repair(args: argparse.Namespace) -> int:
    from plugboard.core.config import claude_file as claude_config
    from plugboard.core.config.repair import plan_repair
    from plugboard.core.errors import ConfigError

    connectors = _connectors(args)
    path = connectors.path
    raw = claude_config.read_raw(path)
    if raw is None:
        print(f"{path} does not exist; nothing to repair.")
        return 0
    try:
        claude_config.parse(path, raw)
    except ConfigError:
        pass
    else:
        return _connect_web_entries(args, connectors)
    plan = plan_repair(path, raw)
    print(f"Plugboard can repair {path}:")
    for action in plan.actions:
        print(f"  - {action}")
    if not args.yes:
        print("Apply these changes? A backup is kept. [y/N] ", end="", flush=True)
        answer = (sys.stdin.readline() if sys.stdin is not None else "").strip().lower()
        if not sys.stdin or not sys.stdin.isatty():
            print(answer)
        if answer not in ("y", "yes"):
            print("Nothing changed.")
            return 1
    claude_config.write_bytes(path, plan.data, connectors.dirs, reason="before-repair", expected=raw)
    print("Repaired. The previous version is in `plugboard backups`.")
    return 0


def _ask(question: str) -> bool:
    print(f"{question} [y/N] ", end="", flush=True)
    answer = (sys.stdin.readline() if sys.stdin is not None else "").strip().lower()
    if not sys.stdin or not sys.stdin.isatty():
        print(answer)
    return answer in ("y", "yes")


def _connect_web_entries(args: argparse.Namespace, connectors: Any) -> int:
    """The second half of `repair`: entries Claude Desktop cannot start because they name a web address instead of
    a program (`{"url": …}`) become `plugboard proxy` connectors (`clients.remote_entries`), after consent."""
    from plugboard.core.clients.remote_entries import connect, convertible, plan_connect
    from plugboard.core.errors import PlugboardError

    path = connectors.path
    found = convertible(connectors.all())
    if not found:
        print(f"{path} is fine; nothing to repair.")
        return 0
    plans, refused = [], []
    for connector in found:
        try:
            plans.append(plan_connect(connector.name, connector.entry))
        except PlugboardError as exc:
            refused.append(str(exc))
    for reason in refused:
        print(safe(reason))
    if not plans:
        return 1
    print(f"Claude Desktop cannot start these connectors in {path}: each names a web address, not a program.")
    print("Plugboard can connect them through its bridge (`plugboard proxy NAME URL`):")
    for plan in plans:
        moved = f"; {', '.join(plan.secrets)} to the keyring" if plan.secrets else ""
        print(f"  - {safe(plan.name)} → plugboard proxy {safe(plan.name)} {safe(plan.url)}{moved}")
        for note in plan.notes:
            print(f"      {safe(note)}")
    if not args.yes and not _ask("Apply these changes? A backup is kept."):
        print("Nothing changed.")
        return 1
    for plan in plans:
        outcome = connect(connectors, plan.name)
        print(f"{safe(plan.name)} now runs through `plugboard proxy`.")
        if outcome.scrubbed:
            print(f"  The token was also removed from {outcome.scrubbed} older backup(s).")
        for key in outcome.missing:
            print(f"  Set {key} before it can connect: plugboard secret set {safe(plan.name)} {key}")
    print("The previous version is in `plugboard backups`. Restart Claude Desktop to load the change.")
    return 1 if refused else 0
