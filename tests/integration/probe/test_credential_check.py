"""Secrets that are checked: a server that lists its tools whatever key it gets (tests/servers/keyed_server.py) is
only called working when its credential check — one harmless read-only call — succeeds with the key from the real
keyring (run inside scripts/test-session.sh)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from plugboard.core.config.connectors import Connector
from plugboard.core.entries import LauncherEntry
from plugboard.core.probe.doctor import CheckCall, examine_connector
from plugboard.core.probe.verdict import Code, verdict
from plugboard.core.secrets.keyring import set_secret

SERVER = Path(__file__).resolve().parents[2] / "servers" / "keyed_server.py"
sys.path.insert(0, str(SERVER.parent))
from keyed_server import GOOD_KEY, KEY_VARIABLE  # noqa: E402

CHECK = CheckCall("whoami")


def keyed() -> Connector:
    entry = LauncherEntry.new("keyed", sys.executable, [str(SERVER)], secrets=[KEY_VARIABLE]).to_json()
    return Connector("keyed", True, entry)


@pytest.mark.usefixtures("secret_service")
def test_a_bad_key_lists_tools_but_the_check_says_it_was_refused() -> None:
    set_secret("keyed", KEY_VARIABLE, "not-the-key-000000")
    report = examine_connector(keyed(), check=CHECK)
    assert report.tools == ["whoami", "search"]  # listing alone would have called it working
    assert not report.ok
    assert report.check is not None and not report.check.ok and "401" in report.check.text
    result = verdict(report, [KEY_VARIABLE])
    assert result.finding.code is Code.SECRET_REFUSED
    assert result.headline == "The key was refused"


@pytest.mark.usefixtures("secret_service")
def test_the_right_key_passes_the_check_and_works() -> None:
    set_secret("keyed", KEY_VARIABLE, GOOD_KEY)
    report = examine_connector(keyed(), check=CHECK)
    assert report.ok and report.check is not None and report.check.ok
    assert verdict(report, [KEY_VARIABLE]).headline == "Working — 2 tools"


@pytest.mark.usefixtures("secret_service")
def test_a_check_naming_a_tool_the_server_does_not_offer_is_skipped_not_failed() -> None:
    set_secret("keyed", KEY_VARIABLE, GOOD_KEY)
    report = examine_connector(keyed(), check=CheckCall("no_such_tool"))
    assert report.ok and report.check is None
