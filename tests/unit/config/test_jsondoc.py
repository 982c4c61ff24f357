"""The lossless document: edits splice only what changed, in the file's own style."""

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from plugboard.core.config.jsondoc import ConfigDocument, JsonSyntax, Unparsed, _Scanner

CLAUDE_STYLE = (
    '{\n  "globalShortcut": "Ctrl+Space",\n  "mcpServers": {\n    "fs": {\n      "command": "npx",\n'
    '      "args": [\n        "-y",\n        "@modelcontextprotocol/server-filesystem"\n      ]\n    },\n'
    '    "time": {\n      "command": "uvx",\n      "args": [\n        "mcp-server-time"\n      ]\n    }\n  },\n'
    '  "preferences": {\n    "quickEntryShortcut": "off"\n  }\n}'
)
TAB_CRLF = '{\r\n\t"mcpServers": {\r\n\t\t"a": {"command": "x"},\r\n\t\t"b": {"command": "y"}\r\n\t}\r\n}\r\n'
COMPACT = '{"mcpServers":{"a":{"command":"x"},"b":{"command":"y"}},"z":1}'
STYLES = [CLAUDE_STYLE, TAB_CRLF, COMPACT]


@pytest.mark.parametrize("text", STYLES)
def test_removing_and_restoring_any_entry_gives_back_the_identical_text(text):
    doc = ConfigDocument(text)
    for name in doc.names:
        without, removal = doc.without(name)
        assert name not in json.loads(without)["mcpServers"]
        assert ConfigDocument(without).with_restored(removal) == text


def test_adding_to_a_claude_style_file_uses_two_space_indent_and_no_final_newline():
    text = ConfigDocument(CLAUDE_STYLE).with_added("mem", {"command": "npx", "args": ["-y", "m"]})
    assert text.startswith(CLAUDE_STYLE[: CLAUDE_STYLE.index('\n  },\n  "preferences"')])
    assert '    "mem": {\n      "command": "npx",\n      "args": [\n        "-y",\n        "m"\n      ]\n    }' in text
    assert text.endswith('"quickEntryShortcut": "off"\n  }\n}')


def test_adding_to_a_tab_indented_crlf_file_keeps_tabs_and_crlf():
    text = ConfigDocument(TAB_CRLF).with_added("c", {"command": "z", "args": ["1"]})
    assert "\n" not in text.replace("\r\n", "")
    assert '\t\t"c": {\r\n\t\t\t"command": "z",' in text
    assert text.endswith("\r\n\t}\r\n}\r\n")


def test_adding_to_a_compact_file_stays_on_one_line():
    text = ConfigDocument(COMPACT).with_added("c", {"command": "z"})
    assert text == '{"mcpServers":{"a":{"command":"x"},"b":{"command":"y"},"c":{"command":"z"}},"z":1}'


def test_adding_creates_mcpservers_in_claude_style_when_the_file_is_empty_or_lacks_it():
    assert ConfigDocument("").with_added("a", {"command": "x"}) == (
        '{\n  "mcpServers": {\n    "a": {\n      "command": "x"\n    }\n  }\n}'
    )
    assert ConfigDocument('{\n    "preferences": {}\n}\n').with_added("a", {"command": "x"}) == (
        '{\n    "preferences": {},\n    "mcpServers": {\n        "a": {\n            "command": "x"\n        }\n    }\n}\n'
    )


def test_unicode_and_escapes_elsewhere_are_kept_and_new_text_is_written_raw():
    text = '{"note": "caf\\u00e9 \\"q\\" ✓", "mcpServers": {}}'
    out = ConfigDocument(text).with_added("é", {"command": "ü"})
    assert out.startswith('{"note": "caf\\u00e9 \\"q\\" ✓", "mcpServers": {')
    assert json.loads(out)["mcpServers"] == {"é": {"command": "ü"}}
    assert '"é"' in out


def test_replacing_an_entry_touches_only_its_value():
    doc = ConfigDocument(CLAUDE_STYLE)
    out = doc.with_replaced("fs", {"command": "node"})
    start = CLAUDE_STYLE.index('"fs": ') + len('"fs": ')
    assert out[:start] == CLAUDE_STYLE[:start]
    tail = CLAUDE_STYLE[CLAUDE_STYLE.index(',\n    "time"') :]
    assert out.endswith(tail)
    assert json.loads(out)["mcpServers"]["fs"] == {"command": "node"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('{"a": 1,}', "trailing-comma"),
        ('{"a": [1, 2,]}', "trailing-comma"),
        ('{"a": 1}{"b": 2}', "extra-data"),
        ('\ufeff{"a": 1}', "bom"),
        ('{"a": 1 // note\n}', "comment"),
        ('/* hi */ {"a": 1}', "comment"),
        ('{"mcpServers": {"a": {"command": "x"', "truncated"),
        ('["a"]', "not-object"),
        ('{"a": NaN}', "syntax"),
        ("{'a': 1}", "syntax"),
    ],
)
def test_strict_parsing_classifies_each_kind_of_broken_text(text, kind):
    with pytest.raises(JsonSyntax) as caught:
        ConfigDocument(text)
    assert caught.value.kind == kind


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=12,
)


@given(value=json_values, cut=st.integers(0, 200), insert=st.sampled_from(["", ",", "]", "}", '"', "x", " ", "1"]))
@example(value=[], cut=0, insert=" ")
@example(value={"a": [1, {}]}, cut=5, insert=" ")
def test_the_deep_value_scanner_accepts_exactly_what_the_decoder_accepts(value, cut, insert):
    text = json.dumps(value)
    cut = min(cut, len(text))
    text = text[:cut] + insert + text[cut:]
    scanner = _Scanner(text)
    try:
        _value, expected = json.JSONDecoder(strict=True).raw_decode(text)
    except ValueError:
        with pytest.raises(JsonSyntax):
            scanner.skip_value(0)
        return
    assert scanner.skip_value(0) == expected


def test_a_value_deeper_than_the_recursion_limit_is_kept_as_its_text():
    deep = "[" * 5000 + '{"a": [1, "x"]}' + "]" * 5000
    doc = ConfigDocument('{"deep": ' + deep + ', "mcpServers": {}}')
    assert doc.root.members[0].value == Unparsed(deep)
    assert doc.with_added("a", {"command": "x"}).startswith('{"deep": ' + deep + ", ")
