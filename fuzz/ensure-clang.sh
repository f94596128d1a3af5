#!/bin/sh
# Checks that clang can build libFuzzer targets with ASan and UBSan. On
# Debian/Ubuntu as root, installs clang and its runtime libraries with apt
# when they are missing; otherwise prints the exact command and fails.
set -u
probe() {
    d=$(mktemp -d) || return 1
    printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$d/p.c"
    clang -fsanitize=fuzzer,address,undefined,float-cast-overflow -o "$d/p" "$d/p.c" >/dev/null 2>&1
    rc=$?
    rm -rf "$d"
    return $rc
}
probe && exit 0
pkgs="clang llvm"
if command -v clang >/dev/null 2>&1; then
    v=$(clang -dumpversion | cut -d. -f1)
    pkgs="$pkgs libclang-rt-$v-dev"
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "qcts: installing clang for the fuzz targets: $pkgs"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $pkgs >/dev/null || {
        echo "qcts: apt-get install $pkgs failed" >&2; exit 1; }
    if ! probe; then   # the runtime package is named after clang's version
        v=$(clang -dumpversion | cut -d. -f1)
        apt-get install -y -qq --no-install-recommends "libclang-rt-$v-dev" >/dev/null 2>&1
    fi
    probe && exit 0
    echo "qcts: clang still cannot link -fsanitize=fuzzer after installing $pkgs" >&2
    exit 1
fi
echo "qcts: the fuzz targets need clang with libFuzzer and the sanitizer runtimes" >&2
echo "  Debian/Ubuntu: sudo apt-get install $pkgs  (libclang-rt-N-dev for clang N)" >&2
exit 1
