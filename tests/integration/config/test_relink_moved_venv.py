"""A checkout's virtual environment is moved: its connectors break, `plugboard relink` brings them back.

Real files all the way: a second virtual environment made with `python -m venv`, whose `plugboard` is a console
script with an absolute shebang (as pip writes them), an entry written the way Plugboard wrote entries before the
shim, the folder moved, and the entry started as Claude Desktop starts it, before and after.
"""

from __future__ import annotations

import json
import site
import subprocess
import sys
import time
from pathlib import Path

import pytest

from integration.launcher_helpers import ENV_SERVER, claude_like_env
from plugboard.cli import main
from plugboard.core import install

INITIALIZE = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}},
    }
)
# A Python MCP server with the SDK loaded starts in ~0.5 s here; 30 s covers a loaded 2-core machine.
ANSWER_TIMEOUT_S = 30.0
VENV_TIMEOUT_S = 60.0


def _make_old_checkout(folder: Path) -> Path:
    """A virtual environment whose `plugboard` runs this source tree, like `pip install -e .` in another checkout."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=VENV_TIMEOUT_S)
    purelib = next(folder.glob("lib/python3*/site-packages"))
    # Our own environment's packages (and its editable install of plugboard) become this one's.
    (purelib / "borrowed.pth").write_text(f"import site; site.addsitedir({site.getsitepackages()[0]!r})\n")
    program = folder / "bin" / "plugboard"
    program.write_text(
        f"#!{folder / 'bin' / 'python'}\nimport sys\nfrom plugboard.cli import main\nsys.exit(main())\n",
        encoding="utf-8",
    )
    program.chmod(0o755)
    return program


def _start_as_claude(entry: dict[str, object]) -> subprocess.CompletedProcess[str]:
    argv = [str(entry["command"]), *[str(a) for a in entry["args"]]]  # type: ignore[union-attr]
    started = time.monotonic()
    try:
        return subprocess.run(
            argv,
            input=INITIALIZE + "\n",
            capture_output=True,
            text=True,
            env=claude_like_env(),
            timeout=ANSWER_TIMEOUT_S,
        )
    finally:
        assert time.monotonic() - started < ANSWER_TIMEOUT_S


@pytest.mark.skipif(sys.platform == "win32", reason="console scripts with shebangs: POSIX")
def test_a_moved_virtual_environment_breaks_its_connectors_until_relink(claude_config, tmp_path, capsys):
    old_program = _make_old_checkout(tmp_path / "src" / "plugboard" / ".venv")
    entry = {"command": str(old_program), "args": ["run", "env", "--", sys.executable, str(ENV_SERVER)]}
    text = json.dumps({"mcpServers": {"env": entry}, "preferences": {"kept": True}}, indent=2)
    claude_config.write_text(text)

    before = _start_as_claude(entry)
    assert '"serverInfo"' in before.stdout, before.stderr  # the old checkout's launcher really works

    (tmp_path / "src").rename(tmp_path / "code")

    with pytest.raises(FileNotFoundError):
        _start_as_claude(entry)  # what Claude Desktop meets: "spawn ... ENOENT"
    assert main(["list"]) == 0
    assert f"env starts Plugboard from {old_program}, which no longer exists." in capsys.readouterr().out

    assert main(["relink"]) == 0
    capsys.readouterr()
    relinked = json.loads(claude_config.read_text())["mcpServers"]["env"]
    assert relinked == dict(entry, command=str(install.shim_path()))
    assert claude_config.read_text() == text.replace(json.dumps(str(old_program)), json.dumps(str(install.shim_path())))

    after = _start_as_claude(relinked)
    assert '"serverInfo"' in after.stdout, after.stderr
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "env   on" in listed
    assert "relink" not in listed
