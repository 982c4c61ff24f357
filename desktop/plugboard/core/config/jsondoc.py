"""Lossless editing of Claude Desktop's config text.

Claude's file is edited by people, by Claude itself (`JSON.stringify(cfg, null, 2)`, no final newline) and by other
tools. We never re-serialise it: we parse it strictly, remember where every top-level member and every `mcpServers`
entry sits in the text, and splice only the bytes of what changed. Everything else (unknown keys, key order,
indentation, escapes, unicode, CRLF, a final newline or its absence) stays as it was, byte for byte.

Removing an entry removes a *chunk*: the member plus the separator on one side, chosen so that putting the same chunk
back at the same place gives the identical text (`Removal`). That is what makes disable → enable the identity.

Parsing is strict JSON (RFC 8259, as Claude's `JSON.parse`): no comments, trailing commas, BOM, NaN/Infinity or a
second value after the first. `JsonSyntax` carries the offset and a classification that `repair` can act on.

What Node's `JSON.parse` reads, we read too, so a file Claude accepts is never refused for Python's limits: an
integer of more than 4,300 digits (Python's int-from-text limit) becomes a `Decimal`, and a value nested deeper than
Python's recursion limit (Node takes thousands of levels) is checked by an iterative scanner and kept as `Unparsed`
text: we never need the inside of such a value, only where it starts and ends.

Parking needs more than one removal at a time (`gaps`, `with_member_between`): where an entry sits between its
neighbours and the exact whitespace and commas around it, so `parking` can put several entries back, in any order,
each at its own place. The text between two neighbouring entries (or between a brace and an entry) is a *gap*.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from json.decoder import scanstring  # type: ignore[attr-defined]
from json.scanner import NUMBER_RE
from typing import Any, Literal

JSON_WS = " \t\n\r"
SERVERS_KEY = "mcpServers"

SyntaxKind = Literal["bom", "comment", "trailing-comma", "truncated", "extra-data", "not-object", "syntax"]
RemovalMode = Literal["with-next", "with-previous", "only", "rewritten"]


class JsonSyntax(Exception):
    """The text is not strict JSON. `pos` is a 0-based offset into the text."""

    def __init__(self, kind: SyntaxKind, message: str, pos: int) -> None:
        super().__init__(message)
        self.kind: SyntaxKind = kind
        self.message = message
        self.pos = pos


class DuplicateKey(Exception):
    def __init__(self, name: str, pos: int) -> None:
        super().__init__(name)
        self.name = name
        self.pos = pos


def line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column of `pos`, counting a CRLF pair as one line break."""
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


# Below Python's int-from-text limit (4,300 digits, `sys.get_int_max_str_digits`) with room for a sign.
_INT_DIGITS_LIMIT = 4_000


def _parse_int(text: str) -> int | Decimal:
    # Node reads any length of digits (as a float); Python refuses past its limit with an internal message.
    return int(text) if len(text) <= _INT_DIGITS_LIMIT else Decimal(text)


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_int=_parse_int, strict=True)


@dataclass(frozen=True)
class Unparsed:
    """A valid JSON value nested too deeply for Python's decoder, kept as its exact text (compared by text)."""

    text: str

    @property
    def kind(self) -> str:
        return {"{": "object", "[": "list"}.get(self.text[:1], "value")


@dataclass(frozen=True)
class Member:
    name: str
    key_start: int
    key_end: int
    value_start: int
    value_end: int
    value: Any


@dataclass(frozen=True)
class ObjectSpan:
    start: int
    """Offset of `{`."""
    end: int
    """Offset just after `}`."""
    members: tuple[Member, ...]

    def index_of(self, name: str) -> int | None:
        for i, member in enumerate(self.members):
            if member.name == name:
                return i
        return None


@dataclass(frozen=True)
class Removal:
    """What `without` took out, enough to put it back byte for byte (`ConfigDocument.with_restored`)."""

    name: str
    member_text: str
    chunk: str
    mode: RemovalMode
    index: int


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text

    def skip_ws(self, pos: int) -> int:
        text = self.text
        while pos < len(text) and text[pos] in JSON_WS:
            pos += 1
        return pos

    def fail_at(self, pos: int, expected: str) -> JsonSyntax:
        text = self.text
        if pos >= len(text):
            return JsonSyntax("truncated", "the file ends too early (it looks cut off)", pos)
        if text.startswith(("//", "/*"), pos):
            return JsonSyntax("comment", "has a comment, and JSON allows none", pos)
        if text[pos] in "}]":
            back = pos - 1
            while back >= 0 and text[back] in JSON_WS:
                back -= 1
            if back >= 0 and text[back] == ",":
                return JsonSyntax("trailing-comma", "has a comma before a closing bracket (trailing comma)", back)
        shown = text[pos]
        return JsonSyntax("syntax", f"expected {expected} but found {shown!r}", pos)

    def value(self, pos: int) -> tuple[Any, int]:
        try:
            return _DECODER.raw_decode(self.text, pos)
        except json.JSONDecodeError as exc:
            raise self._explain(exc.pos, exc.msg) from None
        except ValueError as exc:  # NaN / Infinity
            raise JsonSyntax("syntax", f"{exc} is not allowed in JSON", pos) from None
        except RecursionError:
            end = self.skip_value(pos)
            return Unparsed(self.text[pos:end]), end

    def skip_value(self, pos: int) -> int:
        """Check the strict JSON value at `pos` without building it and without recursion; return where it ends.

        For values nested deeper than Python's recursion limit. Strings go through the decoder's own (C) string
        scanner, numbers through its number pattern, so the rules are the same as `value`'s.
        """
        text = self.text
        closers: list[str] = []
        while True:
            if pos >= len(text):
                raise self.fail_at(pos, "a value")
            char = text[pos]
            if char in "{[":
                closer = "}" if char == "{" else "]"
                pos = self.skip_ws(pos + 1)
                if pos < len(text) and text[pos] == closer:
                    pos += 1
                else:
                    closers.append(closer)
                    if closer == "}":
                        pos = self._skip_key(pos)
                    continue
            elif char == '"':
                pos = self._skip_string(pos)
            elif text.startswith(("true", "null"), pos):
                pos += 4
            elif text.startswith("false", pos):
                pos += 5
            else:
                number = NUMBER_RE.match(text, pos)
                if number is None or number.end() == pos:
                    raise self.fail_at(pos, "a value")
                pos = number.end()
            # A value is complete: close what it completes, then expect the next member or element.
            while True:
                if not closers:
                    return pos
                pos = self.skip_ws(pos)
                if pos < len(text) and text[pos] == closers[-1]:
                    closers.pop()
                    pos += 1
                    continue
                if pos < len(text) and text[pos] == ",":
                    pos = self.skip_ws(pos + 1)
                    if closers[-1] == "}":
                        pos = self._skip_key(pos)
                    break
                raise self.fail_at(pos, f"',' or '{closers[-1]}'")

    def _skip_string(self, pos: int) -> int:
        try:
            _value, end = scanstring(self.text, pos + 1, True)
        except json.JSONDecodeError as exc:
            raise self._explain(exc.pos, exc.msg) from None
        return int(end)

    def _skip_key(self, pos: int) -> int:
        """At a member's key (after `{` or `,`): skip `"key" :` and return where its value starts."""
        text = self.text
        if pos >= len(text) or text[pos] != '"':
            raise self.fail_at(pos, "a quoted key")
        pos = self.skip_ws(self._skip_string(pos))
        if pos >= len(text) or text[pos] != ":":
            raise self.fail_at(pos, "':' after a key")
        return self.skip_ws(pos + 1)

    def _explain(self, pos: int, decoder_message: str) -> JsonSyntax:
        if decoder_message.startswith("Unterminated string"):
            return JsonSyntax("truncated", "the file ends too early (a quoted text never closes)", pos)
        if decoder_message.startswith("Invalid control character"):
            return JsonSyntax("syntax", "has a line break or control character inside a quoted text", pos)
        classified = self.fail_at(pos, "a value")
        if classified.kind != "syntax":
            return classified
        # The decoder stops at the start of the innermost failing token; name what it expected.
        return JsonSyntax("syntax", decoder_message.lower(), pos)

    def object(self, pos: int, *, depth_members: bool = True) -> ObjectSpan:
        """Parse an object at `pos` (which must be `{`), recording member spans."""
        text = self.text
        start = pos
        pos += 1
        members: list[Member] = []
        seen: set[str] = set()
        pos = self.skip_ws(pos)
        if pos < len(text) and text[pos] == "}":
            return ObjectSpan(start, pos + 1, ())
        while True:
            if pos >= len(text) or text[pos] != '"':
                raise self.fail_at(pos, "a quoted key")
            key_start = pos
            name, pos = self.value(pos)
            key_end = pos
            pos = self.skip_ws(pos)
            if pos >= len(text) or text[pos] != ":":
                raise self.fail_at(pos, "':' after a key")
            pos = self.skip_ws(pos + 1)
            value_start = pos
            value, pos = self.value(pos)
            if name in seen and depth_members:
                raise DuplicateKey(name, key_start)
            seen.add(name)
            members.append(Member(name, key_start, key_end, value_start, pos, value))
            pos = self.skip_ws(pos)
            if pos < len(text) and text[pos] == ",":
                pos = self.skip_ws(pos + 1)
                continue
            if pos < len(text) and text[pos] == "}":
                return ObjectSpan(start, pos + 1, tuple(members))
            raise self.fail_at(pos, "',' or '}'")


def member_value(member_text: str) -> Any:
    """The value of one member's text, `"name": {...}` (a parked entry), read with the same rules as the file."""
    return _Scanner("{" + member_text + "}").object(0).members[0].value


@dataclass(frozen=True)
class _Style:
    multiline: bool
    member_indent: str
    """Whitespace before a member key on its own line (multi-line style)."""
    closing_indent: str
    """Whitespace before the closing brace on its own line."""
    unit: str
    """One level of indentation ("  ", "    ", "\\t")."""
    separator: str
    """From the end of one member to the start of the next, comma included."""
    key_separator: str
    """From the end of a key to the start of its value, colon included."""
    newline: str
    ensure_ascii: bool


class ConfigDocument:
    """A parsed Claude config text with the spans needed to edit it losslessly. Immutable: edits return new text."""

    def __init__(self, text: str) -> None:
        self.text = text
        if text.startswith("\ufeff"):
            raise JsonSyntax("bom", "starts with a byte-order mark (BOM), which Claude Desktop rejects", 0)
        scanner = _Scanner(text)
        pos = scanner.skip_ws(0)
        if pos >= len(text):
            # An empty file holds nothing to lose: treat it as an empty config.
            self.root: ObjectSpan | None = None
            self.servers: ObjectSpan | None = None
            return
        if text[pos] != "{":
            if text.startswith(("//", "/*"), pos):
                raise scanner.fail_at(pos, "'{'")
            scanner.value(pos)  # a syntax error inside the value is the more useful message
            raise JsonSyntax("not-object", "is not a JSON object (Claude expects { ... } at the top)", pos)
        self.root = scanner.object(pos)
        end = scanner.skip_ws(self.root.end)
        if end < len(text):
            if text.startswith(("//", "/*"), end):
                raise scanner.fail_at(end, "the end of the file")
            raise JsonSyntax("extra-data", "holds a second JSON value after the first one ends", end)
        self.servers = None
        index = self.root.index_of(SERVERS_KEY)
        if index is not None:
            member = self.root.members[index]
            if text[member.value_start] == "{":
                self.servers = scanner.object(member.value_start)

    # -- reading ---------------------------------------------------------------------------------------------

    @property
    def servers_member(self) -> Member | None:
        if self.root is None:
            return None
        index = self.root.index_of(SERVERS_KEY)
        return None if index is None else self.root.members[index]

    def servers_members(self) -> tuple[Member, ...]:
        return () if self.servers is None else self.servers.members

    @property
    def names(self) -> list[str]:
        return [] if self.servers is None else [m.name for m in self.servers.members]

    def entry(self, name: str) -> Member | None:
        if self.servers is None:
            return None
        index = self.servers.index_of(name)
        return None if index is None else self.servers.members[index]

    def member_text(self, name: str) -> str:
        member = self._require(name)
        return self.text[member.key_start : member.value_end]

    def neighbours(self, name: str) -> tuple[str | None, str | None]:
        """The live entries just before and after `name` (None at either end of `mcpServers`)."""
        servers = self.servers
        index = None if servers is None else servers.index_of(name)
        if servers is None or index is None:
            raise KeyError(name)
        members = servers.members
        before = members[index - 1].name if index > 0 else None
        after = members[index + 1].name if index + 1 < len(members) else None
        return before, after

    def gap(self, before: str | None, after: str | None) -> str:
        """The text between entry `before` (None: the opening brace) and entry `after` (None: the closing brace)."""
        servers = self.servers
        assert servers is not None
        start = servers.start + 1 if before is None else self._require(before).value_end
        end = servers.end - 1 if after is None else self._require(after).key_start
        return self.text[start:end]

    def _require(self, name: str) -> Member:
        member = self.entry(name)
        if member is None:
            raise KeyError(name)
        return member

    # -- edits (each returns the new full text) ----------------------------------------------------------------

    def without(self, name: str) -> tuple[str, Removal]:
        """Remove an entry; the `Removal` puts it back exactly (see module docstring)."""
        servers = self.servers
        assert servers is not None
        index = servers.index_of(name)
        if index is None:
            raise KeyError(name)
        members = servers.members
        member = members[index]
        member_text = self.text[member.key_start : member.value_end]
        mode: RemovalMode
        if len(members) == 1:
            start, end, mode = servers.start + 1, servers.end - 1, "only"
        elif index < len(members) - 1:
            start, end, mode = member.key_start, members[index + 1].key_start, "with-next"
        else:
            start, end, mode = members[index - 1].value_end, member.value_end, "with-previous"
        chunk = self.text[start:end]
        return self.text[:start] + self.text[end:], Removal(name, member_text, chunk, mode, index)

    def with_restored(self, removal: Removal) -> str:
        """Put a removed entry back: the identical chunk where it fits, else a fresh member at its old index."""
        servers = self.servers
        count = 0 if servers is None else len(servers.members)
        text = self.text
        if servers is not None:
            if removal.mode == "with-next" and removal.index < count:
                at = servers.members[removal.index].key_start
                return text[:at] + removal.chunk + text[at:]
            if removal.mode == "with-previous" and removal.index == count and count > 0:
                at = servers.members[-1].value_end
                return text[:at] + removal.chunk + text[at:]
            if removal.mode == "only" and count == 0:
                return text[: servers.start + 1] + removal.chunk + text[servers.end - 1 :]
        return self._insert_member(removal.member_text, min(removal.index, count))

    def with_member_between(
        self, member_text: str, before: str | None, after: str | None, gap_before: str, gap_after: str
    ) -> str:
        """Put `member_text` between neighbouring entries `before` and `after` (None: a brace of `mcpServers`),
        replacing the gap between them by `gap_before` + member + `gap_after` (see `parking`)."""
        servers = self.servers
        assert servers is not None
        names = [m.name for m in servers.members]
        at = 0 if before is None else names.index(before) + 1
        if (names[at] if at < len(names) else None) != after:
            raise ValueError(f"{before!r} and {after!r} are not neighbours")
        start = servers.start + 1 if before is None else self._require(before).value_end
        end = servers.end - 1 if after is None else self._require(after).key_start
        return self.text[:start] + gap_before + member_text + gap_after + self.text[end:]

    def separator(self) -> str:
        """The gap this file puts between two entries (comma included), for an entry whose own gap is unknown."""
        return self._servers_style().separator

    def with_added(self, name: str, entry: dict[str, Any], index: int | None = None) -> str:
        count = 0 if self.servers is None else len(self.servers.members)
        style = self._servers_style()
        member_text = self._member_text(name, entry, style)
        return self._insert_member(member_text, count if index is None else min(index, count))

    def with_replaced(self, name: str, entry: dict[str, Any]) -> str:
        member = self._require(name)
        style = self._servers_style()
        value_text = self._dump(entry, style, style.member_indent)
        return self.text[: member.value_start] + value_text + self.text[member.value_end :]

    def with_command_replaced(self, name: str, command: str) -> str:
        """Replace only the text of entry `name`'s `command` string; every other byte stays (plugboard relink)."""
        member = self._require(name)
        entry = _Scanner(self.text).object(member.value_start)
        index = entry.index_of("command")
        if index is None:
            raise KeyError(f"{name}.command")
        span = entry.members[index]
        return self.with_value_replaced(span.value_start, span.value_end, command)

    def with_value_replaced(self, start: int, end: int, value: Any) -> str:
        """Replace the JSON value at [start, end) by `value`, compact (used by repairs of scalar values)."""
        return self.text[:start] + json.dumps(value, ensure_ascii=self._style_basics()[1]) + self.text[end:]

    # -- insertion machinery -----------------------------------------------------------------------------------

    def _insert_member(self, member_text: str, index: int) -> str:
        text = self.text
        servers = self.servers
        if servers is None:
            return self._insert_servers_object(member_text)
        style = self._servers_style()
        members = servers.members
        if not members:
            if style.multiline:
                inner = style.newline + style.member_indent + member_text + style.newline + style.closing_indent
            else:
                inner = member_text
            return text[: servers.start + 1] + inner + text[servers.end - 1 :]
        if index >= len(members):
            at = members[-1].value_end
            return text[:at] + style.separator + member_text + text[at:]
        at = members[index].key_start
        return text[:at] + member_text + style.separator + text[at:]

    def _insert_servers_object(self, member_text: str) -> str:
        """`mcpServers` is missing (or the file is empty): add it as the root's last member."""
        newline, ensure_ascii = self._style_basics()
        root = self.root
        if root is None:
            # A new file: Claude's own style (2 spaces, no final newline).
            return "{\n  " + json.dumps(SERVERS_KEY) + ": {\n    " + member_text + "\n  }\n}"
        existing = self.servers_member
        if existing is not None:
            raise ValueError(f"{SERVERS_KEY} is not an object")
        rstyle = self._object_style(root, parent_indent="")
        if rstyle.multiline:
            inner_indent = rstyle.member_indent + rstyle.unit
            value = "{" + newline + inner_indent + member_text + newline + rstyle.member_indent + "}"
        else:
            value = "{" + member_text + "}"
        new_member = json.dumps(SERVERS_KEY, ensure_ascii=ensure_ascii) + rstyle.key_separator + value
        text = self.text
        if not root.members:
            inner = (
                newline + rstyle.member_indent + new_member + newline + rstyle.closing_indent
                if rstyle.multiline
                else new_member
            )
            return text[: root.start + 1] + inner + text[root.end - 1 :]
        at = root.members[-1].value_end
        return text[:at] + rstyle.separator + new_member + text[at:]

    def _member_text(self, name: str, entry: dict[str, Any], style: _Style) -> str:
        key = json.dumps(name, ensure_ascii=style.ensure_ascii)
        return key + style.key_separator + self._dump(entry, style, style.member_indent)

    def _dump(self, value: Any, style: _Style, indent: str) -> str:
        if not style.multiline:
            item_sep = style.separator.replace(style.newline, "")
            return json.dumps(value, ensure_ascii=style.ensure_ascii, separators=(item_sep or ",", style.key_separator))
        dumped = json.dumps(
            value, ensure_ascii=style.ensure_ascii, indent=style.unit, separators=(",", style.key_separator)
        )
        return dumped.replace("\n", style.newline + indent)

    def _style_basics(self) -> tuple[str, bool]:
        text = self.text
        newline = "\r\n" if "\r\n" in text else "\n"
        has_raw_non_ascii = not text.isascii()
        # Claude writes raw unicode; keep \\u escapes only in a file that already spells non-ASCII that way.
        ensure_ascii = not has_raw_non_ascii and "\\u" in text
        return newline, ensure_ascii

    def _servers_style(self) -> _Style:
        root = self.root
        servers = self.servers
        if root is None or servers is None:
            base = self._object_style(root, parent_indent="") if root is not None else None
            # No file yet: Claude's own style, the entry two levels in ({ "mcpServers": { "name": ...).
            parent = "  " if base is None else base.member_indent
            unit = "  " if base is None else base.unit
            newline, ensure_ascii = self._style_basics()
            multiline = True if base is None else base.multiline
            return _Style(
                multiline=multiline,
                member_indent=parent + unit,
                closing_indent=parent,
                unit=unit,
                separator="," + (newline + parent + unit if multiline else " "),
                key_separator=base.key_separator if base is not None else ": ",
                newline=newline,
                ensure_ascii=ensure_ascii,
            )
        root_style = self._object_style(root, parent_indent="")
        return self._object_style(servers, parent_indent=root_style.member_indent, fallback_unit=root_style.unit)

    def _object_style(self, obj: ObjectSpan, *, parent_indent: str, fallback_unit: str = "  ") -> _Style:
        text = self.text
        newline, ensure_ascii = self._style_basics()
        members = obj.members
        if members:
            lead = text[obj.start + 1 : members[0].key_start]
            trail = text[members[-1].value_end : obj.end - 1]
            key_separator = text[members[0].key_end : members[0].value_start]
        else:
            lead = trail = text[obj.start + 1 : obj.end - 1]
            key_separator = self._any_key_separator()
        # An empty object takes the file's shape; an empty root `{}` grows in Claude's multi-line style.
        multiline = "\n" in lead if members else ("\n" in text or obj is self.root)
        if multiline:
            member_indent = lead.rsplit("\n", 1)[-1] if "\n" in lead else parent_indent + fallback_unit
            closing_indent = trail.rsplit("\n", 1)[-1] if "\n" in trail else parent_indent
            if not members:
                member_indent = parent_indent + self._unit_guess(fallback_unit)
                closing_indent = parent_indent
            unit = member_indent[len(closing_indent) :] or self._unit_guess(fallback_unit)
        else:
            member_indent = closing_indent = ""
            unit = fallback_unit
        if len(members) > 1:
            separator = text[members[0].value_end : members[1].key_start]
        elif multiline:
            separator = "," + newline + member_indent
        else:
            separator = ", " if " " in key_separator else ","
        return _Style(multiline, member_indent, closing_indent, unit, separator, key_separator, newline, ensure_ascii)

    def _any_key_separator(self) -> str:
        root = self.root
        if root is not None and root.members:
            first = root.members[0]
            return self.text[first.key_end : first.value_start]
        return ": "

    def _unit_guess(self, fallback: str) -> str:
        root = self.root
        if root is not None and root.members:
            lead = self.text[root.start + 1 : root.members[0].key_start]
            if "\n" in lead:
                indent = lead.rsplit("\n", 1)[-1]
                if indent:
                    return indent
        return fallback
