#!/bin/sh
# Checks that what a make target needs is present. Run as root on
# Debian/Ubuntu, it installs what is missing with apt-get (after fetching the
# package lists, which a fresh system does not have); otherwise it prints the
# exact commands and fails. Every target that .ci/run calls sets itself up
# through here, so CI passes on a machine that has never seen qcts.
#   sh mk/ensure-deps.sh [SET...]      (no SET: base)
# Sets:
#   base      make, make test: libc6-dev (gcc alone, as debootstrap installs
#             it, cannot link), the -dev libraries (libpq-dev for PostgreSQL
#             stores), pkg-config, the tools the tests run (sqlite3, python3
#             with venv and pip, git, the PostgreSQL server that
#             tests/cli/test-postgres.sh starts a throwaway cluster of), and
#             clang++ (metal-cpu compiles the .metal kernels as C++ with it)
#   sanitize  gcc can link with -fsanitize=$SANITIZE (make SANITIZE=... adds
#             it by itself: make passes SANITIZE to the environment)
#   aarch64   make test-aarch64: the cross compiler with its libc
#             (libc6-dev-arm64-cross, only recommended by the compiler),
#             qemu-user, file, and the arm64 architecture with its lists.
#             The arm64 -dev libraries are NOT installed system-wide:
#             mk/aarch64-sysroot.sh unpacks them into a private sysroot
#             (it says why).
#   report    make test-report: Chromium (headless)
#   fuzz      make fuzz-smoke: clang, libFuzzer (libclang-rt-N-dev), llvm
#   postgres  the PostgreSQL server (initdb, pg_ctl) for the fleet tests
#   fresh     make test-fresh: debootstrap, unshare, chroot
#   CROSS=aarch64-linux-gnu-  (the cross build's own check) looks for the
#   arm64 libraries with $PKG_CONFIG in the private sysroot; it never
#   installs them and names `make aarch64-sysroot` instead.
set -u
PATH=$PATH:/usr/sbin:/sbin   # chroot, dpkg helpers: not in a user's PATH
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
CROSS=${CROSS:-}
SANITIZE=${SANITIZE:-}

if [ -n "$CROSS" ]; then
    bad=""
    command -v "${CROSS}gcc" >/dev/null 2>&1 || bad="$bad ${CROSS}gcc"
    for m in cunit gsl libcjson sqlite3; do
        $PKG_CONFIG --exists "$m" 2>/dev/null || bad="$bad $m"
    done
    [ -z "$bad" ] && exit 0
    echo "qcts: the cross build misses:$bad; run 'make test-aarch64' (it installs the" >&2
    echo "  toolchain and builds the private arm64 sysroot), or 'make aarch64-sysroot'" >&2
    exit 1
fi

[ $# -eq 0 ] && set -- base
[ -n "$SANITIZE" ] && case " $* " in *" base "*) set -- "$@" sanitize ;; esac

# One item per line: KIND NAME DEBIAN-PACKAGE [HOMEBREW-FORMULA]
#   cmd: NAME is a command; pc: a pkg-config module; py: a Python module;
#   arch: a dpkg foreign architecture; link: a compile-and-link probe (below).
clang_major=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
gcc_major=$(gcc -dumpversion 2>/dev/null | cut -d. -f1)
items_of() {
    case $1 in
    base) cat <<EOF
link c libc6-dev -
cmd pkg-config pkg-config pkg-config
pc cunit libcunit1-dev cunit
pc gsl libgsl-dev gsl
pc libcjson libcjson-dev cjson
pc sqlite3 libsqlite3-dev sqlite
pc libpq libpq-dev libpq
cmd pg_ctl postgresql postgresql
cmd sqlite3 sqlite3 sqlite
cmd python3 python3 python
py ensurepip python3-venv -
py pip python3-pip -
cmd git git git
cmd clang++ clang -
EOF
    ;;
    sanitize) echo "link sanitize libgcc-${gcc_major:-12}-dev -" ;;
    aarch64) cat <<EOF
arch arm64 - -
cmd aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu -
link aarch64 libc6-dev-arm64-cross -
cmd qemu-aarch64 qemu-user -
cmd file file -
cmd dpkg-deb dpkg -
EOF
    ;;
    report) echo "cmd chromium chromium -" ;;
    fuzz) cat <<EOF
cmd clang clang -
link fuzzer libclang-rt-${clang_major:-14}-dev -
cmd llvm-symbolizer llvm -
EOF
    ;;
    postgres) echo "cmd pg_ctl postgresql -" ;;
    fresh) cat <<EOF
cmd debootstrap debootstrap -
cmd unshare util-linux -
cmd chroot coreutils -
EOF
    ;;
    *) echo "mk/ensure-deps.sh: unknown set '$1' (base sanitize aarch64 report fuzz postgres fresh)" >&2
       return 1 ;;
    esac
}

# postgresql puts its server programs outside PATH.
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && PATH=$PATH:$d; done

# A program that links is the only proof that the runtime libraries are there.
link_ok() {
    t=$(mktemp -d "${TMPDIR:-/tmp}/qcts-deps.XXXXXX") || return 1
    case $1 in
    c) printf 'int main(void) { return 0; }\n' > "$t/a.c"
       gcc "$t/a.c" -o "$t/a" >/dev/null 2>&1 ;;
    aarch64) printf 'int main(void) { return 0; }\n' > "$t/a.c"
             aarch64-linux-gnu-gcc "$t/a.c" -o "$t/a" >/dev/null 2>&1 ;;
    sanitize) printf 'int main(void) { return 0; }\n' > "$t/a.c"
              ${CC:-gcc} -fsanitize="$SANITIZE" "$t/a.c" -o "$t/a" >/dev/null 2>&1 ;;
    fuzzer) printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$t/a.c"
            command -v clang >/dev/null 2>&1 && clang -fsanitize=fuzzer,address,undefined,float-cast-overflow "$t/a.c" -o "$t/a" >/dev/null 2>&1 ;;
    esac
    r=$?; rm -rf "$t"; return $r
}

present() { # KIND NAME
    case $1 in
    cmd) # postgresql puts its server programs outside PATH (and they may
         # have been installed a moment ago): look there each time.
         for d in /usr/lib/postgresql/*/bin; do
             case ":$PATH:" in *":$d:"*) ;; *) [ -x "$d/pg_ctl" ] && PATH=$PATH:$d ;; esac
         done
         command -v "$2" >/dev/null 2>&1 ;;
    pc) command -v pkg-config >/dev/null 2>&1 && $PKG_CONFIG --exists "$2" 2>/dev/null ;;
    py) command -v python3 >/dev/null 2>&1 && python3 -c "import $2" >/dev/null 2>&1 ;;
    arch) [ "$(dpkg --print-architecture 2>/dev/null)" = "$2" ] ||
          dpkg --print-foreign-architectures 2>/dev/null | grep -qx "$2" ;;
    link) link_ok "$2" ;;
    esac
}

# check: sets $missing (what is absent, for messages), $debs, $brews, $archs.
check() {
    missing=""; debs=""; brews=""; archs=""
    for set in "$@"; do
        items=$(items_of "$set") || exit 2
        while read -r kind name deb brew; do
            present "$kind" "$name" && continue
            if [ "$kind" = arch ]; then
                archs="$archs $name"; missing="$missing architecture-$name"; continue
            fi
            missing="$missing $name($deb)"
            case " $debs " in *" $deb "*) ;; *) debs="$debs $deb" ;; esac
            [ "${brew:--}" = - ] || brews="$brews $brew"
        done <<EOF
$items
EOF
    done
    missing=${missing# }; debs=${debs# }; brews=${brews# }; archs=${archs# }
}

check "$@"
[ -z "$missing" ] && exit 0

# The exact commands, in order: architectures, package lists, packages.
commands() { # PREFIX
    for a in $archs; do echo "$1dpkg --add-architecture $a"; done
    echo "$1apt-get update"
    [ -z "$debs" ] || echo "$1apt-get install -y --no-install-recommends $debs"
}

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "qcts: missing ($*):$(printf ' %s' $missing); installing with apt-get:"
    export DEBIAN_FRONTEND=noninteractive
    log=$(mktemp "${TMPDIR:-/tmp}/qcts-apt.XXXXXX")
    commands "" | while read -r line; do
        echo "  $line"
        $line </dev/null >>"$log" 2>&1 || { tail -n 20 "$log" >&2; echo "qcts: '$line' failed" >&2; exit 1; }
    done || { rm -f "$log"; exit 1; }
    rm -f "$log"
    # A package that installed but whose thing is still absent is an error.
    check "$@"
    [ -z "$missing" ] && exit 0
    echo "qcts: still missing after apt-get install:$(printf ' %s' $missing)" >&2
    exit 1
fi

echo "qcts: missing ($*):$(printf ' %s' $missing)" >&2
if command -v apt-get >/dev/null 2>&1; then
    echo "  install them as root (Debian/Ubuntu):" >&2
    commands "sudo " | sed 's/^/    /' >&2
elif [ -n "$brews" ] && [ -z "$archs" ]; then
    echo "  macOS (Homebrew): brew install $brews" >&2
else
    echo "  no apt-get here: install the Debian packages' equivalents of: $debs" >&2
fi
exit 1
