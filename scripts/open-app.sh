#!/usr/bin/env bash
# Open the Plugboard app from this checkout's .venv (installed by `bash scripts/setup.sh app`).
#
# On a machine without a screen (no DISPLAY and no WAYLAND_DISPLAY: a server, a container, an SSH login) the app
# still starts, on a virtual screen (Xvfb) that this script starts on a free display number and stops when the app
# quits. Such a machine usually has no D-Bus session and no keyring either; the app then says so when asked to keep
# a secret (it never falls back to a file).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Xvfb reports its display number once it accepts connections; on a busy 2-core machine that is well under a
# second, so 15 s means it is not coming.
XVFB_START_TIMEOUT_S=15

if [ ! -x .venv/bin/plugboard ]; then
    echo "open-app: Plugboard is not installed here; run 'bash scripts/setup.sh app' first." >&2
    exit 1
fi

xvfb_pid=""
app_pid=""
work_dir=""
cleanup() {
    # The app first (it needs the screen to close cleanly), then the virtual screen.
    if [ -n "$app_pid" ]; then
        kill -TERM "$app_pid" 2>/dev/null || true
        wait "$app_pid" 2>/dev/null || true
    fi
    if [ -n "$xvfb_pid" ]; then
        kill "$xvfb_pid" 2>/dev/null || true
        wait "$xvfb_pid" 2>/dev/null || true
    fi
    if [ -n "$work_dir" ]; then rm -rf "$work_dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    command -v Xvfb >/dev/null 2>&1 || {
        echo "open-app: there is no screen and Xvfb is missing; run 'bash scripts/setup.sh app' as root or with sudo." >&2
        exit 1
    }
    work_dir="$(mktemp -d "${TMPDIR:-/tmp}/plugboard-app.XXXXXX")"
    mkfifo "$work_dir/displayfd"
    # -displayfd: Xvfb picks a free display number itself and writes it once it is ready for clients.
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work_dir/displayfd" 2>"$work_dir/xvfb.log" &
    xvfb_pid=$!
    display_number=""
    read -r -t "$XVFB_START_TIMEOUT_S" display_number <"$work_dir/displayfd" || true
    if [ -z "$display_number" ]; then
        echo "open-app: the virtual screen (Xvfb) did not start:" >&2
        cat "$work_dir/xvfb.log" >&2
        exit 1
    fi
    export DISPLAY=":$display_number"
    echo "open-app: this machine has no screen, so Plugboard runs on a virtual one (Xvfb, DISPLAY=$DISPLAY)."
    echo "open-app: its window is not visible here; press Ctrl+C to quit. On a desktop, run '.venv/bin/plugboard'."
fi

# In the background and waited for, so a Ctrl+C, or a TERM sent to this script alone, reaches the app through the
# trap (as TERM: a background job of a script ignores SIGINT), and the app is stopped before its screen.
.venv/bin/plugboard "$@" &
app_pid=$!
status=0
wait "$app_pid" || status=$?
app_pid=""
exit "$status"
