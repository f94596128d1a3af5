#!/bin/sh
# Seen: vectors/src/suites.c get_int cast any JSON number to int64 before
# checking it ("rows": 9223372036854775807, 1e400): undefined behaviour that
# -fsanitize=undefined does not report (float-cast-overflow is separate; the
# sanitizer builds now ask for it). Every such number is now checked first
# (qcts/numparse.h) and refused with the file, suite and field.
. "$(dirname "$0")/lib.sh"

mkdir -p "$tmp/suites"
cp vectors/suites/*.json "$tmp/suites/"
first='"rows": 1, "cols": 32, "dist": "gaussian"}'
grep -q -F "$first" "$tmp/suites/quantize.json" || fail "vectors/suites/quantize.json changed: update this case"
cp "$tmp/suites/quantize.json" "$tmp/quantize.json"

# Both ways: the unchanged definition generates.
run vectors gen --suites "$tmp/suites" --suite quantize/fp4_g32_f16 --out "$tmp/ok"
status "unchanged" 0

for v in 9223372036854775807 9223372036854775808 -9223372036854775809 1e400 -1e400 1e19 1.5 0 -1 '"1"' null; do
    sed "0,/\"rows\": 1, \"cols\": 32/s//\"rows\": $v, \"cols\": 32/" "$tmp/quantize.json" >"$tmp/suites/quantize.json"
    run vectors gen --suites "$tmp/suites" --suite quantize/fp4_g32_f16 --out "$tmp/out"
    status "rows $v" 1
    has_err "rows $v" "$tmp/suites/quantize.json: suite 'quantize/fp4_g32_f16': cases[0]: 'rows' must be an integer in [1, 1048576]"
    absent "$tmp/out/quantize/fp4_g32_f16.safetensors"
done
# A FIFO among the definitions is refused unread.
cp "$tmp/quantize.json" "$tmp/suites/quantize.json"
mkfifo "$tmp/suites/zz.json"
rc=0
timeout 60 "$QCTS" vectors gen --suites "$tmp/suites" --suite quantize/fp4_g32_f16 --out "$tmp/out" \
    >"$tmp/.out" 2>"$tmp/.err" || rc=$?
err=$(cat "$tmp/.err")
status "FIFO definition" 1
has_err "FIFO definition" "$tmp/suites/zz.json: a FIFO, not a regular file (refused without reading)"
done_checks
