#!/bin/sh
# Builds a private arm64 sysroot for `make test-aarch64`: downloads the arm64
# .deb files of qcts's dependencies with `apt-get download` into
# SYSROOT/debs and unpacks them with `dpkg-deb -x` into SYSROOT. Nothing is
# installed system-wide: installing libgsl-dev:arm64 with apt-get would
# REMOVE the native libgsl-dev (the two are not co-installable) and break
# the native build.
#   sh mk/aarch64-sysroot.sh build/aarch64-sysroot
# Needs: gcc-aarch64-linux-gnu and qemu-user, and arm64 package lists
# (dpkg --add-architecture arm64 && apt-get update). `make test-aarch64` runs
# `mk/ensure-deps.sh aarch64` first, which installs those when root; this
# script itself only checks them, prints the exact commands when something
# is missing, and never installs anything system-wide.
set -u
root=${1:?usage: mk/aarch64-sysroot.sh SYSROOT}
stamp="$root/.complete"
pkgs="libcunit1-dev libcunit1 libgsl-dev libgsl27 libgslcblas0 libcjson-dev libcjson1 libsqlite3-dev libsqlite3-0"

[ -f "$stamp" ] && exit 0

fail() {
    echo "mk/aarch64-sysroot.sh: $1" >&2
    shift
    for line in "$@"; do echo "  $line" >&2; done
    exit 1
}

missing=""
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing="$missing gcc-aarch64-linux-gnu"
command -v qemu-aarch64 >/dev/null 2>&1 || missing="$missing qemu-user"
command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 ||
    fail "apt-get and dpkg-deb are needed to build the arm64 sysroot (Debian/Ubuntu only)"
[ -z "$missing" ] || fail "missing:$missing; install them (as root) with:" "apt-get install$missing"
dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64 ||
    fail "the arm64 architecture is not enabled; run once, as root:" \
        "dpkg --add-architecture arm64 && apt-get update"

mkdir -p "$root/debs" || exit 1
# As root, apt-get would warn that its sandbox user cannot write here.
sandbox=""
[ "$(id -u)" = 0 ] && sandbox="-o APT::Sandbox::User=root"
for p in $pkgs; do
    ls "$root/debs/${p}_"*_arm64.deb >/dev/null 2>&1 && continue
    (cd "$root/debs" && apt-get download -q $sandbox "$p:arm64") && continue
    # Stale package lists (the arm64 ones fetched long ago): refresh them once.
    [ "$(id -u)" = 0 ] && [ -z "${updated:-}" ] && updated=1 && apt-get update -qq >/dev/null 2>&1 &&
        (cd "$root/debs" && apt-get download -q $sandbox "$p:arm64") ||
        fail "apt-get download $p:arm64 failed; after (as root) 'apt-get update', run:" \
            "(cd $root/debs && apt-get download $(echo $pkgs | sed 's/\([^ ]*\)/\1:arm64/g'))"
done
for d in "$root"/debs/*.deb; do
    dpkg-deb -x "$d" "$root" || fail "dpkg-deb -x $d $root failed"
done
# The .pc files say prefix=/usr; PKG_CONFIG_SYSROOT_DIR maps that into the
# sysroot. Check that every module is found before declaring success.
lib="$root/usr/lib/aarch64-linux-gnu"
for m in cunit gsl libcjson sqlite3; do
    PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_LIBDIR="$lib/pkgconfig:$root/usr/share/pkgconfig" \
        pkg-config --exists "$m" || fail "pkg-config does not find $m in $root after unpacking"
done
touch "$stamp"
echo "mk/aarch64-sysroot.sh: arm64 sysroot ready in $root"
