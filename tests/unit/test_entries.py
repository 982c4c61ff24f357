"""The entry shapes Plugboard writes (`plugboard.core.entries`): every entry round-trips, and every consumer reads an
entry the way `entries.parse` does, whatever spelling the `plugboard` command accepts."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plugboard.cli import build_parser
from plugboard.core import entries
from plugboard.core.clients import exporting, importing
from plugboard.core.clients.catalog import describe
from plugboard.core.clients.formats import client
from plugboard.core.config.connectors import Connector
from plugboard.core.entries import BareEntry, LauncherEntry, ProxyEntry, parse, split_launcher_words

PROGRAM = "/opt/plugboard/bin/plugboard"

names = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,11}", fullmatch=True)
keys = st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True)
# Server words: anything, including words that look like our own flags (`--secret`, `--`), which belong to the server.
words = st.one_of(st.text(max_size=12), st.sampled_from(["--", "--secret", "--secret=X", "-y", "--ssh", "run"]))
commands = st.text(string.ascii_letters + "/._-", min_size=1, max_size=20).filter(
    lambda c: not entries.is_plugboard_program(c)
)
env = st.dictionaries(keys, st.text(max_size=10), max_size=3)
extra = st.dictionaries(st.sampled_from(["extensionId", "x-note"]), st.text(max_size=8), max_size=2)
header_specs = st.builds(lambda k, v: f"X-{k}: {v}", keys, st.text(string.ascii_letters + "${}:", max_size=10))

launchers = st.builds(
    LauncherEntry,
    name=names,
    command=commands,
    args=st.lists(words, max_size=5).map(tuple),
    secrets=st.lists(keys, max_size=3).map(tuple),
    env=env,
    program=st.just(PROGRAM),
    extra=extra,
)
proxies = st.builds(
    ProxyEntry,
    name=names,
    url=st.sampled_from(["http://127.0.0.1:5000/mcp", "https://mcp.example.com/mcp"]),
    ssh=st.none() | names,
    headers=st.lists(header_specs, max_size=2).map(tuple),
    bearer_secret=st.none() | keys,
    timeout=st.none() | st.sampled_from(["30", "2.5"]),
    oauth=st.booleans(),
    client_id=st.none() | st.sampled_from(["plugboard-desktop", "1234.apps.example", "https://c.example/id.json"]),
    scope=st.none() | st.sampled_from(["mcp", "read write", "openid offline_access"]),
    env=env,
    program=st.just(PROGRAM),
    extra=extra,
)
bare = st.builds(
    lambda c, a, e: {"command": c, **({"args": a} if a is not None else {}), **({"env": e} if e else {})},
    commands,
    st.none() | st.lists(words, max_size=4),
    env,
)


@given(launchers | proxies)
def test_every_entry_plugboard_writes_reads_back_as_itself(entry: LauncherEntry | ProxyEntry) -> None:
    written = entry.to_json()

    assert parse(written) == entry
    assert parse(written).to_json() == written


@given(bare)
def test_an_entry_that_runs_its_server_directly_is_kept_exactly(raw: dict[str, Any]) -> None:
    parsed = parse(raw)

    assert isinstance(parsed, BareEntry)
    assert parsed.to_json() == raw
    assert parsed.server_argv == [raw["command"], *raw.get("args", [])]


def _respelled_launcher(entry: LauncherEntry) -> dict[str, Any]:
    """The same launcher entry in the other spelling `plugboard run` accepts: `--secret=KEY`."""
    written = entry.to_json()
    args = ["run", entry.name, *[f"--secret={k}" for k in entry.secrets], "--", entry.command, *entry.args]
    return {**written, "args": args}


def _respelled_proxy(entry: ProxyEntry) -> dict[str, Any]:
    """The same proxy entry with `--flag=value` spellings, flags in another order (headers keep theirs), and the
    value-less `--oauth` given twice (argparse's `store_true` reads that as once)."""
    written = entry.to_json()
    flags = [f for f in written["args"][3:] if f != "--oauth"]
    pairs = [f"{flags[i]}={flags[i + 1]}" for i in range(0, len(flags), 2)]
    pairs += ["--oauth", "--oauth"] if entry.oauth else []
    return {**written, "args": [*written["args"][:3], *sorted(pairs, key=lambda p: p.partition("=")[0], reverse=True)]}


@given(launchers)
def test_every_spelling_of_a_launcher_entry_means_the_same(entry: LauncherEntry) -> None:
    assert parse(_respelled_launcher(entry)) == entry


@given(proxies)
def test_every_spelling_of_a_proxy_entry_means_the_same(entry: ProxyEntry) -> None:
    respelled = parse(_respelled_proxy(entry))

    assert respelled == entry


@settings(max_examples=60)
@given(launchers | proxies | bare.map(parse), st.booleans())
def test_every_consumer_reads_an_entry_as_parse_does(entry: entries.Entry, respell: bool) -> None:
    written = entry.to_json()
    if respell and isinstance(entry, LauncherEntry):
        written = _respelled_launcher(entry)
    elif respell and isinstance(entry, ProxyEntry):
        written = _respelled_proxy(entry)
    parsed = parse(written)
    connector = Connector(getattr(entry, "name", "x"), True, written)

    # the list, the doctor, the form and the logs read a connector through these
    assert connector.via_plugboard == parsed.via
    assert connector.server_command == parsed.server_argv
    assert connector.secret_keys == (list(parsed.secrets) if isinstance(parsed, LauncherEntry) else [])
    # import's "same as existing" sees through the spelling
    assert importing.signature(written) == importing.signature(parsed.to_json())
    # export unwraps the launcher to the server it starts, and a tunnel-less proxy to its address
    out = exporting.portable_entry(connector.name, written, client("shareable"), exporting.Exported())
    if isinstance(parsed, ProxyEntry) and parsed.ssh is None:
        assert out["url"] == parsed.url
    elif isinstance(parsed, LauncherEntry):
        assert out["command"] == parsed.command
        assert set(out.get("env", {})) >= set(parsed.secrets)
    # the app's one-line description names a proxy's address and tunnel
    if isinstance(parsed, ProxyEntry):
        assert parsed.url in describe(connector)
        assert (parsed.ssh or "through the SSH tunnel") in describe(connector) or parsed.ssh is None


@given(launchers, st.booleans())
def test_the_launcher_program_reads_the_words_claude_passes_as_parse_does(entry: LauncherEntry, respell: bool) -> None:
    written = _respelled_launcher(entry) if respell else entry.to_json()
    cli = build_parser().parse_args(written["args"])
    split = split_launcher_words(cli.server)

    assert split is not None
    assert cli.name == entry.name
    assert ([*cli.secret, *split[0]], split[1]) == (list(entry.secrets), [entry.command, *entry.args])


def test_secrets_before_the_separator_are_ours_and_everything_after_belongs_to_the_server() -> None:
    words = ["--secret", "A", "--secret=B", "--", "npx", "-y", "pkg", "--secret", "C", "--", "-h"]

    assert split_launcher_words(words) == (["A", "B"], ["npx", "-y", "pkg", "--secret", "C", "--", "-h"])


def test_without_a_separator_the_first_other_word_starts_the_command() -> None:
    assert split_launcher_words(["--secret", "A", "uvx", "mcp-server-git"]) == (["A"], ["uvx", "mcp-server-git"])


def test_a_plugboard_entry_whose_words_do_not_parse_is_left_bare_and_untouched() -> None:
    for args in (
        ["run", "x", "--secret"],
        ["run", "x", "--"],
        ["run", "-x", "--", "uvx", "y"],
        ["proxy", "x", "http://h/mcp", "--oauth-ish", "1"],
        ["proxy", "x", "http://h/mcp", "--oauth=yes"],
        ["proxy", "x", "http://h/mcp", "--oauth", "--client-id"],
    ):
        raw = {"command": PROGRAM, "args": args}

        assert parse(raw) == BareEntry(raw)
        assert parse(raw).to_json() == raw


def test_an_entry_written_by_another_install_is_still_ours() -> None:
    for program in ("/old/venv/bin/plugboard", "C:\\Users\\me\\Plugboard\\plugboard.exe"):
        parsed = parse({"command": program, "args": ["run", "time", "--", "uvx", "mcp-server-time"]})

        assert isinstance(parsed, LauncherEntry)
        assert parsed.program == program
        assert parsed.server_argv == ["uvx", "mcp-server-time"]


def test_oauth_flags_are_written_after_the_older_flags_in_a_fixed_order() -> None:
    entry = ProxyEntry(
        "notes",
        "https://mcp.example.com/mcp",
        headers=("X-Team: blue",),
        timeout="30",
        oauth=True,
        client_id="plugboard-desktop",
        scope="notes:read notes:write",
        program=PROGRAM,
    )

    assert entry.to_json()["args"] == [
        "proxy",
        "notes",
        "https://mcp.example.com/mcp",
        "--header",
        "X-Team: blue",
        "--timeout",
        "30",
        "--oauth",
        "--client-id",
        "plugboard-desktop",
        "--scope",
        "notes:read notes:write",
    ]


def test_a_new_proxy_entry_with_a_client_id_or_a_scope_signs_in_with_oauth() -> None:
    assert ProxyEntry.new("a", "https://h/mcp", client_id="c").oauth
    assert ProxyEntry.new("b", "https://h/mcp", scope="mcp").oauth
    assert not ProxyEntry.new("c", "https://h/mcp").oauth
    assert "--oauth" not in ProxyEntry.new("c", "https://h/mcp").to_json()["args"]
