#!/usr/bin/env bash
# Install the built .deb the way a package manager does, then run the smoke tests (packaging/smoke.py) against it.
#
#   bash packaging/linux/smoke.sh [SMOKE OPTIONS]     (PLUGBOARD_DEB=FILE picks the package; default: the newest)
#
# As root, or with passwordless sudo (this machine, CI), the package goes into the real system with `apt-get install ./FILE.deb`: dpkg puts
# the files in place and apt checks that every Depends can be met, which is what a user's install does; it is
# removed again afterwards (`dpkg --purge`), leaving the system as it was. Without root the package is unpacked with
# `dpkg-deb -x` into a private folder with the same paths (/opt/plugboard, /usr/bin/plugboard as a link to
# /opt/plugboard/plugboard): the files are the same, but no Depends are checked, so that route says so.
# The tests run inside scripts/test-session.sh (a private D-Bus session and keyring) with the checkout's .venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

DEB="${PLUGBOARD_DEB:-}"
if [ -z "$DEB" ]; then
    DEB="$(ls -t dist/plugboard_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -1 || true)"
fi
[ -n "$DEB" ] && [ -f "$DEB" ] || {
    echo "smoke: no .deb to test; run 'bash packaging/linux/build.sh' first." >&2
    exit 1
}

install_root=/
cleanup() { :; }
SUDO=()
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)  # CI runners: passwordless sudo
fi
if [ "$(id -u)" = 0 ] || [ "${#SUDO[@]}" -gt 0 ]; then
    echo "smoke: installing $DEB into this system (apt-get install ./$(basename "$DEB"))"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "./$DEB" >/dev/null
    cleanup() { "${SUDO[@]}" dpkg --purge plugboard >/dev/null; }
else
    install_root="$(mktemp -d "${TMPDIR:-/tmp}/plugboard-deb.XXXXXX")"
    echo "smoke: not root: unpacking $DEB into $install_root (dpkg-deb -x; Depends are not checked this way)"
    dpkg-deb -x "$DEB" "$install_root"
    # The /usr/bin link is absolute (/opt/plugboard/plugboard); inside the private root it is read, not followed.
    cleanup() { rm -rf "$install_root"; }
fi
trap cleanup EXIT

status=0
bash scripts/test-session.sh .venv/bin/python packaging/smoke.py --root "$install_root" "$@" || status=$?
exit "$status"
