"""Property tests: random valid configs × random edit sequences keep every untouched byte."""

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugboard.core.claude.discovery import discover
from plugboard.core.config.connectors import Connectors
from plugboard.core.config.jsondoc import ConfigDocument
from plugboard.core.paths import PlugboardDirs

names = st.text(alphabet=string.ascii_letters + "-_é✓", min_size=1, max_size=8).filter(lambda s: s.strip() == s)
texts = st.text(alphabet=string.printable + "é✓\u2028😀", max_size=12)
entries = st.fixed_dictionaries(
    {"command": st.text(alphabet=string.ascii_letters + "/.", min_size=1, max_size=10)},
    optional={"args": st.lists(texts, max_size=3), "env": st.dictionaries(names, texts, max_size=2)},
)
servers = st.dictionaries(names, entries, max_size=5)
others = st.dictionaries(
    st.sampled_from(["preferences", "globalShortcut", "features", "isUsingBuiltInNodeForMcp", "x"]),
    st.one_of(st.booleans(), texts, st.dictionaries(names, st.integers(), max_size=2)),
    max_size=3,
)


@st.composite
def config_texts(draw):
    """A config rendered in a random but consistent style: indent, separators, newline, escapes, final newline."""
    data = draw(others)
    data = dict(data)
    position = draw(st.integers(0, len(data)))
    items = list(data.items())
    items.insert(position, ("mcpServers", draw(servers)))
    indent = draw(st.sampled_from([None, 2, 4, "\t"]))
    ensure_ascii = draw(st.booleans())
    text = json.dumps(dict(items), indent=indent, ensure_ascii=ensure_ascii)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text += "\r\n" if "\r\n" in text else "\n"
    return text


operations = st.lists(
    st.tuples(st.sampled_from(["add", "remove", "disable", "enable"]), st.integers(0, 6), entries), max_size=8
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=config_texts(), ops=operations)
def test_random_edits_keep_every_untouched_byte_and_disable_enable_is_the_identity(tmp_path_factory, text, ops):
    folder = tmp_path_factory.mktemp("prop")
    config = folder / "claude_desktop_config.json"
    config.write_bytes(text.encode("utf-8"))
    dirs = PlugboardDirs(folder / "c", folder / "s", folder / "l")
    connectors = Connectors(discover(str(config)), dirs)
    original = ConfigDocument(text)
    prefix = text[: original.servers.start]
    suffix = text[original.servers.end :]
    expected_live = {m.name: m.value for m in original.servers.members}
    untouched = set(expected_live)
    parked: dict = {}
    for op, pick, entry in ops:
        pool = sorted(expected_live) if op in ("remove", "disable") else sorted(parked)
        if op == "add":
            name = f"new{pick}"
            if name in expected_live or name in parked:
                continue
            connectors.add(name, entry)
            expected_live[name] = entry
        elif not pool:
            continue
        else:
            name = pool[pick % len(pool)]
            before = config.read_bytes()
            if op == "remove":
                connectors.remove(name)
                del expected_live[name]
            elif op == "disable":
                connectors.disable(name)
                parked[name] = expected_live.pop(name)
                connectors.enable(name)  # disable → enable is the identity on bytes
                assert config.read_bytes() == before
                connectors.disable(name)
            else:
                connectors.enable(name)
                expected_live[name] = parked.pop(name)
        untouched.discard(name)
        now = config.read_bytes().decode("utf-8")
        data = json.loads(now)
        assert data["mcpServers"] == expected_live
        doc = ConfigDocument(now)
        assert now[: doc.servers.start] == prefix
        assert now[doc.servers.end :] == suffix
        for name in untouched:
            assert doc.member_text(name) == original.member_text(name)
        assert {c.name for c in connectors.all() if not c.enabled} == set(parked)
    for name in sorted(parked):
        connectors.enable(name)
        expected_live[name] = parked.pop(name)
    assert json.loads(config.read_text(encoding="utf-8"))["mcpServers"] == expected_live
