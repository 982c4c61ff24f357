"""Text from files, made safe to print on a terminal.

A connector's name, command or arguments come from Claude's config, which anyone (or any program) may have written.
Printed raw, an ANSI escape in a name could recolour or clear the terminal, rewrite earlier lines or set the window
title; a newline could forge a second output line (or a second line of a "one-line" error); a lone surrogate
(`\\ud800` in the JSON) cannot be encoded at all and would end the command with a traceback. `safe` spells every
such character as a visible escape — `\\x1b`, `\\n`, `\\ud800` — and leaves all other text, accents and emoji
included, as it is.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL; lone surrogates; the line and paragraph separators; the bidirectional overrides and
# isolates that can make a name read as something else ("Trojan source").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _spell(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """`text` with every character that could act on the terminal, or break the output, spelled as an escape."""
    return _UNSAFE.sub(_spell, text)
