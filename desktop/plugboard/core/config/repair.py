"""Repairs for the common ways a hand-edited config breaks, offered to the user and never applied silently.

`plan_repair` returns the repaired bytes and a list of what it would change; the CLI (`plugboard repair`) and the GUI
show that list and write only after consent (with a backup, through `claude_file.write_bytes`). Repairs are
string-aware (a `//` inside a URL is not a comment) and the result must parse strictly, or nothing is offered.

Fixed: a UTF-8 byte-order mark; `//` and `/* */` comments; trailing commas before `}` or `]`; numbers and true/false
used as `env` values (quoted). Not fixed: a cut-off file or two objects back to back — those need a human or a backup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from plugboard.core.config import claude_file as claude_config
from plugboard.core.config.jsondoc import JSON_WS, ConfigDocument, DuplicateKey, JsonSyntax
from plugboard.core.errors import ConfigError, PlugboardError


@dataclass(frozen=True)
class RepairPlan:
    data: bytes
    actions: tuple[str, ...]


def plan_repair(path: Path, raw: bytes) -> RepairPlan:
    actions: list[str] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        actions.append("remove the byte-order mark at the start")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlugboardError(f"{path}: is not UTF-8 text; Plugboard cannot repair it (restore a backup)") from exc
    text, comments, commas = strip_comments_and_trailing_commas(text)
    if comments:
        actions.append(f"remove {comments} comment{'s' if comments > 1 else ''}")
    if commas:
        actions.append(f"remove {commas} trailing comma{'s' if commas > 1 else ''}")
    try:
        doc = ConfigDocument(text)
    except (JsonSyntax, DuplicateKey):
        _unrepairable(path, text)
    text, quoted = _quote_env_values(doc)
    if quoted:
        actions.append("put " + ", ".join(quoted) + " in quotes")
    _unrepairable(path, text)  # returns only when the result is a config Claude reads
    return RepairPlan(text.encode("utf-8"), tuple(actions))


def _unrepairable(path: Path, text: str) -> None:
    """Raise, with the engine's own words for what is still wrong, unless `text` is a valid config."""
    try:
        claude_config.parse(path, text.encode("utf-8"))
    except ConfigError as exc:
        where = f" (line {exc.line} column {exc.column})" if exc.line is not None else ""
        raise PlugboardError(
            f"{path}: cannot be repaired automatically ({exc.reason}{where}); "
            "restore a backup (`plugboard backups`) or fix it by hand"
        ) from exc


def strip_comments_and_trailing_commas(text: str) -> tuple[str, int, int]:
    """`text` without comments and trailing commas outside strings, and how many of each were removed."""
    out: list[str] = []
    comments = commas = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            comments += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            comments += 1
        elif c == ",":
            j = i + 1
            while j < n and (text[j] in JSON_WS or text.startswith(("//", "/*"), j)):
                if text.startswith("//", j):
                    nl = text.find("\n", j)
                    j = n if nl < 0 else nl
                elif text.startswith("/*", j):
                    close = text.find("*/", j + 2)
                    j = n if close < 0 else close + 2
                else:
                    j += 1
            if j < n and text[j] in "}]":
                commas += 1
            else:
                out.append(c)
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out), comments, commas


def _quote_env_values(doc: ConfigDocument) -> tuple[str, list[str]]:
    """Quote number/boolean env values, last first so earlier offsets stay valid."""
    if doc.servers is None:
        return doc.text, []
    text = doc.text
    fixes: list[tuple[int, int, str, str]] = []
    for entry in doc.servers.members:
        if not isinstance(entry.value, dict) or not isinstance(entry.value.get("env"), dict):
            continue
        env_doc = ConfigDocument(text[entry.value_start : entry.value_end])
        assert env_doc.root is not None
        env_member = next(m for m in env_doc.root.members if m.name == "env")
        inner = ConfigDocument(env_doc.text[env_member.value_start : env_member.value_end])
        assert inner.root is not None
        base = entry.value_start + env_member.value_start
        for var in inner.root.members:
            if isinstance(var.value, bool | int | float):
                literal = inner.text[var.value_start : var.value_end]
                fixes.append(
                    (
                        base + var.value_start,
                        base + var.value_end,
                        json.dumps(literal),
                        f"{entry.name}.{var.name}",
                    )
                )
    for start, end, replacement, _label in sorted(fixes, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, [label for *_rest, label in fixes]


def describe_problem(exc: ConfigError) -> str:
    """What is wrong with Claude's file, in a sentence for the app (no file path, no command to run)."""
    reason = exc.reason.strip().rstrip(".")
    where = f" on line {exc.line}" if exc.line is not None else ""
    if reason.startswith(("has ", "is ", "holds ", "starts ")):
        reason = "it " + reason
    if "permission denied" in reason or "cannot be read" in reason or "is a folder" in reason:
        return f"Plugboard can't open Claude's settings file: {reason}."
    return f"Claude's settings file has a mistake{where}: {reason}. Claude Desktop can't read it either."
