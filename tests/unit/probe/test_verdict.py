"""Test results in the app's words: each problem doctor finds becomes a headline, advice and the steps a button can
take — and none of our sentences says PATH, stdout, an exit code, a flag or a JSON-RPC word."""

from __future__ import annotations

import pytest

from plugboard.core.probe import diagnosis as dx
from plugboard.core.probe import verdict as vd
from plugboard.core.probe.doctor import CheckOutcome, DoctorReport
from plugboard.core.probe.supervisor import ReasonKind
from plugboard.core.probe.verdict import TECHNICAL_WORDS, Action, Code


def report(*problems: dx.Diagnosis, **fields: object) -> DoctorReport:
    found = DoctorReport(name="github", command=["npx", "-y", "@modelcontextprotocol/server-github"])
    found.problems = list(problems)
    for key, value in fields.items():
        setattr(found, key, value)
    return found


def problem(code: dx.Code, *evidence: str) -> dx.Diagnosis:
    return dx.Diagnosis(code, "summary with PATH and stdout", "fix with --flag", list(evidence))


def our_words(finding: vd.Finding) -> list[str]:
    """Every sentence we wrote (details quote the server and are not ours)."""
    return [finding.headline, finding.advice, *(s.label for s in finding.steps)]


CASES = [
    (problem(ReasonKind.COMMAND_NOT_FOUND), Code.NOT_INSTALLED, "Can't start: Node.js is not installed"),
    (
        problem(ReasonKind.MISSING_SECRET, "keyring entry plugboard / github/GITHUB_PERSONAL_ACCESS_TOKEN: not set"),
        Code.NEEDS_SECRET,
        "Needs the GitHub token",
    ),
    (
        problem(dx.DiagnosisCode.STDOUT_POLLUTION, "Starting v1.2"),
        Code.WRONG_OUTPUT,
        "It prints messages Claude can't read",
    ),
    (problem(dx.DiagnosisCode.CRASH_AT_START, "boom"), Code.STOPS_AT_START, "Stops as soon as it starts"),
    (problem(ReasonKind.INITIALIZE_TIMEOUT), Code.NO_ANSWER, "Starts, but never answers"),
    (problem(ReasonKind.PROTOCOL_MISMATCH), Code.INCOMPATIBLE, "Answers in a way Claude can't use"),
    (problem(ReasonKind.RELATIVE_PATH), Code.FOLDER_PATH, "A file it needs is given by a partial location"),
    (problem(dx.DiagnosisCode.CRASHED), Code.STOPPED, "Stopped unexpectedly"),
    (problem(dx.DiagnosisCode.WINDOWS_NPX), Code.WINDOWS_START, "Can't start on Windows as written"),
    (problem(ReasonKind.KEYRING_UNAVAILABLE), Code.NO_KEYCHAIN, "Can't open your keychain"),
]


@pytest.mark.parametrize(("found", "code", "headline"), CASES, ids=[c[1].value for c in CASES])
def test_each_problem_doctor_finds_has_a_plain_headline_and_no_technical_word(found, code, headline) -> None:
    result = vd.verdict(report(found), ["GITHUB_PERSONAL_ACCESS_TOKEN"])
    assert (result.finding.code, result.headline) == (code, headline)
    assert not result.ok
    for sentence in our_words(result.finding):
        for word in TECHNICAL_WORDS:
            assert word not in sentence, (word, sentence)


def test_a_missing_runtime_offers_its_download_page_and_a_missing_secret_offers_to_set_it() -> None:
    install = vd.verdict(report(problem(ReasonKind.COMMAND_NOT_FOUND))).finding.steps[0]
    assert (install.action, install.label, install.target) == (
        Action.INSTALL,
        "Get Node.js",
        "https://nodejs.org/en/download",
    )
    missing = problem(
        ReasonKind.MISSING_SECRET, "keyring entry plugboard / github/GITHUB_PERSONAL_ACCESS_TOKEN: not set"
    )
    step = vd.verdict(report(missing)).finding.steps[0]
    assert (step.action, step.label, step.target) == (
        Action.SET_SECRET,
        "Set the GitHub token…",
        "GITHUB_PERSONAL_ACCESS_TOKEN",
    )


def test_a_refused_credential_check_says_the_token_was_refused_and_quotes_the_service() -> None:
    refused = problem(dx.DiagnosisCode.CREDENTIALS_REFUSED)
    result = vd.verdict(
        report(refused, tools=["whoami", "search"], check=CheckOutcome("whoami", False, "401 Unauthorized: bad key")),
        ["BRAVE_API_KEY"],
    )
    assert result.headline == "The Brave key was refused"
    assert result.finding.steps[0].action is Action.SET_SECRET
    assert "What it said: 401 Unauthorized: bad key" in result.finding.details
    assert result.tools == 2  # it did list its tools: that alone proves nothing about the key


def test_a_server_that_stops_saying_its_token_is_invalid_is_a_refused_token_not_a_crash() -> None:
    crashed = problem(dx.DiagnosisCode.CRASH_AT_START)
    result = vd.verdict(report(crashed, stderr_tail=["Error: Bad credentials (401)"]), ["GITHUB_TOKEN"])
    assert result.headline == "The GitHub token was refused"


def test_the_bridges_unreachable_answer_names_the_tunnel_state_in_words() -> None:
    text = (
        "the server refused initialize: error -32000: far: the remote MCP server is unreachable: the SSH tunnel "
        "'droplet' is reconnecting (attempt 2, next try in 1.0 s): timed out. Is it running? Check with `plugboard "
        "doctor far`"
    )
    result = vd.verdict(report(problem(dx.DiagnosisCode.REMOTE_UNREACHABLE, text)), ["API_KEY"])
    assert result.headline == "Your server is unreachable: the tunnel is reconnecting"
    assert [s.action for s in result.finding.steps] == [Action.OPEN_REMOTE, Action.OPEN_LOG, Action.TEST]
    refused = "error -32000: far: the remote MCP server refused our credentials (HTTP 401); store a valid token"
    assert vd.remote_problem(refused, ["API_KEY"]).headline == "The API key was refused"


# What the bridge says when only signing in helps (`bridge.oauth.errors`, `bridge.signin`, `bridge.explain`), as a
# Test sees it in the answer to its handshake or the health model in the connector log; and the headline shown.
SIGN_IN_SAYINGS = [
    (
        'the server refused initialize: error -32603: notes: "notes" needs you to sign in to 127.0.0.1:4455: '
        "`plugboard login notes`",
        "Sign in needed",
        "sign in to 127.0.0.1:4455 first",
    ),
    (
        '[error] tools/call: Your sign-in to id.example.com for "notes" has ended (revoked or expired); sign in '
        "again: `plugboard login notes`",
        "Sign in needed: your sign-in ended",
        "Your sign-in to id.example.com ended",
    ),
    (
        "[error] tools/call: the remote MCP server refused the sign-in (HTTP 401: invalid_token); sign in again: "
        "`plugboard login notes`",
        "Sign in needed: your sign-in ended",
        "Your sign-in ended",
    ),
    (
        '[error] tools/call: id.example.com asks for more permissions for "notes" (notes:write); sign in again to '
        "grant them: `plugboard login notes`",
        "Sign in needed: it asks for more permissions",
        "id.example.com asks for more permissions",
    ),
    (
        '[error] signing in did not complete: Signing in to id.example.com for "notes" failed: the sign-in was not '
        "completed (access_denied)",
        "Sign in needed: the last sign-in did not finish",
        "Signing in to id.example.com did not finish",
    ),
    (
        '[error] initialize: Cannot reach the sign-in server id.example.com for "notes" (connection refused); check '
        "the network connection and try again",
        "Can't reach the sign-in server",
        "could not reach id.example.com",
    ),
]


@pytest.mark.parametrize(("said", "headline", "advice"), SIGN_IN_SAYINGS, ids=[c[1] for c in SIGN_IN_SAYINGS])
def test_when_only_signing_in_helps_the_finding_offers_sign_in_in_plain_words(
    said: str, headline: str, advice: str
) -> None:
    for finding in (
        vd.remote_problem(said, []),
        vd.verdict(report(problem(dx.DiagnosisCode.REMOTE_UNREACHABLE, said))).finding,
    ):
        assert finding.headline == headline
        assert advice in finding.advice
        assert finding.steps[0] == vd.Step(Action.SIGN_IN, "Sign in…")
        assert finding.code is (Code.UNREACHABLE if "reach" in headline else Code.SIGN_IN)
        for sentence in our_words(finding):
            for word in (*TECHNICAL_WORDS, "plugboard login", "`"):
                assert word not in sentence, (word, sentence)


def test_a_static_token_refused_by_a_remote_is_still_the_token_not_a_sign_in() -> None:
    refused = "error -32000: far: the remote MCP server requires credentials (HTTP 401); add --bearer-secret KEY"
    assert vd.remote_problem(refused, ["API_KEY"]).code is Code.SECRET_REFUSED


def test_a_working_server_says_how_many_tools_it_offers() -> None:
    found = report(ok=True, tools=["a", "b", "c"], server_name="srv", server_version="1.0")
    result = vd.verdict(found)
    assert result.ok and result.headline == "Working — 3 tools" and result.tools == 3
    assert "Tools: a, b, c" in result.finding.details
    assert vd.working(1).headline == "Working — 1 tool"


def test_claudes_own_log_lines_become_findings_for_entries_claude_starts() -> None:
    assert vd.from_claude_log("spawn npx ENOENT").headline == "Claude Desktop can't find Node.js"  # type: ignore[union-attr]
    polluted = vd.from_claude_log("Unexpected token 'S', \"Starting\"... is not valid JSON")
    assert polluted is not None and polluted.code is Code.WRONG_OUTPUT
    assert vd.from_claude_log("Server started and connected successfully") is None


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("GITHUB_PERSONAL_ACCESS_TOKEN", "the GitHub token"),
        ("BRAVE_API_KEY", "the Brave key"),
        ("API_KEY", "the API key"),
        ("DB_PASSWORD", "the password"),
        ("DATABASE_URI", "the database address"),
        ("WHATEVER", "the secret"),
    ],
)
def test_secrets_are_named_as_people_name_them(key: str, words: str) -> None:
    assert vd.secret_words(key) == words
