"""`plugboard tunnel add | list | remove | up | down | status`: managed SSH tunnels from the command line.

`up NAME` runs the tunnel in the foreground until Ctrl-C or SIGTERM, printing each state change on stderr; the run
record that lets `status` and `down` work from any other process, and stopping it, are `core.tunnel.control`'s.
Unknown host keys are accepted with `--accept-new`, or after a yes/no question when stdin is a terminal; never
silently.

`add` takes explicit flags, a `~/.ssh/config` alias (`--from-ssh-config ALIAS`) or a pasted ssh command after
`--` (`plugboard tunnel add droplet -- ssh -i KEY -L 5000:localhost:5000 root@host`); explicit flags override
what the alias or command says. Secrets are never flags: `--passphrase-stdin` / `--password-stdin` read one
line from stdin into the keyring (connector `tunnel:NAME`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    tunnel = subparsers.add_parser("tunnel", parents=parents, help="managed SSH tunnels (add, list, up, down, status)")
    verbs = tunnel.add_subparsers(dest="tunnel_command", metavar="ACTION", required=True)

    p = verbs.add_parser(
        "add",
        parents=parents,
        help="add a tunnel profile",
        usage="plugboard tunnel add NAME [options] [-- ssh [-p PORT] [-i KEY] [-J JUMP] -L [LPORT:]RHOST:RPORT "
        "user@host]",
        description="Add a tunnel profile from flags, a ~/.ssh/config alias, or a pasted ssh command after `--`.",
    )
    p.add_argument("name")
    p.add_argument("--host", help="SSH server host name or address")
    p.add_argument("--port", type=int, help="SSH server port (default 22)")
    p.add_argument("--user", help="login user")
    auth = p.add_mutually_exclusive_group()
    auth.add_argument("--key", metavar="FILE", help="log in with this private key file (and only it)")
    auth.add_argument("--agent", action="store_true", help="log in with the keys in ssh-agent")
    auth.add_argument("--password", action="store_true", help="log in with a password kept in the keyring")
    p.add_argument("--local-port", type=int, help="local port on 127.0.0.1 (default: a free one, kept)")
    p.add_argument("--remote", metavar="HOST:PORT", help="where the server connects to, e.g. localhost:5000")
    p.add_argument("--jump", metavar="[USER@]HOST[:PORT]", help="reach the server through this jump host")
    p.add_argument("--from-ssh-config", metavar="ALIAS", help="take host, user, port, key, jump from ~/.ssh/config")
    p.add_argument("--auto-start", action="store_true", help="bring this tunnel up when Plugboard starts")
    p.add_argument(
        "--pty-nodelay",
        action="store_true",
        help="run `true` in a pty once per connection so sshd turns Nagle off (for macOS/Windows, where "
        "Plugboard cannot re-arm TCP_QUICKACK; the server logs a short terminal login)",
    )
    p.add_argument("--keepalive-interval", type=float, metavar="S", help="seconds between liveness probes")
    p.add_argument("--keepalive-count", type=int, metavar="N", help="unanswered intervals before reconnecting")
    p.add_argument("--passphrase-stdin", action="store_true", help="read the key passphrase from stdin")
    p.add_argument("--password-stdin", action="store_true", help="read the login password from stdin")
    p.add_argument("--replace", action="store_true", help="overwrite an existing profile of that name")
    p.set_defaults(handler=cmd_add, command_line=[])

    p = verbs.add_parser("list", parents=parents, help="list tunnel profiles and whether they run")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_list)

    p = verbs.add_parser("remove", parents=parents, help="remove a tunnel profile")
    p.add_argument("name")
    p.set_defaults(handler=cmd_remove)

    p = verbs.add_parser("up", parents=parents, help="run a tunnel in the foreground until Ctrl-C or SIGTERM")
    p.add_argument("name")
    p.add_argument("--accept-new", action="store_true", help="trust an unknown host key (shown on stderr)")
    p.add_argument("--json", action="store_true", help="print each state change as a JSON line on stdout")
    p.set_defaults(handler=cmd_up)

    p = verbs.add_parser("down", parents=parents, help="stop a tunnel started by `plugboard tunnel up`")
    p.add_argument("name")
    p.set_defaults(handler=cmd_down)

    p = verbs.add_parser("status", parents=parents, help="state of running tunnels")
    p.add_argument("name", nargs="?")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_status)


# -- add / list / remove
# --------------------------------------------------------------------------------------------


def cmd_add(args: argparse.Namespace) -> int:
    import getpass

    from plugboard.core.errors import PlugboardError
    from plugboard.core.tunnel.profile import TunnelProfile, save_profile
    from plugboard.core.tunnel.sshconfig import from_ssh_command, from_ssh_config, split_forward

    if args.command_line and args.from_ssh_config:
        raise PlugboardError("give either --from-ssh-config or an ssh command after --, not both")
    user = args.user or getpass.getuser()
    base: TunnelProfile | None = None
    if args.command_line:
        base = from_ssh_command(args.name, args.command_line, default_user=user)
    elif args.from_ssh_config:
        base = from_ssh_config(args.name, args.from_ssh_config, forward=_forward_spec(args), default_user=user)
    changes: dict[str, Any] = {}
    if args.host:
        changes["host"] = args.host
    if args.port:
        changes["port"] = args.port
    if args.user:
        changes["user"] = args.user
    if args.key:
        changes.update(auth="key", key_file=args.key)
    elif args.agent:
        changes.update(auth="agent", key_file=None)
    elif args.password:
        changes.update(auth="password", key_file=None)
    if args.local_port is not None:
        changes["local_port"] = args.local_port
    if args.remote:
        _lp, changes["remote_host"], changes["remote_port"] = split_forward(args.remote)
    if args.jump:
        changes["jump"] = args.jump
    if args.auto_start:
        changes["auto_start"] = True
    if args.pty_nodelay:
        changes["pty_nodelay"] = True
    if args.keepalive_interval is not None:
        changes["keepalive_interval_s"] = args.keepalive_interval
    if args.keepalive_count is not None:
        changes["keepalive_count"] = args.keepalive_count
    if base is None:
        if not args.host or not args.remote:
            raise PlugboardError(
                "say where to connect: --host HOST --remote HOST:PORT, --from-ssh-config ALIAS, or -- ssh ... -L ..."
            )
        changes.setdefault("user", user)
        changes.setdefault("auth", "agent")
        profile = TunnelProfile(name=args.name, **changes)
    else:
        profile = base.with_changes(**changes)
    secrets = _read_secrets(args, profile)
    save_profile(profile, replace_existing=args.replace)
    if secrets:
        from plugboard.core.secrets.keyring import set_secret

        for key, value in secrets.items():
            set_secret(profile.secret_connector, key, value)
    print(f"tunnel {profile.name}: {profile.describe()} ({profile.auth} login)")
    if profile.auth == "key" and not secrets:
        print(
            f"if the key has a passphrase: plugboard secret set {profile.secret_connector} passphrase",
            file=sys.stderr,
        )
    return 0


def _forward_spec(args: argparse.Namespace) -> str | None:
    if not args.remote:
        return None
    return f"{args.local_port or 0}:{args.remote}"


def _read_secrets(args: argparse.Namespace, profile: Any) -> dict[str, str]:
    from plugboard.core.errors import PlugboardError
    from plugboard.core.tunnel.profile import PASSPHRASE_KEY, PASSWORD_KEY

    wanted = [k for k, on in ((PASSPHRASE_KEY, args.passphrase_stdin), (PASSWORD_KEY, args.password_stdin)) if on]
    from plugboard.commands.prompts import read_hidden

    values: dict[str, str] = {}
    for key in wanted:
        value = read_hidden(f"{key} for {profile.user}@{profile.host}", key)
        if not value:
            raise PlugboardError(f"no {key} given on stdin; nothing was saved")
        values[key] = value
    return values


def cmd_list(args: argparse.Namespace) -> int:
    from plugboard.core.tunnel.profile import load_profiles
    from plugboard.core.tunnel.runfile import read_record

    profiles = load_profiles()
    records = {name: read_record(name) for name in profiles}
    if args.json:
        rows = [
            {
                "name": name,
                **profile.to_dict(),
                "running": records[name] is not None,
                "state": records[name].to_dict() if records[name] else None,  # type: ignore[union-attr]
            }
            for name, profile in profiles.items()
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not profiles:
        print("no tunnels yet (plugboard tunnel add NAME -- ssh -L LPORT:HOST:PORT user@server)")
        return 0
    for name, profile in profiles.items():
        record = records[name]
        state = str(record.state.get("text")) if record else "not running"
        print(f"{name}\t{profile.describe()}\t{state}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from plugboard.core.tunnel.control import remove_profile

    remove_profile(args.name)
    print(f"removed tunnel {args.name}")
    return 0


# -- up / down / status
# ---------------------------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:
    import logging

    from plugboard.core.errors import PlugboardError
    from plugboard.core.tunnel.control import run_until_stopped, stop_on_signals
    from plugboard.core.tunnel.profile import load_profile

    # paramiko logs every dropped socket at ERROR; the tunnel's own state line already says what happened.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    profile = load_profile(args.name)

    def on_state(state: Any) -> None:
        print(f"plugboard: tunnel {profile.name}: {state.describe()}", file=sys.stderr, flush=True)
        if args.json:
            print(json.dumps({"name": profile.name, **state.to_dict()}), flush=True)

    with stop_on_signals() as stop:
        final = run_until_stopped(profile, stop, confirm_host_key=_host_key_consent(args.accept_new), on_state=on_state)
    if final.kind == "failed" and final.problem is not None:
        raise PlugboardError(f"tunnel {profile.name}: {final.problem.message}")
    return 0


def _host_key_consent(accept_new: bool) -> Any:
    def confirm(error: Any) -> bool:
        where = f"{error.host}:{error.port}"
        if accept_new:
            print(
                f"plugboard: trusting new host {where}, {error.key_type} key {error.fingerprint} (--accept-new)",
                file=sys.stderr,
            )
            return True
        if not sys.stdin.isatty():
            return False  # the error message tells the user about --accept-new
        # The question goes to stderr: stdout may be carrying --json lines.
        print(
            f"The host {where} is not known. Its {error.key_type} key fingerprint is\n  {error.fingerprint}\n"
            "Check it with the server's owner. Trust this host? [y/N] ",
            end="",
            file=sys.stderr,
            flush=True,
        )
        answer = sys.stdin.readline()
        return answer.strip().lower() in {"y", "yes"}

    return confirm


def cmd_down(args: argparse.Namespace) -> int:
    from plugboard.core.tunnel.control import stop_running

    stop_running(args.name)
    print(f"tunnel {args.name} stopped")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from plugboard.core.tunnel.profile import load_profile, load_profiles
    from plugboard.core.tunnel.runfile import read_record

    names = [load_profile(args.name).name] if args.name else list(load_profiles())
    rows = []
    for name in names:
        record = read_record(name)
        rows.append(record.to_dict() if record else {"name": name, "state": "stopped", "text": "not running"})
    if args.json:
        print(json.dumps(rows[0] if args.name else rows, indent=2))
        return 0
    if not rows and not args.name:
        print("no tunnels yet")
    for row in rows:
        print(f"{row['name']}\t{row['text']}")
    return 0
