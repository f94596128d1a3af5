#!/bin/sh
# Checks that the build dependencies are present. On Debian/Ubuntu as root,
# installs what is missing with apt; otherwise prints the exact command and
# fails. Called by make before anything is compiled.
#   CROSS=aarch64-linux-gnu-  checks the arm64 multiarch packages instead.
set -u
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
CROSS=${CROSS:-}

# pkg-config module -> Debian package -> Homebrew formula
deps="cunit:libcunit1-dev:cunit gsl:libgsl-dev:gsl libcjson:libcjson-dev:cjson sqlite3:libsqlite3-dev:sqlite"

arch_suffix=""

if [ -n "$CROSS" ]; then
    arch_suffix=":arm64"
fi

missing_deb=""
missing_brew=""
[ -z "$CROSS" ] || command -v "${CROSS}gcc" >/dev/null 2>&1 || missing_deb="$missing_deb gcc-${CROSS%-}"
# PKG_CONFIG may be a command with arguments (the cross build sets one).
have_pkg_config() { command -v pkg-config >/dev/null 2>&1; }
have_pkg_config || { missing_deb="$missing_deb pkg-config"; missing_brew="$missing_brew pkg-config"; }
for d in $deps; do
    mod=${d%%:*}; rest=${d#*:}; deb=${rest%%:*}; brew=${rest#*:}
    if ! have_pkg_config || ! $PKG_CONFIG --exists "$mod" 2>/dev/null; then
        missing_deb="$missing_deb $deb$arch_suffix"
        missing_brew="$missing_brew $brew"
    fi
done
if [ -n "$CROSS" ]; then
    command -v qemu-aarch64 >/dev/null 2>&1 || missing_deb="$missing_deb qemu-user"
fi
[ -z "$missing_deb" ] && exit 0

missing_deb=$(echo $missing_deb)   # trim
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "qcts: installing missing packages: $missing_deb"
    if [ -n "$CROSS" ]; then
        dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing_deb >/dev/null || {
        echo "qcts: apt-get install $missing_deb failed" >&2; exit 1; }
    # re-check: a package that installed but is still not found is an error
    for d in $deps; do
        mod=${d%%:*}
        $PKG_CONFIG --exists "$mod" || { echo "qcts: $mod still not found by $PKG_CONFIG after install" >&2; exit 1; }
    done
    exit 0
fi

echo "qcts: missing build dependencies:$missing_deb" >&2
echo "  Debian/Ubuntu: sudo ${CROSS:+dpkg --add-architecture arm64 && sudo apt-get update && sudo }apt-get install$([ -z "$CROSS" ] && echo '') $missing_deb" >&2
[ -z "$CROSS" ] && echo "  macOS (Homebrew): brew install$(echo $missing_brew | sed 's/^/ /')" >&2
exit 1
