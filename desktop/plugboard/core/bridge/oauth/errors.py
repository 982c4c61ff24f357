"""The three ways signing in can fail, each with its own sentence and next step (DESIGN.md: plain words).

- `SignInRequired`: only the person can help: no sign-in yet, or the one we had ended (revoked, expired, refused).
  The next step is `plugboard login NAME` (in the app, a "Sign in" button). `kind` says which of the two.
- `SignInUnreachable`: the sign-in server (or the MCP server, while asking it where to sign in) cannot be reached
  at all; nothing is wrong with the sign-in itself, so the next step is the network, then trying again.
- `SignInFailed`: a server answered, but not as OAuth says it must (no metadata, a refused registration, a
  mismatched issuer, a token endpoint error other than "sign in again").

Each carries `reason`, a few words for a status record ("sign-in needed", "sign-in server unreachable", …).
Server-supplied text (`error_description`) is cut short and stripped of control characters before it reaches a
message: it comes from the network and ends up in a terminal and a log.
"""

from __future__ import annotations

from plugboard.core.errors import PlugboardError

NEEDED, ENDED, MORE_SCOPE = "needed", "ended", "more-scope"
# An error description from a server is shown to a person; a paragraph is enough to say what went wrong.
SERVER_TEXT_MAX_CHARS = 200


def server_text(text: object) -> str:
    """Text a server sent, safe to show on one line: printable, bounded."""
    cleaned = "".join(c if c.isprintable() else " " for c in str(text)).strip()
    return cleaned if len(cleaned) <= SERVER_TEXT_MAX_CHARS else cleaned[: SERVER_TEXT_MAX_CHARS - 1] + "…"


class SignInRequired(PlugboardError):
    """The connector needs the person to sign in (again): `plugboard login NAME`."""

    def __init__(self, name: str, host: str, kind: str = NEEDED, scope: str | None = None) -> None:
        self.name, self.host, self.kind, self.scope = name, host, kind, scope
        how = f"`plugboard login {name}`"
        if kind == ENDED:
            text = f'Your sign-in to {host} for "{name}" has ended (revoked or expired); sign in again: {how}'
            self.reason = "sign-in ended"
        elif kind == MORE_SCOPE:
            wanted = f" ({server_text(scope)})" if scope else ""
            text = f'{host} asks for more permissions for "{name}"{wanted}; sign in again to grant them: {how}'
            self.reason = "more permissions needed"
        else:
            text = f'"{name}" needs you to sign in to {host}: {how}'
            self.reason = "sign-in needed"
        super().__init__(text)


class SignInUnreachable(PlugboardError):
    """A server involved in signing in does not answer at all."""

    def __init__(self, name: str, host: str, why: str) -> None:
        self.name, self.host = name, host
        self.reason = "sign-in server unreachable"
        super().__init__(
            f'Cannot reach the sign-in server {host} for "{name}" ({why}); check the network connection and try again'
        )


class SignInFailed(PlugboardError):
    """A server answered, but signing in cannot go on; the message says what it did."""

    def __init__(self, name: str, host: str, what: str) -> None:
        self.name, self.host = name, host
        self.reason = "sign-in failed"
        super().__init__(f'Signing in to {host} for "{name}" failed: {what}')
