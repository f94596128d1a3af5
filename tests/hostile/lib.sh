# lib.sh — shared helpers for tests/hostile/*.sh (see README.md there).
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

# has_err WHAT NEEDLE: stderr of the last run contains NEEDLE (fixed string).
has_err() {
    checks=$((checks + 1))
    printf '%s\n' "$err" | grep -F -q -- "$2" || fail "$1: '$2' not in stderr:
$err
--- stdout:
$out"
}

# has_out WHAT NEEDLE: stdout of the last run contains NEEDLE (fixed string).
has_out() {
    checks=$((checks + 1))
    printf '%s\n' "$out" | grep -F -q -- "$2" || fail "$1: '$2' not in stdout:
$out
--- stderr:
$err"
}

# status WHAT WANT: exit status of the last run is WANT.
status() {
    same "$1 (exit status; stderr: $err)" "$2" "$rc"
}

# no_pass DB: the results database DB (if it exists) holds no PASS verdict.
no_pass() {
    checks=$((checks + 1))
    [ -e "$1" ] || return 0
    n=$(sqlite3 "$1" "SELECT count(*) FROM result WHERE verdict = 'PASS'" 2>/dev/null || echo error)
    [ "$n" = 0 ] || fail "$1 records $n PASS verdicts (or could not be read); a hostile run must record none"
}
