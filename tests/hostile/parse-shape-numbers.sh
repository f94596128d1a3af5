#!/bin/sh
# Seen: bench/src/shapes.c cast any JSON number to int64 unchecked
# ("N": 9223372036854775807, 1e400: undefined behaviour). Every field is now
# checked before the cast and refused with the file, shape and field.
. "$(dirname "$0")/lib.sh"

shape() {   # shape N_VALUE PER_TOKEN_VALUE
    printf '{"name": "h", "schemes": ["gguf_q8_0"], "shapes": [{"name": "dq", "phase": "decode", "op": "dequant", "N": %s, "K": 256, "per_token": %s}]}\n' "$1" "$2" >"$tmp/h.json"
}

# Both ways: a plain shape runs.
shape 16 10
run bench --shapes "$tmp/h.json" --backend ref --no-db --quick-roofline --min-time 0.001
status "plain shape" 0

for v in 9223372036854775807 1e400 -1e400 1e19 -1 0 1.5 1048577 '"16"' null; do
    shape "$v" 10
    run bench --shapes "$tmp/h.json" --backend ref --no-db --quick-roofline --min-time 0.001
    status "N $v" 1
    has_err "N $v" "$tmp/h.json: shapes[0].N must be an integer from 1 to 1048576"
    same "N $v: nothing timed" "" "$out"
done
for v in -1 1e400 '"10"'; do
    shape 16 "$v"
    run bench --shapes "$tmp/h.json" --backend ref --no-db --quick-roofline --min-time 0.001
    status "per_token $v" 1
    has_err "per_token $v" "$tmp/h.json: shapes[0].per_token must be a number from 0 to 1e9"
done
# Not a file of numbers at all: a device and a FIFO are refused unread.
mkfifo "$tmp/fifo.json"
for f in /dev/zero "$tmp/fifo.json"; do
    rc=0
    timeout 60 "$QCTS" bench --shapes "$f" --no-db >"$tmp/.out" 2>"$tmp/.err" || rc=$?
    err=$(cat "$tmp/.err")
    status "shape set $f" 1
    has_err "shape set $f" "not a regular file (refused without reading)"
done
done_checks
