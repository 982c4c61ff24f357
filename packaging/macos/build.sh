#!/usr/bin/env bash
# Build Plugboard for macOS: dist/Plugboard.app and dist/Plugboard-<version>-macos-<arch>.dmg.
#
#   bash packaging/macos/build.sh                 unsigned (a developer's machine, CI without secrets)
#   PLUGBOARD_CODESIGN_IDENTITY="Developer ID Application: NAME (TEAMID)" \
#   PLUGBOARD_NOTARY_APPLE_ID=... PLUGBOARD_NOTARY_TEAM_ID=TEAMID PLUGBOARD_NOTARY_PASSWORD=app-specific-password \
#       bash packaging/macos/build.sh             signed with the hardened runtime, notarized, stapled
#
# Variables (all optional; signing needs the identity in the login keychain, or an imported .p12 on CI):
#   PLUGBOARD_CODESIGN_IDENTITY  a "Developer ID Application" certificate's name: PyInstaller signs every binary
#                                it collects and each executable with it (`codesign --options=runtime --timestamp`,
#                                packaging/macos/entitlements.plist), then this script signs the .app and the .dmg.
#   PLUGBOARD_NOTARY_APPLE_ID, PLUGBOARD_NOTARY_TEAM_ID, PLUGBOARD_NOTARY_PASSWORD (an app-specific password):
#                                `xcrun notarytool submit --wait` sends the signed .dmg to Apple's notary service,
#                                then `xcrun stapler staple` attaches the ticket so Gatekeeper can check it offline.
#
# The app: Plugboard.app/Contents/MacOS/plugboard-app (CFBundleExecutable, the window) and, beside it,
# Contents/MacOS/plugboard (the Qt-free command Claude Desktop starts per connector; core/install.py links
# ~/Library/Application Support/Plugboard/bin/plugboard to it at each app start). Names differ ignoring case:
# macOS's default file system does not tell `plugboard` from `Plugboard`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VERSION="$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
ARCH="$(uname -m)"
BUILD="$ROOT/build/release"
VENV="$BUILD/venv"

rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --require-hashes --no-deps -r requirements/release.lock
rm -rf build/lib
"$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation --force-reinstall .

ICONS="$BUILD/icons"
QT_QPA_PLATFORM=offscreen "$VENV/bin/python" packaging/icons.py "$ICONS"
PLUGBOARD_VERSION="$VERSION" PLUGBOARD_ICONS="$ICONS" "$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath "$BUILD/dist" --workpath "$BUILD/work" packaging/plugboard.spec
APP="$BUILD/dist/Plugboard.app"
test -x "$APP/Contents/MacOS/plugboard" && test -x "$APP/Contents/MacOS/plugboard-app"

if [ -n "${PLUGBOARD_CODESIGN_IDENTITY:-}" ]; then
    # PyInstaller signed what it collected; the bundle's own seal comes last, over everything inside it.
    codesign --force --options runtime --timestamp --entitlements packaging/macos/entitlements.plist \
        --sign "$PLUGBOARD_CODESIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
fi

mkdir -p dist
rm -rf dist/Plugboard.app
cp -R "$APP" dist/Plugboard.app
DMG="dist/Plugboard-$VERSION-macos-$ARCH.dmg"
rm -f "$DMG"
"$VENV/bin/dmgbuild" -s packaging/macos/dmg_settings.py -D app=dist/Plugboard.app -D icon="$ICONS/plugboard.icns" \
    "Plugboard $VERSION" "$DMG"

if [ -n "${PLUGBOARD_CODESIGN_IDENTITY:-}" ]; then
    codesign --force --timestamp --sign "$PLUGBOARD_CODESIGN_IDENTITY" "$DMG"
    if [ -n "${PLUGBOARD_NOTARY_APPLE_ID:-}" ]; then
        xcrun notarytool submit "$DMG" --apple-id "$PLUGBOARD_NOTARY_APPLE_ID" \
            --team-id "${PLUGBOARD_NOTARY_TEAM_ID:?}" --password "${PLUGBOARD_NOTARY_PASSWORD:?}" --wait
        xcrun stapler staple "$DMG"
        spctl --assess --type open --context context:primary-signature --verbose "$DMG"
    fi
fi
echo "build: $DMG ($(du -h "$DMG" | cut -f1)); app $(du -sh dist/Plugboard.app | cut -f1)"
