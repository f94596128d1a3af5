#!/usr/bin/env bash
# make test-fresh: proves that .ci/run passes on a machine that has never
# seen qcts. Builds a minimal Debian root with debootstrap (variant minbase,
# plus git, make, gcc and ca-certificates only) from the Debian mirror this
# machine uses, clones the current commit into it (committed state only),
# and runs `bash .ci/run` there as root, with /proc, /dev and /sys mounted in
# a private mount namespace (unshare), so the mounts vanish with the run
# even when it is killed. Every dependency of the project must then come
# from the targets themselves (mk/ensure-deps.sh): nothing else is there,
# not even package lists.
#   sudo make test-fresh            log: build/fresh/ci-run.log
# The minimal root (before anything of qcts touched it) is cached as a
# tarball under build/fresh/ and unpacked afresh for every run; the root a
# run used is always deleted. Settings (environment):
#   FRESH_SUITE=bookworm   FRESH_MIRROR=URL (default: this machine's)
#   FRESH_REBUILD=1        rebuild the cached minimal root
#   FRESH_KEEP=1           keep the used root (build/fresh/root) to inspect
#   FRESH_CMD='bash .ci/run'  what to run in the clone
#   FRESH_REF=HEAD         the commit to clone (a branch, tag or commit
#                          reachable from one)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
[ "$(id -u)" = 0 ] || { echo "test-fresh: needs root (debootstrap, mount, chroot); run: sudo make test-fresh" >&2; exit 1; }
sh mk/ensure-deps.sh fresh

suite=${FRESH_SUITE:-bookworm}
cmd=${FRESH_CMD:-bash .ci/run}
# The mirror this machine's apt uses (deb822 or one-line sources).
host_uri() { # PATTERN: first URI of the host's Debian sources matching it
    cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -oE '(URIs:|^deb)[[:space:]]+[^ ]+' | awk '{print $2}' | grep -E "$1" | head -n 1 || true
}
mirror=${FRESH_MIRROR:-$(host_uri '/debian/?$')}
mirror=${mirror:-http://deb.debian.org/debian}
security=$(host_uri '/debian-security/?$')
security=${security:-http://deb.debian.org/debian-security}
include=git,make,gcc,ca-certificates

work=$repo/build/fresh
mkdir -p "$work"
exec 9>"$work/.lock"
# One run at a time; the previous one may still be deleting its root.
flock -n 9 || { echo "test-fresh: waiting for another test-fresh (lock $work/.lock)"; flock 9; }
key=$(printf '%s %s %s %s\n' "$suite" "$mirror" "$security" "$include" | cksum | cut -d' ' -f1)
base=$work/base-$suite-$key.tar.gz
root=$work/root
log=$work/ci-run.log

# Never delete through a mount point: the namespace is private, but check.
remove_root() {
    if grep -q " $root[/ ]" /proc/self/mounts; then
        echo "test-fresh: something is still mounted under $root; not deleting it" >&2
        return 1
    fi
    rm -rf "$root" "$root.base"
}
cleanup() {
    rc=$?
    if [ -n "${FRESH_KEEP:-}" ] && [ -d "$root" ]; then
        echo "test-fresh: kept $root (FRESH_KEEP)"
    else
        remove_root || true
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The cached minimal root, or a new one (a few minutes).
remove_root
if [ -n "${FRESH_REBUILD:-}" ] || [ ! -s "$base" ]; then
    echo "test-fresh: debootstrap --variant=minbase --include=$include $suite from $mirror"
    t0=$(date +%s)
    debootstrap --variant=minbase --include="$include" "$suite" "$root.base" "$mirror" \
        >"$work/debootstrap.log" 2>&1 || {
        tail -n 30 "$work/debootstrap.log" >&2; echo "test-fresh: debootstrap failed (log: $work/debootstrap.log)" >&2; exit 1; }
    # The same registry as this machine (with updates and security), but no
    # package lists and no downloaded .debs: the project must fetch its own.
    rm -f "$root.base/etc/apt/sources.list"
    cat > "$root.base/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    rm -rf "$root.base"/var/lib/apt/lists/* "$root.base"/var/cache/apt/archives/*.deb
    tar -C "$root.base" -czf "$base.tmp" . && mv "$base.tmp" "$base"
    rm -rf "$root.base"
    echo "test-fresh: minimal root cached as $base ($(du -h "$base" | cut -f1), $(( $(date +%s) - t0 )) s)"
fi

# 2. A fresh copy of it, and a clone of the current commit.
mkdir -p "$root"
tar -C "$root" -xzpf "$base"
commit=$(git rev-parse --verify "${FRESH_REF:-HEAD}^{commit}")
git clone -q --no-hardlinks "$repo" "$root/root/qcts"
git -C "$root/root/qcts" checkout -q --detach "$commit"
[ -n "${FRESH_REF:-}" ] || [ -z "$(git status --porcelain --untracked-files=no)" ] ||
    echo "test-fresh: note: uncommitted changes in $repo are NOT part of this run (committed state only)"
# The machine's way to the registries, and nothing of the project: name
# resolution, the CA bundle its registry proxies are trusted through (a
# machine behind a TLS-inspecting proxy has its CA there), and pip's global
# configuration (which bundle pip uses). A new CI machine has these too.
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
for f in /usr/local/share/ca-certificates/*.crt; do
    [ -f "$f" ] && cp -L "$f" "$root/usr/local/share/ca-certificates/"
done
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
[ -f /etc/pip.conf ] && cp -L /etc/pip.conf "$root/etc/pip.conf"

# 3. .ci/run as root inside, with a clean environment.
echo "test-fresh: running '$cmd' on commit $(git rev-parse --short "$commit") in a fresh $suite root (log: $log)"
t0=$(date +%s)
set +e
unshare --mount --pid --fork --kill-child --propagation private bash -c '
    set -e
    r=$1; shift
    mount -t proc proc "$r/proc"
    mount -t sysfs sysfs "$r/sys"
    mount --rbind /dev "$r/dev"
    exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        bash -c "cd /root/qcts && $1"
' test-fresh "$root" "$cmd" >"$log" 2>&1
rc=$?
set -e
wall=$(( $(date +%s) - t0 ))
echo "test-fresh: '$cmd' exit $rc, wall $wall s ($(( wall / 60 )) min $(( wall % 60 )) s), commit $commit" | tee -a "$log"
tail -n 25 "$log"
exit $rc
