"""Where a parked (disabled) entry goes back, and with which bytes around it.

A parked record remembers, besides the entry's exact text:

- `before` / `after`: the names around it when it was parked, nearest last / nearest first, counting entries that
  were parked themselves (the *virtual order*: the file's entries with every parked one at its place);
- `gap_before` / `gap_after`: the exact text (whitespace and comma) that stood between it and its virtual
  neighbours — for a neighbour that was parked already, the gap that neighbour's own record holds;
- `lead` / `trail`: the text between `mcpServers`' braces and its first / last entry, for when the object is empty.

Putting an entry back: build the virtual order of the file as it is (live entries, plus every other parked record
placed by its recorded neighbours, see `place`), place the entry the same way, and splice it between its live
neighbours. The gap on each side is the recorded one when that live neighbour is the recorded one; else a gap of
the right shape (the lead, the trail, or an entry separator from the record or the file). Each later put-back
between two neighbours replaces the gap between them, so once every parked entry is back, every gap is the
recorded original: disabling any set and enabling it again, in any order, gives the identical bytes (for files
edited by hand too, whatever their separators), and an entry always returns next to the neighbours it left.
Entries added or removed meanwhile keep that promise for the order; bytes around them are the file's style.

Records from before this scheme (no `gaps`) go back through `ConfigDocument.with_restored` as they did.
Pure functions over a `ConfigDocument` and record dicts; `connectors` reads and writes the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from plugboard.core.config.jsondoc import JSON_WS, ConfigDocument, Removal


def has_gaps(record: Mapping[str, Any]) -> bool:
    return all(isinstance(record.get(k), str) for k in ("gap_before", "gap_after", "lead", "trail")) and all(
        isinstance(record.get(k), list) for k in ("before", "after")
    )


def virtual_order(live: Sequence[str], records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The live names with each record's name placed where it belongs (records in the order given)."""
    order = list(live)
    present = set(live)
    for record in records:
        if record["name"] in order:
            continue
        order.insert(place(order, record, present), record["name"])
    return order


def place(order: Sequence[str], record: Mapping[str, Any], live: set[str]) -> int:
    """Where `record`'s entry goes in `order` (a virtual order whose `live` names are in the file).

    Live neighbours decide first: they are really in the file, in that order, while where a parked name sits in
    `order` is itself inferred. So the entry goes after the last of its recorded predecessors that is live and
    before the first of its recorded successors that is live; within that stretch, after the last recorded
    predecessor (else before the first recorded successor) that `order` holds there; else next to the live
    anchor; else at its old index. Live anchors that contradict each other (entries reordered by hand): after
    the predecessor.
    """
    where = {name: i for i, name in enumerate(order)}
    before = [where[n] for n in record.get("before") or () if n in where]
    after = [where[n] for n in record.get("after") or () if n in where]
    live_before = [i for i in before if order[i] in live]
    live_after = [i for i in after if order[i] in live]
    low = max(live_before) + 1 if live_before else 0
    high = min(live_after) if live_after else len(order)
    if low > high:
        return low
    inside_before = [i for i in before if low <= i < high]
    if inside_before:
        return max(inside_before) + 1
    inside_after = [i for i in after if low <= i < high]
    if inside_after:
        return min(inside_after)
    if live_before:
        return low
    if live_after:
        return high
    return min(max(int(record.get("index", high)), low), high)


def park(doc: ConfigDocument, name: str, others: Sequence[Mapping[str, Any]]) -> tuple[str, dict[str, Any]]:
    """Remove live entry `name`: the new text and the record fields that put it back (see the module docstring).

    `others`: the other parked records of this config, in store order.
    """
    order = virtual_order(doc.names, others)
    at = order.index(name)
    before, after = order[:at], order[at + 1 :]
    parked = {r["name"]: r for r in others}
    file_before, file_after = doc.neighbours(name)
    prev = before[-1] if before else None
    nxt = after[0] if after else None
    gap_before = doc.gap(file_before, name)
    if prev != file_before and prev in parked and has_gaps(parked[prev]):
        gap_before = str(parked[prev]["gap_after"])  # the gap between two parked neighbours is in the record
    gap_after = doc.gap(name, file_after)
    if nxt != file_after and nxt in parked and has_gaps(parked[nxt]):
        gap_after = str(parked[nxt]["gap_before"])
    lead, trail = doc.gap(None, doc.names[0]), doc.gap(doc.names[-1], None)
    text, removal = doc.without(name)
    record: dict[str, Any] = {
        "name": name,
        "member_text": removal.member_text,
        "chunk": removal.chunk,
        "mode": removal.mode,
        "index": removal.index,
        "before": before,
        "after": after,
        "gap_before": gap_before,
        "gap_after": gap_after,
        "lead": lead,
        "trail": trail,
    }
    return text, record


def unpark(doc: ConfigDocument, record: Mapping[str, Any], others: Sequence[Mapping[str, Any]]) -> str:
    """The text with `record`'s entry back in place (see the module docstring). `others`: the other parked
    records of this config, in store order."""
    if not has_gaps(record) or doc.servers is None:
        return doc.with_restored(removal_of(record))
    live = set(doc.names)
    order = virtual_order(doc.names, others)
    at = place(order, record, live)
    left = next((n for n in reversed(order[:at]) if n in live), None)
    right = next((n for n in order[at:] if n in live), None)
    recorded_left = record["before"][-1] if record["before"] else None
    recorded_right = record["after"][0] if record["after"] else None
    separator = _separator(doc, record)
    if left == recorded_left:
        gap_before = str(record["gap_before"])
    else:
        gap_before = str(record["lead"]) if left is None else separator
    if right == recorded_right:
        gap_after = str(record["gap_after"])
    else:
        gap_after = str(record["trail"]) if right is None else separator
    # A record edited by hand (or a gap from another shape) must not break the JSON: fall back to the file's style.
    if not _shaped(gap_before, comma=left is not None):
        gap_before = separator if left is not None else ""
    if not _shaped(gap_after, comma=right is not None):
        gap_after = separator if right is not None else ""
    return doc.with_member_between(str(record["member_text"]), left, right, gap_before, gap_after)


def _separator(doc: ConfigDocument, record: Mapping[str, Any]) -> str:
    for gap in (record["gap_before"], record["gap_after"]):
        if _shaped(str(gap), comma=True):
            return str(gap)
    return doc.separator()


def _shaped(gap: str, *, comma: bool) -> bool:
    """Whitespace only, with exactly one comma when it separates two entries."""
    return gap.strip(JSON_WS) == ("," if comma else "") and gap.count(",") == (1 if comma else 0)


def removal_of(record: Mapping[str, Any]) -> Removal:
    return Removal(record["name"], record["member_text"], record["chunk"], record["mode"], int(record["index"]))
