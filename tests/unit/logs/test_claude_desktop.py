"""Reading Claude Desktop's `mcp.log` and `mcp-server-NAME.log` loosely, on every OS's log folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugboard.core.claude.discovery import discover
from plugboard.core.logs import claude_desktop as cl
from plugboard.core.logs.model import ERROR, INFO, WARNING


def test_the_documented_line_shape_gives_time_level_server_and_text() -> None:
    entry = cl.parse_line(b"2025-06-03T07:23:52.664Z [error] [github] spawn npx ENOENT", Path("mcp.log"))
    assert entry is not None
    assert (entry.level, entry.server, entry.text) == (ERROR, "github", "spawn npx ENOENT")
    assert entry.time == pytest.approx(1748935432.664)


def test_tags_in_the_other_order_and_extra_tags_are_understood() -> None:
    entry = cl.parse_line(b"2025-06-03T07:23:52Z [github] [warn] [stdio] slow answer", Path("x"), "github")
    assert entry is not None
    assert (entry.level, entry.server, entry.text) == (WARNING, "github", "slow answer")


def test_unstamped_lines_continue_the_entry_before_them() -> None:
    data = b"2025-06-03T07:23:52.000Z [github] [error] Server disconnected\n  at Socket.onclose\n\n"
    entries = cl.parse_lines(data, Path("mcp-server-github.log"), "github")
    assert [(e.level, e.text) for e in entries] == [(ERROR, "Server disconnected"), (ERROR, "  at Socket.onclose")]


def test_garbage_is_kept_as_text_not_dropped() -> None:
    entries = cl.parse_lines(b"not a log line at all\n", Path("x"), "github")
    assert [(e.time, e.level, e.text) for e in entries] == [(None, INFO, "not a log line at all")]


def _claude_logs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mcp.log").write_text(
        "2025-06-03T07:23:50.000Z [info] [github] Initializing server...\n"
        "2025-06-03T07:23:52.664Z [error] [github] spawn npx ENOENT\n"
        "2025-06-03T07:23:59.000Z [error] [files] Server disconnected\n"
    )
    (folder / "mcp-server-github.log").write_text(
        "2025-06-03T07:23:51.000Z [github] [info] Message from client: initialize\n"
        "2025-06-03T07:23:53.000Z [github] [error] Server transport closed unexpectedly\n"
    )
    return folder


def test_the_last_error_for_a_connector_comes_from_either_file_and_ignores_other_connectors(tmp_path: Path) -> None:
    logs = _claude_logs(tmp_path / "logs")
    error = cl.last_error(logs, "github")
    assert error is not None
    assert error.text == "Server transport closed unexpectedly"
    assert error.file == logs / "mcp-server-github.log"
    assert cl.last_error(logs, "files") is not None
    assert cl.last_error(logs, "nobody") is None


def test_no_log_folder_means_no_error_rather_than_a_failure(tmp_path: Path) -> None:
    assert cl.last_error(None, "github") is None
    assert cl.last_error(tmp_path / "missing", "github") is None


def test_only_the_end_of_a_huge_log_is_read_and_it_starts_at_a_line_boundary(tmp_path: Path) -> None:
    path = tmp_path / "mcp.log"
    filler = b"2025-06-01T00:00:00.000Z [info] [github] filler line\n" * 50_000
    path.write_bytes(filler + b"2025-06-03T07:23:52.664Z [error] [github] the end\n")
    tail = cl.read_tail(path, max_bytes=1000)
    assert len(tail) <= 1000
    assert tail.startswith(b"2025-06-01")
    assert cl.parse_lines(tail, path)[-1].text == "the end"


def test_the_windows_store_msix_log_folder_is_where_the_last_error_is_found(tmp_path: Path) -> None:
    local = tmp_path / "Local"
    package = local / "Packages" / "Claude_pzs8sxrjxfjjc" / "LocalCache" / "Roaming" / "Claude"
    package.mkdir(parents=True)
    env = {"APPDATA": str(tmp_path / "Roaming"), "LOCALAPPDATA": str(local)}
    found = discover(system="Windows", env=env, home=tmp_path)
    assert found.logs_dir == package / "logs"
    _claude_logs(package / "logs")
    error = cl.last_error(found.logs_dir, "github")
    assert error is not None and error.text == "Server transport closed unexpectedly"


@pytest.mark.parametrize(
    ("system", "relative"),
    [("Darwin", "Library/Logs/Claude"), ("Linux", ".config/Claude/logs")],
)
def test_the_macos_and_linux_log_folders_are_read_too(tmp_path: Path, system: str, relative: str) -> None:
    found = discover(system=system, env={}, home=tmp_path)
    assert found.logs_dir == tmp_path / relative
    _claude_logs(found.logs_dir)
    assert cl.last_error(found.logs_dir, "github") is not None


def test_the_server_log_becomes_log_model_lines_from_the_claude_source(tmp_path: Path) -> None:
    logs = _claude_logs(tmp_path / "logs")
    lines = cl.server_log_lines(logs, "github")
    assert [(ln.source, ln.stream, ln.level) for ln in lines] == [
        ("claude", "claude", INFO),
        ("claude", "claude", ERROR),
    ]


def test_a_line_claude_tags_info_keeps_its_own_error_word():
    """The bridge's failure notes reach Claude's log as the server's stderr, which Claude tags [info]; the marker the
    bridge writes ("[error] …: the remote MCP server is unreachable") makes them errors there too."""
    from plugboard.core.logs.claude_desktop import parse_line
    from plugboard.core.logs.model import ERROR, INFO

    line = (
        b"2025-06-03T07:23:52.664Z [catalyst] [info] plugboard proxy catalyst: [error] initialize: the remote MCP "
        b"server is unreachable: cannot connect"
    )
    entry = parse_line(line, Path("mcp-server-catalyst.log"), "catalyst")
    assert entry is not None and entry.level == ERROR
    plain = parse_line(b"2025-06-03T07:23:52.664Z [catalyst] [info] Server started", Path("x.log"), "catalyst")
    assert plain is not None and plain.level == INFO


def test_the_bridges_failure_note_in_our_own_log_is_an_error():
    from plugboard.core.logs.model import ERROR, stamped_lines

    (line,) = stamped_lines(
        [b"2025-06-03T07:23:52.664Z [plugboard] [error] initialize: the remote MCP server is unreachable: x"],
        "launcher",
    )
    assert line.level == ERROR and line.stream == "plugboard"
