# lib.sh — helpers for the end-to-end tests of the qcts program, sourced by
# every tests/cli/test-*.sh. POSIX sh. Each check runs "$QCTS" with the given
# arguments and compares exactly: exit status, stdout, and (for expect_fail)
# stderr. The first mismatch prints what was expected and what came out,
# then exits 1.
#   QCTS=build/native/qcts sh tests/cli/test-cli-basic.sh
set -eu
: "${QCTS:?set QCTS to the qcts binary}"
# No plain progress lines (cli/progress.h): stderr must not depend on how
# long a run took. Tests of the lines set it themselves.
export QCTS_PROGRESS=off

checks=0
script=${0##*/}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qcts-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
    printf '%s: FAIL: %s\n' "$script" "$1" >&2
    exit 1
}

# run ARGS...: runs qcts; sets $out (stdout), $err (stderr), $rc.
run() {
    rc=0
    "$QCTS" "$@" >"$tmp/.out" 2>"$tmp/.err" || rc=$?
    out=$(cat "$tmp/.out")
    err=$(cat "$tmp/.err")
}

# same WHAT EXPECTED GOT: one comparison, counted.
same() {
    checks=$((checks + 1))
    [ "$2" = "$3" ] && return 0
    fail "$1
--- expected:
$2
--- got:
$3"
}

# expect STATUS STDOUT ARGS...: exit status and the whole stdout.
expect() {
    want_rc=$1 want_out=$2
    shift 2
    run "$@"
    same "qcts $* (exit status; stderr: $err)" "$want_rc" "$rc"
    same "qcts $* (stdout)" "$want_out" "$out"
}

# expect_ok STDOUT ARGS...: exit 0, this stdout and nothing on stderr.
expect_ok() {
    want_out=$1
    shift
    expect 0 "$want_out" "$@"
    same "qcts $* (stderr)" "" "$err"
}

# expect_fail STATUS STDERR ARGS...: this exit status and this stderr, no stdout.
expect_fail() {
    want_rc=$1 want_err=$2
    shift 2
    run "$@"
    same "qcts $* (exit status)" "$want_rc" "$rc"
    same "qcts $* (stderr)" "$want_err" "$err"
    same "qcts $* (stdout)" "" "$out"
}

# hex FILE: the bytes of FILE as one line of lower-case hex.
hex() {
    od -An -v -tx1 "$1" | tr -d ' \n'
}

# absent FILE: FILE must not exist.
absent() {
    checks=$((checks + 1))
    [ ! -e "$1" ] || fail "$1 exists, but a failed run must write nothing"
}

done_checks() {
    echo "$script: $checks checks passed"
}
