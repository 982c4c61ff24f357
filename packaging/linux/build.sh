#!/usr/bin/env bash
# Build Plugboard's Linux packages from this checkout:
#
#   bash packaging/linux/build.sh
#
# leaves dist/plugboard_<version>_amd64.deb and dist/plugboard-<version>-linux-x86_64.tar.gz (packaging/README.md).
#
#   1. a build environment in build/release/venv from requirements/release.lock (every file checked against its
#      hash), made again only when the lock changes; Plugboard itself installed into it from this checkout;
#   2. the icons (packaging/icons.py) and the one-folder bundle (PyInstaller, packaging/plugboard.spec);
#   3. the .deb: the bundle in /opt/plugboard, /usr/bin/plugboard linking to its command, the .desktop entry and the
#      hicolor icons, Depends computed by dpkg-shlibdeps from the bundle's binaries (the system libraries the bundle
#      does not carry: Qt's xcb platform plugin's X11/xcb/OpenGL/fontconfig set, GLib, D-Bus, OpenSSL…);
#   4. the .tar.gz: the same folder, for any place (it needs the same system libraries: packaging/README.md).
#
# Needs: python3 (3.11+) with venv, dpkg-deb and dpkg-shlibdeps (dpkg-dev), fakeroot; `bash scripts/setup.sh` installs
# them. About 1–2 minutes on 2 cores once the environment exists.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

say() { printf 'build: %s\n' "$*"; }
STARTED=$SECONDS

for tool in dpkg-deb dpkg-shlibdeps fakeroot; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "build: $tool is missing; install dpkg-dev and fakeroot (bash scripts/setup.sh check does)." >&2
        exit 1
    }
done
PYTHON="${PYTHON:-python3}"
VERSION="$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
ARCH="$(dpkg --print-architecture)"
case "$ARCH" in
    amd64) TAR_ARCH=x86_64 ;;
    arm64) TAR_ARCH=aarch64 ;;
    *) TAR_ARCH="$ARCH" ;;
esac

BUILD="$ROOT/build/release"
VENV="$BUILD/venv"
mkdir -p "$BUILD" dist
rm -f dist/plugboard_*.deb dist/plugboard-*-linux-*.tar.gz  # what is in dist/ afterwards is this build's

# 1. The build environment, from the lock only.
LOCK_STAMP="$VENV/.lock-sha256"
want="$(sha256sum requirements/release.lock | cut -d' ' -f1)"
if [ "$(cat "$LOCK_STAMP" 2>/dev/null)" != "$want" ]; then
    say "build environment from requirements/release.lock"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q --require-hashes --no-deps \
        -r requirements/release.lock 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
    echo "$want" >"$LOCK_STAMP"
fi
# setuptools builds in ./build/lib and never empties it: a module deleted from the source would ride along.
rm -rf "$ROOT/build/lib" "$ROOT"/build/bdist.*
"$VENV/bin/python" -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation --force-reinstall . \
    2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
rm -rf "$ROOT/build/lib" "$ROOT"/build/bdist.*

say "build environment ready in $((SECONDS - STARTED))s"

# 2. Icons and the bundle.
ICONS="$BUILD/icons"
rm -rf "$ICONS"
QT_QPA_PLATFORM=offscreen "$VENV/bin/python" packaging/icons.py "$ICONS"
say "bundle (PyInstaller)"
bundle_started=$SECONDS
PLUGBOARD_VERSION="$VERSION" PLUGBOARD_ICONS="$ICONS" "$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath "$BUILD/dist" --workpath "$BUILD/work" packaging/plugboard.spec 2>&1 |
    { grep -v -E "WARNING: Library (shell32|ole32|ntdll|user32|kernel32|advapi32|crypt32) required via ctypes not found" || true; }
BUNDLE="$BUILD/dist/plugboard"
[ -x "$BUNDLE/plugboard" ] && [ -x "$BUNDLE/plugboard-app" ] || {
    echo "build: PyInstaller did not produce $BUNDLE/plugboard and plugboard-app" >&2
    exit 1
}
say "bundle built in $((SECONDS - bundle_started))s"

# 3. The .deb.
STAGE="$BUILD/deb"
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" "$STAGE/usr/share/icons"
cp -a "$BUNDLE" "$STAGE/opt/plugboard"
ln -s /opt/plugboard/plugboard "$STAGE/usr/bin/plugboard"
install -m 0644 packaging/linux/plugboard.desktop "$STAGE/usr/share/applications/plugboard.desktop"
cp -a "$ICONS/hicolor" "$STAGE/usr/share/icons/hicolor"
find "$STAGE/usr/share" -type f -exec chmod 0644 {} +

# dpkg-shlibdeps reads debian/control from the folder it runs in; it gets a throwaway one.
SHLIBS="$BUILD/shlibdeps"
rm -rf "$SHLIBS"
mkdir -p "$SHLIBS/debian"
printf 'Source: plugboard\n\nPackage: plugboard\nArchitecture: %s\n' "$ARCH" >"$SHLIBS/debian/control"
mapfile -t elf_files < <(find "$STAGE/opt/plugboard" -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) \
    -exec sh -c 'head -c 4 "$1" | grep -q "ELF" && echo "$1"' _ {} \;)
mapfile -t private_dirs < <(printf '%s\n' "${elf_files[@]}" | xargs -n1 dirname | sort -u)
depends="$(cd "$SHLIBS" && dpkg-shlibdeps -O --ignore-missing-info "${private_dirs[@]/#/-l}" "${elf_files[@]}" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')"
[ -n "$depends" ] || {
    echo "build: dpkg-shlibdeps found no dependencies; something is wrong with the bundle" >&2
    exit 1
}
installed_kb="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
cat >"$STAGE/DEBIAN/control" <<CONTROL
Package: plugboard
Version: $VERSION
Architecture: $ARCH
Maintainer: Plugboard maintainers <maintainers@plugboard.invalid>
Installed-Size: $installed_kb
Depends: $depends
Section: utils
Priority: optional
Homepage: https://plugboard.invalid
Description: companion for Claude Desktop's MCP connectors
 Switch Claude Desktop's connectors on and off without losing a byte of its
 config, keep their tokens in the system keyring, see why one fails, and reach
 servers on other machines through SSH tunnels. Includes the plugboard
 command that Claude Desktop starts for each connector.
CONTROL
DEB="dist/plugboard_${VERSION}_${ARCH}.deb"
rm -f "$DEB"
# xz at level 1: 11 s and 58 MB here, against 68 s and 51 MB at dpkg's default level 6, on every check run.
deb_started=$SECONDS
fakeroot dpkg-deb --build -Zxz -z1 "$STAGE" "$DEB" >/dev/null
say "$DEB packed in $((SECONDS - deb_started))s"

# 4. The .tar.gz: plugboard-<version>/ holding the bundle, the .desktop file and the icons.
TARBALL="dist/plugboard-${VERSION}-linux-${TAR_ARCH}.tar.gz"
TAR_STAGE="$BUILD/tar"
rm -rf "$TAR_STAGE"
mkdir -p "$TAR_STAGE"
cp -a "$BUNDLE" "$TAR_STAGE/plugboard-$VERSION"
cp -a "$ICONS/hicolor" "$TAR_STAGE/plugboard-$VERSION/icons"
install -m 0644 packaging/linux/plugboard.desktop "$TAR_STAGE/plugboard-$VERSION/plugboard.desktop"
tar -C "$TAR_STAGE" --owner=0 --group=0 -czf "$TARBALL" "plugboard-$VERSION"

say "$DEB ($(du -h "$DEB" | cut -f1)), $TARBALL ($(du -h "$TARBALL" | cut -f1)), bundle $(du -sh "$BUNDLE" | cut -f1), in $((SECONDS - STARTED))s"
