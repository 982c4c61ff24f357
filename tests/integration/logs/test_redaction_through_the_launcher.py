"""Issue 16 item 13 end to end: a server printing a secret's encoded forms to stderr, through the real launcher.

Both copies are checked: Plugboard's connector log, and the stderr the launcher passes on to Claude Desktop (which
Claude keeps in its own `mcp-server-NAME.log`).
"""

from __future__ import annotations

import base64

import pytest

from integration.launcher_helpers import finish, python_server, start_launcher
from plugboard.core.logs.redact import MASK
from plugboard.core.paths import plugboard_dirs
from plugboard.core.secrets.keyring import set_secret

SECRET = "ghp_plugboardTestValue_5f3a9c1e77/+"


@pytest.mark.usefixtures("secret_service")
def test_encoded_forms_of_a_secret_reach_neither_the_log_nor_claudes_copy_of_stderr() -> None:
    set_secret("github", "GITHUB_TOKEN", SECRET)
    echoed = base64.b64encode(f"Authorization: Bearer {SECRET}".encode()).decode()
    code = (
        "import base64, json, os, sys, urllib.parse\n"
        "v = os.environ['GITHUB_TOKEN']\n"
        "print('500 page:', sys.argv[1], file=sys.stderr)\n"
        "print('hex', v.encode().hex(), 'HEX', v.encode().hex().upper(), file=sys.stderr)\n"
        "print('url', urllib.parse.quote(v, safe=''), 'json', json.dumps({'t': v}), file=sys.stderr)\n"
        "print('upper', v.upper(), 'b64url', base64.urlsafe_b64encode(v.encode()).decode(), file=sys.stderr)\n"
    )
    proc = start_launcher("github", [*python_server(code), echoed], secrets=("GITHUB_TOKEN",))
    _code, _out, passed_on = finish(proc)
    log = plugboard_dirs().connector_log("github").read_text()
    for copy in (log, passed_on.decode()):
        assert "500 page:" in copy and "url" in copy
        assert copy.count(MASK) >= 7, copy
        for form in (echoed, SECRET.encode().hex(), SECRET.upper(), base64.b64encode(SECRET.encode()).decode()):
            assert form not in copy and form.lower() not in copy.lower()
        assert "5f3a9c1e77" not in copy.lower()
