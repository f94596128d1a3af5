#!/bin/sh
# make install into a temporary prefix, then use it as a user would, from a
# folder outside the source tree: the installed qcts finds its golden
# vectors (share/qcts) and writes its database under $XDG_DATA_HOME; a
# plugin and a small program build with pkg-config against the installed
# headers and shared libraries alone; the prefix can be moved; every
# installed header compiles on its own; the man page and the bash
# completion come from the program; make uninstall removes every file.
# Always a native, unsanitized install (also under make test-aarch64 or
# SANITIZE=...: this tests the install, not $QCTS).
. tests/cli/lib.sh
src=$(pwd)
prefix=$tmp/prefix
here=$tmp/elsewhere
mkdir -p "$here" "$tmp/home"
CC=${CC_NATIVE:-cc}

# The nested make must not inherit the outer one's SANITIZE, CROSS or jobserver.
# It builds the shared tree build/native-pic: two runs of this test at once
# (make test-repeat J=2) take turns (flock), or both would write the same
# objects at the same time.
lock=
command -v flock >/dev/null 2>&1 && mkdir -p build && lock="flock build/.test-install.lock"
$lock env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u OPT -u CC make -s -j2 SANITIZE= CROSS= PREFIX="$prefix" install >"$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log" >&2; fail "make install PREFIX=$prefix failed"; }
for f in bin/qcts lib/libqref.so.0 lib/libqcts.so.0 lib/libqref.so lib/libqcts.so include/qcts/backend.h \
         include/qref/fmt.h lib/pkgconfig/qref.pc lib/pkgconfig/qcts.pc share/qcts/golden/MANIFEST.json \
         share/man/man1/qcts.1 share/bash-completion/completions/qcts; do
    checks=$((checks + 1))
    [ -e "$prefix/$f" ] || fail "make install did not install $f"
done
# sonames, so a library rebuilt for the same ABI replaces the old one.
for l in qref qcts; do
    so=$(readelf -d "$prefix/lib/lib$l.so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    same "soname of lib$l.so" "lib$l.so.0" "$so"
done

# From another folder, with a fresh home: data from share/qcts, the
# database under $XDG_DATA_HOME, nothing written into the working folder.
cd "$here"
export HOME="$tmp/home"
unset QCTS_DB QCTS_DATA_DIR XDG_DATA_HOME QCTS_SUITES_DIR
QCTS=$prefix/bin/qcts
run vectors verify
same "installed qcts vectors verify (stderr: $err)" "0" "$rc"
same "installed qcts vectors verify (last line)" "$prefix/share/qcts/golden: OK" "$(printf '%s\n' "$out" | tail -n 1)"
run check --backend ref --filter 'convert/e4m3*'
same "installed qcts check (exit status; stderr: $err)" "0" "$rc"
ref_line=$(printf '%s\n' "$out" | tail -n 1)
case $ref_line in "passed: "*" failed: 0 skipped: 0 "*) ;; *) fail "installed check: $ref_line" ;; esac
checks=$((checks + 1))
[ -s "$HOME/.local/share/qcts/qcts.db" ] || fail "no database at \$HOME/.local/share/qcts/qcts.db"
same "files written into the working folder" "" "$(ls -A "$here")"
run db info
same "installed qcts db info (stderr: $err)" "0" "$rc"
# report writes its default reports/ folder where it runs.
run report
same "installed qcts report (stderr: $err)" "0 wrote reports/STATUS.md
wrote reports/status.html" "$rc $out"
# XDG_DATA_HOME and QCTS_DB move the database.
XDG_DATA_HOME=$tmp/xdg "$QCTS" check --backend ref --filter 'convert/e4m3*' >/dev/null 2>&1 \
    || fail "check with XDG_DATA_HOME failed"
checks=$((checks + 1)); [ -s "$tmp/xdg/qcts/qcts.db" ] || fail "XDG_DATA_HOME: no $tmp/xdg/qcts/qcts.db"
QCTS_DB=$tmp/env.db "$QCTS" check --backend ref --filter 'convert/e4m3*' >/dev/null 2>&1 \
    || fail "check with QCTS_DB failed"
checks=$((checks + 1)); [ -s "$tmp/env.db" ] || fail "QCTS_DB: no $tmp/env.db"
# The option and the environment variable choose the data folder: a folder
# without golden/ is an error naming it (never the installed set instead).
QCTS_DATA_DIR=$tmp/nowhere "$QCTS" check --backend ref --no-db >/dev/null 2>"$tmp/e1" && fail "QCTS_DATA_DIR=nowhere passed"
checks=$((checks + 1)); grep -q "$tmp/nowhere/golden" "$tmp/e1" || fail "QCTS_DATA_DIR error does not name the folder: $(cat "$tmp/e1")"
"$QCTS" --data-dir "$tmp/nowhere" vectors verify >/dev/null 2>"$tmp/e2" && fail "--data-dir nowhere passed"
checks=$((checks + 1)); grep -q "$tmp/nowhere" "$tmp/e2" || fail "--data-dir error does not name the folder: $(cat "$tmp/e2")"
run --data-dir "$prefix/share/qcts" vectors verify
same "qcts --data-dir PREFIX/share/qcts vectors verify (stderr: $err)" "0" "$rc"

# pkg-config: every installed header compiles on its own ...
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags qcts) || fail "pkg-config --cflags qcts failed"
for h in "$prefix"/include/qref/*.h "$prefix"/include/qcts/*.h; do
    rel=${h#"$prefix"/include/}
    checks=$((checks + 1))
    printf '#include <%s>\nint qcts_install_probe;\n' "$rel" \
        | $CC -std=c11 -Wall -Wextra -Werror $cflags -fsyntax-only -x c - 2>"$tmp/hdr.err" \
        || fail "installed header $rel does not compile alone: $(cat "$tmp/hdr.err")"
done
# ... the numbers plugins rely on are those docs/BACKEND-ABI.md lists ...
checks=$((checks + 1))
$CC -std=c11 -Wall -Werror $cflags -fsyntax-only "$src/tests/cli/install/abi_numbers.c" 2>"$tmp/abi.err" \
    || fail "an ABI number changed (tests/cli/install/abi_numbers.c): $(cat "$tmp/abi.err")"
# ... a plugin that takes its enum numbers from <qref/fmt.h> and its codec
# from libqref.so passes every convert case, as the ref backend does ...
libdir=$(pkg-config --variable=libdir qref)
$CC -std=c11 -O2 -fPIC -shared $cflags "$src/tests/cli/install/qref_plugin.c" -o "$tmp/qref_plugin.so" \
    $(pkg-config --libs qref) -Wl,-rpath,"$libdir" || fail "the plugin does not build against the installed headers"
run check --no-db --backend ref --filter 'convert/*'
want=$(printf '%s\n' "$out" | tail -n 1)
run check --no-db --backend "plugin:$tmp/qref_plugin.so" --filter 'convert/*'
same "plugin built against the install (stderr: $err)" "$want" "$(printf '%s\n' "$out" | tail -n 1)"
# ... and a plugin with a wrong format number fails (the check can fail).
$CC -std=c11 -O2 -fPIC -shared $cflags -DWRONG_FORMAT_NUMBER \
    "$src/tests/cli/install/qref_plugin.c" -o "$tmp/wrong_plugin.so" $(pkg-config --libs qref) -Wl,-rpath,"$libdir" \
    || fail "the wrong plugin does not build"
run check --no-db --backend "plugin:$tmp/wrong_plugin.so" --filter 'convert/*'
same "plugin with a wrong format number (exit status)" "1" "$rc"
# A program against libqcts.so and libqref.so.
$CC -std=c11 -Wall -Werror $cflags "$src/tests/cli/install/qcts_program.c" -o "$tmp/qcts_program" \
    $(pkg-config --libs qcts) -Wl,-rpath,"$libdir" || fail "the program does not build with pkg-config qcts"
same "program linked against the installed libraries" "e4m3(448) = 0x7e
backend ref, ABI $(sed -n 's/^#define QCTS_BACKEND_ABI_VERSION \([0-9]*\).*/\1/p' "$prefix/include/qcts/backend.h")" \
    "$("$tmp/qcts_program" 2>&1)"
checks=$((checks + 1))
readelf -d "$tmp/qcts_program" | grep -q 'NEEDED.*libqcts.so.0' || fail "the program is not linked to libqcts.so.0"

# The man page holds every command's help; the completion lists commands.
for c in $("$QCTS" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
    [ "$c" = help ] && continue
    checks=$((checks + 1))
    grep -q "^\.SS qcts $c\$" "$prefix/share/man/man1/qcts.1" || fail "the man page lacks command $c"
done
checks=$((checks + 1))
grep -q -- '--fail-fast' "$prefix/share/man/man1/qcts.1" || fail "the man page lacks check's options"
if command -v groff >/dev/null; then
    same "groff warnings on the man page" "" "$(groff -man -ww -z "$prefix/share/man/man1/qcts.1" 2>&1)"
fi
if command -v bash >/dev/null; then
    got=$(bash -c '. "$1/share/bash-completion/completions/qcts"; COMP_WORDS=("$1/bin/qcts" ch); COMP_CWORD=1; _qcts; echo "${COMPREPLY[*]}"' sh "$prefix")
    same "bash completion of 'qcts ch'" "check" "$got"
    got=$(bash -c '. "$1/share/bash-completion/completions/qcts"; COMP_WORDS=("$1/bin/qcts" check --fail); COMP_CWORD=2; _qcts; echo "${COMPREPLY[*]}"' sh "$prefix")
    same "bash completion of 'qcts check --fail'" "--fail-fast" "$got"
fi

# Relocatable: the prefix moved elsewhere still finds its data.
mv "$prefix" "$tmp/moved"
run vectors verify
checks=$((checks + 1)); [ "$rc" = 127 ] || [ ! -e "$prefix/bin/qcts" ] || fail "prefix still there"
QCTS=$tmp/moved/bin/qcts
run vectors verify
same "moved prefix: vectors verify (stderr: $err)" "$tmp/moved/share/qcts/golden: OK" "$(printf '%s\n' "$out" | tail -n 1)"

# make uninstall removes every file install wrote.
cd "$src"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u OPT -u CC make -s SANITIZE= CROSS= PREFIX="$tmp/moved" uninstall >/dev/null \
    || fail "make uninstall failed"
same "files left after make uninstall" "" "$(find "$tmp/moved" -type f)"
done_checks
