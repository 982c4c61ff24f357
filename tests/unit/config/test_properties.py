"""Property tests: random valid configs × random edit sequences keep every untouched byte.

Parking (issue 16 item 3): any number of entries disabled and enabled in any interleaving, then all enabled again,
gives back the identical bytes — also in hand-edited files whose separators differ from one entry to the next, and
with two processes toggling the same file at once.
"""

import json
import random
import string
import subprocess
import sys
import textwrap

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
    connectors = Connectors(discover(str(config)), dirs, claude_running=lambda: False)
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
    assert json.loads(config.read_bytes().decode("utf-8"))["mcpServers"] == expected_live


GAPS = st.sampled_from([",", ", ", ",\n    ", " ,\n\t", ",\r\n  ", "\n,", ",\n\n      "])
EDGES = st.sampled_from(["", " ", "\n    ", "\n\t", "\r\n  ", "\n\n"])


@st.composite
def hand_edited_texts(draw):
    """`mcpServers` with a different separator between each pair of entries, and any whitespace at its ends."""
    data = draw(others)
    chosen = draw(st.dictionaries(names, entries, min_size=1, max_size=7))
    members = [
        json.dumps(name) + draw(st.sampled_from([": ", ":", " : "])) + json.dumps(value)
        for name, value in chosen.items()
    ]
    body = members[0]
    for member in members[1:]:
        body += draw(GAPS) + member
    servers = "{" + draw(EDGES) + body + draw(EDGES) + "}"
    rest = json.dumps(data)[1:-1]
    return "{" + (rest + ", " if rest else "") + '"mcpServers": ' + servers + "}"


toggles = st.lists(st.tuples(st.sampled_from(["disable", "enable"]), st.integers(0, 6)), min_size=1, max_size=16)


def _toggle_and_check(folder, text, ops, rng):
    config = folder / "claude_desktop_config.json"
    config.write_bytes(text.encode("utf-8"))
    dirs = PlugboardDirs(folder / "c", folder / "s", folder / "l")
    connectors = Connectors(discover(str(config)), dirs, claude_running=lambda: False)
    original = ConfigDocument(text)
    order = original.names
    parked: set[str] = set()
    for op, pick in ops:
        name = order[pick % len(order)]
        getattr(connectors, op)(name)
        (parked.add if op == "disable" else parked.discard)(name)
        now = ConfigDocument(config.read_bytes().decode("utf-8"))
        # Same place: the live entries are always in their original order, and only the parked ones are missing.
        assert now.names == [n for n in order if n not in parked]
        assert {c.name for c in connectors.all() if not c.enabled} == parked
    for name in rng.sample(sorted(parked), len(parked)):
        connectors.enable(name)
    assert config.read_bytes().decode("utf-8") == text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=config_texts(), ops=toggles, seed=st.integers(0, 2**16))
def test_interleaved_toggles_of_several_entries_then_enabling_all_in_any_order_give_back_the_bytes(
    tmp_path_factory, text, ops, seed
):
    if not ConfigDocument(text).names:
        return
    _toggle_and_check(tmp_path_factory.mktemp("prop"), text, ops, random.Random(seed))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=hand_edited_texts(), ops=toggles, seed=st.integers(0, 2**16))
def test_a_hand_edited_file_with_uneven_separators_comes_back_byte_for_byte(tmp_path_factory, text, ops, seed):
    _toggle_and_check(tmp_path_factory.mktemp("prop"), text, ops, random.Random(seed))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=config_texts(), first=st.permutations(range(6)), second=st.permutations(range(6)))
def test_disabling_several_then_enabling_them_in_another_order_gives_back_the_bytes(
    tmp_path_factory, text, first, second
):
    order = ConfigDocument(text).names
    if not order:
        return
    ops = [("disable", i) for i in first if i < len(order)] + [("enable", i) for i in second if i < len(order)]
    _toggle_and_check(tmp_path_factory.mktemp("prop"), text, ops, random.Random(0))


TOGGLER = textwrap.dedent(
    """
    import random, sys
    from plugboard.core.claude.discovery import discover
    from plugboard.core.config.connectors import Connectors
    from pathlib import Path
    from plugboard.core.paths import PlugboardDirs
    config, home, seed, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    dirs = PlugboardDirs(home / "c", home / "s", home / "l")
    connectors = Connectors(discover(config), dirs, claude_running=lambda: False)
    rng = random.Random(seed)
    names = [c.name for c in connectors.all()]
    print("ready", flush=True)
    sys.stdin.readline()  # both start together
    for _ in range(count):
        name = rng.choice(names)
        (connectors.disable if rng.random() < 0.5 else connectors.enable)(name)
    """
)
# Each process's toggles; two processes interleave their locked read-modify-write cycles about this many times.
TOGGLES_PER_PROCESS = 60


def test_two_processes_toggling_the_same_file_at_once_leave_the_bytes_as_they_were(tmp_path):
    text = json.dumps(
        {"preferences": {"x": 1}, "mcpServers": {f"s{i}": {"command": f"c{i}", "args": [str(i)]} for i in range(8)}},
        indent=2,
    )
    config = tmp_path / "claude_desktop_config.json"
    config.write_text(text)
    home = tmp_path / "home"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TOGGLER, str(config), str(home), str(seed), str(TOGGLES_PER_PROCESS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.close()
    for proc in procs:
        assert proc.wait(120) == 0
        proc.stdout.close()
    connectors = Connectors(
        discover(str(config)), PlugboardDirs(home / "c", home / "s", home / "l"), claude_running=lambda: False
    )
    for name in [c.name for c in connectors.all() if not c.enabled][::-1]:
        connectors.enable(name)
    assert config.read_text() == text
