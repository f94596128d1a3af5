#!/bin/sh
# Seen: a bench shape whose buffers could not be allocated was counted SKIP
# with exit 0. Out of memory is now an ERROR and the exit status 1.
. "$(dirname "$0")/lib.sh"

# 2^20 x 2^20 weights: 4 TiB of float32, more than any allocator gives
# (ASan returns NULL instead of aborting with allocator_may_return_null).
printf '{"name": "huge", "schemes": ["gguf_q8_0"], "shapes": [{"name": "big", "op": "gemm", "M": 1, "N": 1048576, "K": 1048576}]}\n' >"$tmp/huge.json"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1"
lim=
# With overcommit_memory = 1 the kernel would grant it: bound the address
# space, where qcts still starts under the bound (a sanitizer build does not,
# and has its own allocation limit).
if [ "$(cat /proc/sys/vm/overcommit_memory 2>/dev/null)" = 1 ] &&
    sh -c 'ulimit -v 16000000 && "$1" --version' sh "$QCTS" >/dev/null 2>&1; then
    lim="ulimit -v 16000000;"
fi
rc=0
sh -c "$lim \"\$@\"" sh "$QCTS" bench --shapes "$tmp/huge.json" --backend ref --quick-roofline --min-time 0.001 \
    --db "$tmp/r.db" >"$tmp/.out" 2>"$tmp/.err" || rc=$?
out=$(cat "$tmp/.out") err=$(cat "$tmp/.err")
status "out of memory" 1
has_out "out of memory" "out of memory"
has_out "out of memory" "errors: 1"
same "out of memory: stored status" "error|out of memory" \
    "$(sqlite3 "$tmp/r.db" "SELECT status || '|' || reason FROM measurement")"
no_pass "$tmp/r.db"

# Both ways: a shape that does not fit its scheme is still a SKIP.
printf '{"name": "odd", "schemes": ["gguf_q8_0"], "shapes": [{"name": "odd", "op": "dequant", "N": 4, "K": 33}]}\n' >"$tmp/odd.json"
run bench --shapes "$tmp/odd.json" --backend ref --quick-roofline --min-time 0.001 --no-db
status "shape that does not fit" 0
has_out "shape that does not fit" "skipped: 1"
done_checks
