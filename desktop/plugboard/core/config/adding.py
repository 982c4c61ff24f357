"""The rules a connector must meet to be added or saved, in the words both the command line and the app show.

`plugboard add` and the app's connector form (`form.ConnectorForm`, which `plugboard add` fills from its flags too)
apply the same rules through these functions, and `Connectors.add` applies the name rule to every other way in
(the catalog, import, the remote wizard):

- the name: not empty, no space at either end, not starting with `-` (the `plugboard run NAME` / `plugboard proxy
  NAME` in the entry would read it as an option, and `entries.parse` then no longer sees Plugboard's entry), and no
  control character (a line break or a terminal escape would reach terminals and logs as it is);
- each variable name is an environment variable name (the keyring's secret names follow the same rule), and given
  once: twice as plain values is a repeat, once plain and once secret is a clash;
- a secret needs a value (typed now, or already in the keyring): an empty secret is never stored;
- an entry Claude starts directly (`--plain`) cannot take secrets: only Plugboard's launcher hands them over;
- a pasted secret is trimmed of the spaces and line breaks around it (`trim_secret`): a token copied from a web page
  or a terminal often carries a trailing line break, which no service accepts; the caller says it did so.

Each rule answers with whole sentences that name no flag, window or file, so both callers show them unchanged.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable

from plugboard.core.errors import PlugboardError
from plugboard.core.secrets.keyring import KEY_PATTERN, empty_value_problem

PLAIN_WITH_SECRETS = (
    "An entry that Claude starts directly cannot take secrets: only Plugboard's launcher hands them to the server."
)


def name_problems(name: str) -> list[str]:
    """What is wrong with `name` as a connector name, as sentences; empty when nothing is."""
    if not name.strip():
        return ["Give the connector a name."]
    found: list[str] = []
    if name != name.strip():
        found.append(f'The name "{name}" starts or ends with a space.')
    if name.startswith("-"):
        found.append('A connector name cannot start with "-": Plugboard would read it as an option.')
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        # The name is not repeated here: it would carry the very line break or escape the rule keeps out.
        found.append("A connector name cannot hold control characters (a line break, a tab, a terminal escape).")
    return found


def check_name(name: str) -> None:
    """Raise `PlugboardError` with every name problem, for callers that refuse rather than list."""
    refuse(name_problems(name))


def variable_problems(variables: Iterable[tuple[str, bool]]) -> list[str]:
    """Problems of the variables `(key, secret)` in the order given: bad names, repeats, plain/secret clashes."""
    found: list[str] = []
    seen: dict[str, bool] = {}
    for key, secret in variables:
        if not KEY_PATTERN.match(key):
            # Quoted as JSON: a line break or an escape in the key shows as `\n`, not as itself.
            shown = json.dumps(key, ensure_ascii=False)
            found.append(f"{shown} is not a valid variable name (letters, digits and _, not starting with a digit).")
        elif key not in seen:
            seen[key] = secret
        elif seen[key] == secret:
            found.append(f"{key} is listed twice.")
        else:
            found.append(f"{key} is given both as a plain value and as a secret; keep one.")
    return found


def empty_secret_problem(key: str) -> str:
    """A secret with no value (or only spaces), neither typed now nor in the keyring: the keyring's own words."""
    return empty_value_problem(key)


def trim_secret(value: str) -> tuple[str, bool]:
    """`value` without surrounding spaces, tabs and line breaks, and whether any were removed."""
    trimmed = value.strip()
    return trimmed, trimmed != value


TRIMMED_NOTE = "Removed the spaces or line breaks around the pasted value."


def plain_problems(plain: bool, secret_keys: Iterable[str]) -> list[str]:
    return [PLAIN_WITH_SECRETS] if plain and any(True for _ in secret_keys) else []


def refuse(problems: list[str]) -> None:
    """Raise `PlugboardError` saying every problem (one line), or nothing when there are none."""
    if problems:
        raise PlugboardError(" ".join(problems))
