"""Tunnel profiles from what users already have: a `~/.ssh/config` Host alias or a pasted `ssh` command.

`from_ssh_config` reads HostName, User, Port, IdentityFile, ProxyJump (and a LocalForward if the alias has
one) with paramiko's `SSHConfig`, which does not follow `Include` lines (FACTS.md §C.10); `expand_includes`
inlines them first, as OpenSSH reads them.

`from_ssh_command` understands the command line people paste from a server's README: `ssh [-p PORT] [-i KEY]
[-J JUMP] [-l USER] [-o Key=Value]... -L [[127.0.0.1:]LPORT:]RHOST:RPORT [user@]host`, ignoring the flags that
only shape an interactive session (-N, -T, -f, -q, -v, -C, -4, -6, -A...). The destination is looked up in the
ssh config as ssh itself would, so `ssh -L 5000:localhost:5000 droplet` works with an alias. A bind address
other than loopback is refused: Plugboard binds 127.0.0.1 only (FACTS.md §C.1).
"""

from __future__ import annotations

import glob
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import paramiko

from plugboard.core.errors import PlugboardError
from plugboard.core.tunnel.profile import AuthMethod, TunnelProfile

# ssh flags that take no argument and change nothing about the forward.
_FLAGS_WITHOUT_VALUE = set("46AaCfGgKkMNnqsTtVvXxYy")
# ssh flags that take an argument we do not use.
_FLAGS_WITH_IGNORED_VALUE = set("BbcDEeFIimOQRSWw")
# OpenSSH's own limit on nested Include (READCONF_MAX_DEPTH).
MAX_INCLUDE_DEPTH = 16
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def default_ssh_config_path() -> Path:
    return Path.home() / ".ssh" / "config"


def _lookup(alias: str, config_path: Path | None) -> dict[str, Any]:
    path = config_path if config_path is not None else default_ssh_config_path()
    if not path.exists():
        return {"hostname": alias}
    try:
        config = paramiko.SSHConfig.from_text(expand_includes(path))
    except (OSError, UnicodeDecodeError, paramiko.ssh_exception.ConfigParseError) as exc:
        raise PlugboardError(f"{path}: cannot read the ssh config: {exc}") from exc
    return dict(config.lookup(alias))


def ssh_config_aliases(path: Path) -> list[str]:
    """The Host aliases of an ssh config (Include followed), without wildcard patterns; [] when there is none."""
    if not path.exists():
        return []
    try:
        config = paramiko.SSHConfig.from_text(expand_includes(path))
    except (OSError, UnicodeDecodeError, paramiko.ssh_exception.ConfigParseError, PlugboardError):
        return []
    return sorted(h for h in config.get_hostnames() if not set(h) & set("*?!"))


def expand_includes(path: Path, depth: int = 0) -> str:
    """The config text with every `Include` line replaced by the files it names, as OpenSSH reads them.

    paramiko's SSHConfig ignores Include (FACTS.md §C.10), and many setups keep their hosts in included files
    (`Include config.d/*`, OrbStack, Colima). OpenSSH treats an included file as if its lines stood at the Include,
    inside the current Host/Match block; inlining the text does the same. Relative paths are taken from ~/.ssh
    (OpenSSH's rule for the user config); globs expand in sorted order; missing files are skipped, as OpenSSH does.
    """
    if depth > MAX_INCLUDE_DEPTH:
        raise PlugboardError(f"{path}: Include nested more than {MAX_INCLUDE_DEPTH} deep (a loop?)")
    lines: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.strip().split(None, 1)
        key = words[0].lower().rstrip("=") if words else ""
        if key != "include" or len(words) < 2:
            lines.append(line)
            continue
        for pattern in shlex.split(words[1].lstrip("= ")):
            expanded = Path(pattern).expanduser()
            if not expanded.is_absolute():
                expanded = Path.home() / ".ssh" / expanded
            for match in sorted(glob.glob(str(expanded))):
                if Path(match).is_file():
                    lines.append(expand_includes(Path(match), depth + 1))
    return "\n".join(lines) + "\n"


def split_forward(spec: str) -> tuple[int, str, int]:
    """`[[bind:]LPORT:]RHOST:RPORT` → (local_port or 0, remote_host, remote_port)."""
    parts: list[str] = []
    rest = spec
    while rest:
        if rest.startswith("["):
            inner, sep, rest = rest[1:].partition("]")
            if not sep:
                raise PlugboardError(f"-L {spec}: unbalanced '['")
            parts.append(inner)
            rest = rest[1:] if rest.startswith(":") else rest
        else:
            head, _, rest = rest.partition(":")
            parts.append(head)
    if len(parts) == 4:
        bind = parts.pop(0)
        if bind not in _LOOPBACK:
            raise PlugboardError(f"-L {spec}: Plugboard only listens on 127.0.0.1, not on {bind!r}")
    if len(parts) == 2:
        parts.insert(0, "0")
    if len(parts) != 3:
        raise PlugboardError(f"-L {spec}: expected [LOCAL_PORT:]REMOTE_HOST:REMOTE_PORT")
    try:
        local_port, remote_port = int(parts[0]), int(parts[2])
    except ValueError:
        raise PlugboardError(f"-L {spec}: ports must be numbers") from None
    if not parts[1]:
        raise PlugboardError(f"-L {spec}: the remote host is empty")
    return local_port, parts[1], remote_port


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value) if value is not None else None


def _profile_from(
    name: str,
    settings: dict[str, Any],
    forward: tuple[int, str, int] | None,
    *,
    default_user: str | None,
) -> TunnelProfile:
    if forward is None:
        local_forward = _first(settings.get("localforward"))
        if local_forward is None:
            raise PlugboardError("no port forward given (add -L [LOCAL_PORT:]REMOTE_HOST:REMOTE_PORT)")
        # LocalForward is "[bind:]port host:hostport".
        listen, _, target = local_forward.partition(" ")
        forward = split_forward(f"{listen}:{target.strip()}")
    local_port, remote_host, remote_port = forward
    user = settings.get("user") or default_user
    if not user:
        raise PlugboardError("no user given (write user@host, -l USER, or a User line in ~/.ssh/config)")
    key_file = _first(settings.get("identityfile"))
    auth: AuthMethod = "key" if key_file else "agent"
    jump = _first(settings.get("proxyjump"))
    if jump and "," in jump:
        raise PlugboardError(f"ProxyJump {jump!r}: Plugboard supports one jump host, not a chain")
    if jump and jump.lower() == "none":
        jump = None
    return TunnelProfile(
        name=name,
        host=str(settings.get("hostname")),
        port=int(settings.get("port", 22)),
        user=str(user),
        auth=auth,
        key_file=str(Path(key_file).expanduser()) if key_file else None,
        jump=jump,
        local_port=local_port,
        remote_host=remote_host,
        remote_port=remote_port,
    )


def from_ssh_config(
    name: str,
    alias: str,
    *,
    forward: str | None = None,
    config_path: Path | None = None,
    default_user: str | None = None,
) -> TunnelProfile:
    """A profile for ssh config Host `alias`; `forward` is an `-L` spec unless the alias has LocalForward."""
    settings = _lookup(alias, config_path)
    return _profile_from(name, settings, split_forward(forward) if forward else None, default_user=default_user)


def from_ssh_command(
    name: str,
    argv: Sequence[str] | str,
    *,
    config_path: Path | None = None,
    default_user: str | None = None,
) -> TunnelProfile:
    """A profile from a pasted `ssh ... -L ... host` command line (list of words or one string)."""
    words = shlex.split(argv) if isinstance(argv, str) else list(argv)
    program = Path(words[0]).name if words else ""
    if program in ("scp", "sftp", "rsync", "mosh"):
        raise PlugboardError(
            f"that is a `{program}` command; paste the `ssh -L LOCAL:HOST:PORT user@server` command "
            "you use for the tunnel"
        )
    if program == "ssh":
        words = words[1:]
    explicit: dict[str, Any] = {}
    forward: tuple[int, str, int] | None = None
    destination: str | None = None
    i = 0

    def value_of(flag: str, attached: str) -> str:
        nonlocal i
        if attached:
            return attached
        i += 1
        if i >= len(words):
            raise PlugboardError(f"ssh -{flag} needs a value")
        return words[i]

    while i < len(words):
        word = words[i]
        if word == "--":
            i += 1
            continue
        if word.startswith("-") and len(word) > 1 and destination is None:
            flag, attached = word[1], word[2:]
            if flag in _FLAGS_WITHOUT_VALUE:
                # Grouped flags such as -NT.
                if attached and not set(attached) <= _FLAGS_WITHOUT_VALUE:
                    raise PlugboardError(f"ssh option {word!r} is not understood")
            elif flag == "L":
                if forward is not None:
                    raise PlugboardError("Plugboard tunnels carry one -L forward; make one tunnel per port")
                forward = split_forward(value_of(flag, attached))
            elif flag == "p":
                explicit["port"] = value_of(flag, attached)
            elif flag == "i":
                explicit["identityfile"] = [value_of(flag, attached)]
            elif flag == "J":
                explicit["proxyjump"] = value_of(flag, attached)
            elif flag == "l":
                explicit["user"] = value_of(flag, attached)
            elif flag == "o":
                key, _, val = value_of(flag, attached).partition("=")
                key = key.strip().lower()
                if key in {"port", "user", "hostname", "proxyjump"}:
                    explicit[key] = val.strip()
                elif key == "identityfile":
                    explicit[key] = [val.strip()]
            elif flag in _FLAGS_WITH_IGNORED_VALUE:
                value_of(flag, attached)
            else:
                raise PlugboardError(f"ssh option -{flag} is not understood by Plugboard")
        elif destination is None:
            destination = word
        else:
            raise PlugboardError(
                f"unexpected {word!r} after the host: a tunnel runs no remote command (drop it and keep -L)"
            )
        i += 1
    if destination is None:
        raise PlugboardError("the ssh command names no host")
    user_at: str | None = None
    if destination.startswith("ssh://"):
        destination = destination[len("ssh://") :]
        if ":" in destination.rsplit("@", 1)[-1]:
            destination, _, port_text = destination.rpartition(":")
            explicit.setdefault("port", port_text)
    if "@" in destination:
        user_at, destination = destination.rsplit("@", 1)
    settings = _lookup(destination, config_path)
    settings.update(explicit)
    if user_at:
        settings["user"] = user_at
    try:
        settings["port"] = int(settings.get("port", 22))
    except ValueError:
        raise PlugboardError(f"ssh -p {settings['port']!r} is not a port number") from None
    return _profile_from(name, settings, forward, default_user=default_user)
