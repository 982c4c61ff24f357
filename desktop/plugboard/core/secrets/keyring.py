"""Connector secrets, kept in the operating system's keyring and nowhere else.

Keyring entries: service `plugboard`, username `<connector>/<KEY>` (DESIGN.md). KEY is an environment variable
name, so the last `/` always separates the two parts.

Only real keyrings are accepted: macOS Keychain, Windows Credential Locker, a Secret Service on Linux
(gnome-keyring, KWallet via its Secret Service, KeePassXC). The `fail` and `null` backends, and every backend
from `keyrings.alt` (plaintext or home-made encrypted files), are refused with `KeyringUnavailable`, which
says what to install or unlock. There is no fallback file: DESIGN.md "Never write a secret anywhere but the
keyring".

Keyrings cannot enumerate by service everywhere, so the *names* of a connector's secrets are indexed in
Plugboard's store (section "secrets": {connector: [KEY, ...]}); values never go there. `get_secret` asks the
keyring directly and does not touch the store, so the launcher's start stays free of the store's lock.

Claude Desktop passes its servers only HOME, LOGNAME, PATH, SHELL, TERM and USER (FACTS.md A), so on Linux the
launcher usually has no DBUS_SESSION_BUS_ADDRESS, and jeepney (under `keyring`'s Secret Service backend) does
not look anywhere else. `session_bus_address` restores the address from the standard per-user bus socket
(`$XDG_RUNTIME_DIR/bus`, else `/run/user/<uid>/bus`) before the keyring is first used.

`keyring` is imported on first use: it costs tens of milliseconds and the launcher pays it only when a
connector has secrets.

Credentials that belong to no single connector (the bridge's OAuth tokens and client registrations, one JSON value
per protected resource: `bridge.oauth.store`) live under their own service, `plugboard-oauth`, named by whatever
the caller chooses (`get_credentials` / `set_credentials` / `delete_credentials`). A separate service rather than a
reserved connector name: no connector secret `<connector>/<KEY>` can ever share a name with them, and `plugboard
secret list` and the secrets index never see them. A value longer than `CREDENTIALS_PIECE_CHARS` is stored in
pieces: Windows' Credential Manager refuses a blob over 2,560 bytes (1,280 UTF-16 characters; jaraco/keyring#355,
#540) and OAuth access tokens that are JWTs often pass that alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from plugboard.core.errors import PlugboardError

SERVICE = "plugboard"
CREDENTIALS_SERVICE = "plugboard-oauth"
STORE_SECTION = "secrets"
# 1,000 characters are at most 2,000 bytes as UTF-16: under Windows' 2,560-byte limit for one credential, with room.
CREDENTIALS_PIECE_CHARS = 1000
# The first piece of a value stored in pieces starts with this line (a JSON value never starts with "#").
_PIECES_HEADER = "#pieces "
KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

_REFUSED_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")
_HOW_TO_FIX = (
    "on Linux install and start a Secret Service (gnome-keyring, or KeePassXC with its Secret Service "
    "integration) in your desktop session and unlock it; on macOS and Windows the system keychain is used"
)


class KeyringUnavailable(PlugboardError):
    """No usable OS keyring: says what to install or unlock. Plugboard refuses rather than store plaintext."""


def check_key(key: str) -> None:
    if not KEY_PATTERN.match(key):
        raise PlugboardError(
            f"{key!r} is not a valid secret name: use an environment variable name (letters, digits, _)"
        )


def empty_value_problem(key: str) -> str:
    """The one sentence for an empty (or blank) secret wherever it is refused: here, `plugboard add`, the app's form."""
    return f"Enter a value for the secret {key}: an empty secret is never stored."


def check_connector(connector: str) -> None:
    if not connector or connector.strip() != connector:
        raise PlugboardError(f"{connector!r} is not a valid connector name")


def username(connector: str, key: str) -> str:
    return f"{connector}/{key}"


def _refused(backend: Any) -> bool:
    return type(backend).__module__.startswith(_REFUSED_MODULES)


def session_bus_address(env: MutableMapping[str, str], uid: int, run_root: Path = Path("/run/user")) -> str | None:
    """Fill a missing DBUS_SESSION_BUS_ADDRESS in `env` from the per-user bus socket; return the address."""
    if env.get("DBUS_SESSION_BUS_ADDRESS"):
        return env["DBUS_SESSION_BUS_ADDRESS"]
    candidates = [Path(env["XDG_RUNTIME_DIR"]) / "bus"] if env.get("XDG_RUNTIME_DIR") else []
    candidates.append(run_root / str(uid) / "bus")
    for socket_path in candidates:
        if socket_path.is_socket():
            env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={socket_path}"
            return env["DBUS_SESSION_BUS_ADDRESS"]
    return None


def backend() -> Any:
    """The keyring backend Plugboard will use, or `KeyringUnavailable`."""
    if sys.platform.startswith("linux"):
        session_bus_address(os.environ, os.getuid())
    import keyring
    from keyring.backends.chainer import ChainerBackend

    chosen = keyring.get_keyring()
    if isinstance(chosen, ChainerBackend):
        usable = [b for b in chosen.backends if not _refused(b)]
        if not usable:
            raise KeyringUnavailable(f"no system keyring is available: {_HOW_TO_FIX}")
        return chosen if len(usable) == len(chosen.backends) else usable[0]
    if _refused(chosen):
        kind = type(chosen).__module__ + "." + type(chosen).__qualname__
        raise KeyringUnavailable(f"no system keyring is available (found only {kind}): {_HOW_TO_FIX}")
    return chosen


def _call(what: str, fn: Any, *args: str) -> Any:
    from keyring.errors import InitError, KeyringError, KeyringLocked, NoKeyringError, PasswordDeleteError

    try:
        return fn(*args)
    except PasswordDeleteError:
        raise  # "there was nothing to delete" is an answer, not a keyring failure
    except KeyringLocked as exc:
        raise KeyringUnavailable(
            f"the system keyring is locked, so Plugboard cannot {what}: unlock it (log in to your desktop "
            "session, or unlock the 'Login' keyring in your keyring manager) and try again"
        ) from exc
    except (NoKeyringError, InitError) as exc:
        raise KeyringUnavailable(f"no system keyring is available to {what}: {_HOW_TO_FIX}") from exc
    except KeyringError as exc:
        detail = f"{type(exc).__name__}: {exc}"
        raise KeyringUnavailable(f"the system keyring failed to {what} ({detail})") from exc


_NO_FAST_PATH = object()


def keyring_configured(env: MutableMapping[str, str] | None = None) -> bool:
    """True when the user chose a keyring backend themselves (env var or keyringrc.cfg): then only `keyring` decides."""
    env = os.environ if env is None else env
    if env.get("PYTHON_KEYRING_BACKEND"):
        return True
    config_home = Path(env.get("XDG_CONFIG_HOME") or Path(env.get("HOME") or Path.home()) / ".config")
    return (config_home / "python_keyring" / "keyringrc.cfg").exists()


def _secret_service_get(connector: str, key: str) -> object:
    """The launcher's fast path for connector `connector`'s secret `key` (see `_secret_service_lookup`)."""
    return _secret_service_lookup(SERVICE, username(connector, key))


def _secret_service_lookup(service: str, name: str) -> object:
    """Linux start-up fast path: read the item `keyring` wrote straight from the Secret Service.

    `import keyring` plus `keyring.get_keyring()` (entry points, every backend's viability probe) costs ~150 ms here,
    more than the launcher's whole start-up budget; secretstorage (the library keyring's own Secret Service backend
    uses) reads the same item, with the same attributes ({"service", "username"}, keyring's "default" scheme) from
    the default collection, in ~30 ms. Anything unusual (no service, a locked collection that needs a prompt, an
    error) returns `_NO_FAST_PATH`, and the caller goes through `keyring`, which gives the proper message.
    """
    try:
        import secretstorage
    except ImportError:
        return _NO_FAST_PATH
    from contextlib import closing

    try:
        with closing(secretstorage.dbus_init()) as connection:
            collection = secretstorage.get_default_collection(connection)
            if collection.is_locked():
                return _NO_FAST_PATH
            for item in collection.search_items({"service": service, "username": name}):
                if item.is_locked():
                    return _NO_FAST_PATH
                return item.get_secret().decode("utf-8")
            return None
    except Exception:  # any failure here only means "ask keyring the slow way"
        return _NO_FAST_PATH


def get_secret(connector: str, key: str) -> str | None:
    """The secret's value, or None if it is not set."""
    return _lookup(SERVICE, username(connector, key), "read a secret")


def set_secret(connector: str, key: str, value: str) -> None:
    """Store a secret. An empty value is refused and nothing is stored."""
    check_connector(connector)
    check_key(key)
    if not value.strip():
        raise PlugboardError(empty_value_problem(key))
    kr = backend()
    _call("store a secret", kr.set_password, SERVICE, username(connector, key), value)
    _index_update(connector, add=key)


def delete_secret(connector: str, key: str) -> bool:
    """Remove a secret; False if there was none."""
    from keyring.errors import PasswordDeleteError

    kr = backend()
    existed = True
    try:
        _call("delete a secret", kr.delete_password, SERVICE, username(connector, key))
    except PasswordDeleteError:
        existed = False
    _index_update(connector, remove=key)
    return existed


def list_secret_names(connector: str) -> list[str]:
    """Names of the connector's secrets, from Plugboard's index (values are never read)."""
    from plugboard.core.files.store import Store

    names = Store().read().get(STORE_SECTION, {}).get(connector, [])
    return sorted(str(n) for n in names) if isinstance(names, list) else []


def _index_update(connector: str, *, add: str | None = None, remove: str | None = None) -> None:
    from plugboard.core.files.store import Store

    def change(data: dict[str, Any]) -> None:
        section = data.setdefault(STORE_SECTION, {})
        names = set(section.get(connector, []))
        if add:
            names.add(add)
        if remove:
            names.discard(remove)
        if names:
            section[connector] = sorted(names)
        else:
            section.pop(connector, None)

    Store().update(change)


def _lookup(service: str, name: str, what: str) -> str | None:
    """One keyring item's value (None if there is none): the Secret Service fast path on Linux, else `keyring`."""
    if sys.platform.startswith("linux") and not keyring_configured():
        session_bus_address(os.environ, os.getuid())
        fast = _secret_service_lookup(service, name)
        if fast is not _NO_FAST_PATH:
            return fast if isinstance(fast, str) and fast else None
    value = _call(what, backend().get_password, service, name)
    return value if isinstance(value, str) and value else None


def _piece_name(name: str, index: int) -> str:
    return f"{name} #{index}"


def get_credentials(name: str) -> str | None:
    """The credentials value stored under `name` (service `plugboard-oauth`), or None. Pieces are joined again; a
    value whose pieces are not all there reads as None."""
    first = _lookup(CREDENTIALS_SERVICE, name, "read a sign-in")
    if first is None or not first.startswith(_PIECES_HEADER):
        return first
    parts = [first.partition("\n")[2]]
    for index in range(2, _piece_count(first) + 1):
        part = _lookup(CREDENTIALS_SERVICE, _piece_name(name, index), "read a sign-in")
        if part is None:
            return None
        parts.append(part)
    return "".join(parts)


def _piece_count(first: str | None) -> int:
    if first is None or not first.startswith(_PIECES_HEADER):
        return 1 if first is not None else 0
    try:
        return int(first.partition("\n")[0].removeprefix(_PIECES_HEADER))
    except ValueError:
        return 1


def set_credentials(name: str, value: str) -> None:
    """Store `value` under `name` (service `plugboard-oauth`), in pieces when it is long (module docstring).

    Readers and writers of one `name` must be serialised by the caller (the bridge holds its per-resource lock for
    both): pieces are separate keyring items, so a read during a write could join pieces of two values."""
    if not value:
        raise PlugboardError("an empty sign-in is never stored")
    kr = backend()
    before = _piece_count(_lookup(CREDENTIALS_SERVICE, name, "read a sign-in"))
    size = CREDENTIALS_PIECE_CHARS
    if len(value) <= size:
        pieces: list[str] = []
        _call("store a sign-in", kr.set_password, CREDENTIALS_SERVICE, name, value)
    else:
        first_size = size - len(_PIECES_HEADER) - 8  # room for the header line
        head, rest = value[:first_size], value[first_size:]
        pieces = [rest[i : i + size] for i in range(0, len(rest), size)]
        for index, piece in enumerate(pieces, 2):
            _call("store a sign-in", kr.set_password, CREDENTIALS_SERVICE, _piece_name(name, index), piece)
        first = f"{_PIECES_HEADER}{len(pieces) + 1}\n{head}"
        _call("store a sign-in", kr.set_password, CREDENTIALS_SERVICE, name, first)
    _delete_pieces(kr, name, len(pieces) + 2, before)


def _delete_pieces(kr: Any, name: str, start: int, count: int) -> None:
    from keyring.errors import PasswordDeleteError

    for index in range(start, count + 1):
        with contextlib.suppress(PasswordDeleteError):
            _call("delete a sign-in", kr.delete_password, CREDENTIALS_SERVICE, _piece_name(name, index))


def delete_credentials(name: str) -> bool:
    """Remove the value stored under `name` and all its pieces; False if there was none."""
    from keyring.errors import PasswordDeleteError

    kr = backend()
    count = _piece_count(_lookup(CREDENTIALS_SERVICE, name, "read a sign-in"))
    existed = True
    try:
        _call("delete a sign-in", kr.delete_password, CREDENTIALS_SERVICE, name)
    except PasswordDeleteError:
        existed = False
    _delete_pieces(kr, name, 2, count)
    return existed


class MissingSecrets(PlugboardError):
    """A `--secret` the connector needs is not in the keyring; the server is not started."""

    def __init__(self, reason: str, message: str, keys: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reason = reason
        self.keys = list(keys)


def read_secrets(
    name: str, keys: Sequence[str], lookup: Callable[[str, str], str | None] | None = None
) -> dict[str, str]:
    """Connector `name`'s secrets `keys` as environment variables; `MissingSecrets` if any is not in the keyring.

    Shared by the launcher, the supervisor (`plugboard doctor`) and the proxy's headers, so all read secrets the
    same way and say the same thing when one is missing.
    """
    if not keys:
        return {}
    lookup = lookup or get_secret
    values: dict[str, str] = {}
    missing: list[str] = []
    for key in keys:
        value = lookup(name, key)
        if value:
            values[key] = value
        else:
            missing.append(key)
    if missing:
        joined = ", ".join(missing)
        how = "; ".join(f"plugboard secret set {name} {k}" for k in missing)
        word = "secret" if len(missing) == 1 else "secrets"
        raise MissingSecrets(
            f"missing {word} {joined}",
            f"{name}: missing {word} {joined} in the keyring; set it with `{how}` (value on stdin)",
            missing,
        )
    return values
