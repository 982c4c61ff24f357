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

# Already inside a test session (a nested call): the bus and keyring are there, run the command as it is.
if [ "${PLUGBOARD_TEST_SESSION:-}" = ready ]; then
    exec "$@"
fi

if [ "${PLUGBOARD_TEST_SESSION:-}" != starting ]; then
    for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
        command -v "$tool" >/dev/null 2>&1 || {
            echo "test-session: $tool is missing; run 'bash scripts/setup.sh check' (as root or with sudo) first." >&2
            exit 1
        }
    done
    # Re-enter this script inside a fresh session bus; the bus (and the keyring daemon on it) ends with it.
    export PLUGBOARD_TEST_SESSION=starting
    exec dbus-run-session -- bash "${BASH_SOURCE[0]}" "$@"
fi

session_dir="$(mktemp -d "${TMPDIR:-/tmp}/plugboard-test-session.XXXXXX")"
keyring_pid=""
cleanup() {
    if [ -n "$keyring_pid" ]; then
        kill "$keyring_pid" 2>/dev/null || true
        wait "$keyring_pid" 2>/dev/null || true
    fi
    rm -rf "$session_dir"
}
trap cleanup EXIT

# The keyring daemon registers on the bus a moment after it starts; it takes milliseconds, 10 s means it will not.
KEYRING_START_TIMEOUT_S=10

# A runtime folder of our own (mode 0700): a gnome-keyring-daemon started here must not find, and talk to, a
# desktop session's daemon through its control socket in the user's real XDG_RUNTIME_DIR.
export XDG_RUNTIME_DIR="$session_dir/runtime"
keyring_data="$session_dir/data"
mkdir -m 700 "$XDG_RUNTIME_DIR" "$keyring_data"
# If anything asks for the Secret Service before our daemon owns its bus name, the bus starts one itself (D-Bus
# activation) with the bus's own environment, i.e. the user's real keyring folder. Point that at ours too, so such
# a daemon joins ours through the control socket instead.
dbus-update-activation-environment XDG_RUNTIME_DIR "XDG_DATA_HOME=$keyring_data"

# `--unlock` reads the login keyring's password on stdin and creates that keyring when it does not exist; the
# login keyring then serves as the Secret Service's default collection. printf is a shell builtin, so the password
# never shows in a process list. `--foreground` keeps the daemon our child, stopped when this script ends.
password="$(head -c 24 /dev/urandom | base64)"
printf '%s' "$password" |
    XDG_DATA_HOME="$keyring_data" gnome-keyring-daemon --foreground --unlock --components=secrets \
        >/dev/null 2>"$session_dir/keyring.log" &
keyring_pid=$!
unset password

secrets_owned() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"
}
deadline=$((SECONDS + KEYRING_START_TIMEOUT_S))
until secrets_owned; do
    if ! kill -0 "$keyring_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
        echo "test-session: gnome-keyring-daemon did not come up on the session bus:" >&2
        cat "$session_dir/keyring.log" >&2
        exit 1
    fi
    sleep 0.05
done

# Prove the default collection takes a secret before anything relies on it.
probe_attr="plugboard-test-session-probe"
if ! printf 'probe' | secret-tool store --label "Plugboard test-session probe" "$probe_attr" 1 2>/dev/null ||
    [ "$(secret-tool lookup "$probe_attr" 1 2>/dev/null)" != probe ]; then
    echo "test-session: the gnome-keyring Secret Service did not accept a secret; keyring tests cannot run." >&2
    exit 1
fi
secret-tool clear "$probe_attr" 1

export QT_QPA_PLATFORM=offscreen
export PLUGBOARD_TEST_SESSION=ready
status=0
"$@" || status=$?
exit "$status"
