"""What looks like a secret: the one rule `secure`, import, export, the proxy's header check, the address check
and log masking share, so a value one of them calls secret is secret to all.

A name looks secret when one of its words is a secret word (TOKEN, KEY, PASSWORD, ...) and it does not end in a word
that names a place or a kind (…_PATH, …_URL, …_ID); a value looks secret when it starts like a known token
(`ghp_`, `sk-`, `xoxb-`, …) or is an address with a password in it. Empty values are never secret.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping

_SECRET_WORDS = frozenset(
    {
        "TOKEN",
        "TOKENS",
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "KEY",
        "APIKEY",
        "PAT",
        "CREDENTIAL",
        "CREDENTIALS",
        "AUTH",
        "AUTHORIZATION",
        "COOKIE",
        "DSN",
        "PRIVATE",
    }
)
_NOT_SECRET_SUFFIXES = ("PATH", "FILE", "DIR", "URL", "URI", "HOST", "ID", "NAME", "MODE", "TYPE")
_TOKEN_PREFIXES = (
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "github_pat_",
    "glpat-",
    "sk-",
    "sk_live_",
    "rk_live_",
    "xoxb-",
    "xoxp-",
    "xapp-",
    "ntn_",
    "secret_",
    "lin_api_",
    "sntrys_",
    "sntryu_",
    "AKIA",
    "AIza",
    "Bearer ",
)
_URL_WITH_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@")


def key_name(text: str) -> str:
    """An environment-variable-like keyring KEY from any name (`github-token` → `GITHUB_TOKEN`)."""
    key = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper()
    if not key:
        return "SECRET"
    return key if not key[0].isdigit() else "_" + key


def name_looks_secret(name: str) -> bool:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name.upper()) if w]
    if not words:
        return False
    if words[-1] in _NOT_SECRET_SUFFIXES and words[-1] not in _SECRET_WORDS:
        return False
    return any(w in _SECRET_WORDS or w.endswith(("TOKEN", "APIKEY", "PASSWORD", "SECRET")) for w in words)


def value_looks_secret(value: str) -> bool:
    return value.startswith(_TOKEN_PREFIXES) or bool(_URL_WITH_PASSWORD.match(value))


def looks_secret(name: str, value: str) -> bool:
    """Is this env variable or header (name, value) a secret that belongs in the keyring?"""
    if not value.strip():
        return False
    return name_looks_secret(name) or value_looks_secret(value)


def secret_values(secrets: Mapping[str, str], env: Mapping[str, str]) -> list[str]:
    """Values to mask in logs: every keyring secret, and the `env` values `looks_secret` calls secret
    (plus the password inside a URL value, on its own)."""
    from urllib.parse import urlsplit

    values = list(secrets.values())
    for name, value in env.items():
        if not looks_secret(name, value):
            continue
        values.append(value)
        with contextlib.suppress(ValueError):
            password = urlsplit(value).password
            if password:
                values.append(password)
    return values
