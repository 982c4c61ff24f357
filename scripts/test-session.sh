#!/usr/bin/env bash
# Run a command the way the tests need the desktop to be:
#   - a private D-Bus session bus (dbus-run-session), so nothing reaches the user's real session;
#   - a throwaway gnome-keyring Secret Service on that bus, its default collection created and unlocked, so the
#     `keyring` library finds a real, unlocked backend (the keyring files live in a temporary folder that is
#     deleted afterwards; its random password never appears in a process argument list);
#   - QT_QPA_PLATFORM=offscreen, so Qt needs no screen.
#
#   bash scripts/test-session.sh .venv/bin/pytest tests/integration -q
#
# The command's exit status is this script's exit status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: bash scripts/test-session.sh COMMAND [ARGS...]" >&2
    exit 2
fi

if [ -z "${PLUGBOARD_TEST_SESSION_BUS:-}" ]; then
    for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
        command -v "$tool" >/dev/null 2>&1 || {
            echo "test-session: $tool is missing; run 'bash scripts/setup.sh check' (as root or with sudo) first." >&2
            exit 1
        }
    done
    # Re-enter this script inside a fresh session bus; the bus (and the keyring daemon on it) ends with it.
    export PLUGBOARD_TEST_SESSION_BUS=1
    exec dbus-run-session -- bash "${BASH_SOURCE[0]}" "$@"
fi

session_dir="$(mktemp -d "${TMPDIR:-/tmp}/plugboard-test-session.XXXXXX")"
cleanup() { rm -rf "$session_dir"; }
trap cleanup EXIT

# A runtime folder of our own (mode 0700 from mktemp): a gnome-keyring-daemon started here must not find, and
# talk to, a desktop session's daemon through its control socket in the user's real XDG_RUNTIME_DIR.
export XDG_RUNTIME_DIR="$session_dir/runtime"
mkdir -m 700 "$XDG_RUNTIME_DIR"
mkdir -m 700 "$session_dir/data"

# `--unlock` reads the login keyring's password on stdin and creates that keyring when it does not exist; the
# login keyring then serves as the Secret Service's default collection. printf is a shell builtin, so the password
# never shows in a process list.
password="$(head -c 24 /dev/urandom | base64)"
printf '%s' "$password" |
    XDG_DATA_HOME="$session_dir/data" gnome-keyring-daemon --unlock --components=secrets >/dev/null
unset password

# Prove the default collection takes a secret before anything relies on it.
probe_attr="plugboard-test-session-probe"
if ! printf 'probe' | secret-tool store --label "Plugboard test-session probe" "$probe_attr" 1 2>/dev/null ||
    [ "$(secret-tool lookup "$probe_attr" 1 2>/dev/null)" != probe ]; then
    echo "test-session: the gnome-keyring Secret Service did not accept a secret; keyring tests cannot run." >&2
    exit 1
fi
secret-tool clear "$probe_attr" 1

export QT_QPA_PLATFORM=offscreen
status=0
"$@" || status=$?
exit "$status"
