#!/bin/sh
# Seen: -j1 was refused (only -j 1 worked). A short option that takes a
# value now accepts it attached, as getopt does; a bad value is still refused.
. "$(dirname "$0")/lib.sh"

f=vectors/golden/convert/e4m3_ocp.safetensors
run check -j 1 --vectors "$f" --no-db
status "-j 1" 0
# The output without its one timing line ("checked N results in T s").
untimed() { printf '%s\n' "$out" | grep -v '^checked [0-9]* results in '; }
want=$(untimed)
for j in -j1 --jobs=1; do
    run check "$j" --vectors "$f" --no-db
    status "$j" 0
    same "$j: same output as -j 1" "$want" "$(untimed)"
done
run check -j2 --vectors "$f" --no-db
status "-j2" 0
has_out "-j2" ", 2 threads"
for j in -j0 -jx -j-1 -j1025 -j99999999999999999999; do
    run check "$j" --vectors "$f" --no-db
    status "$j" 2
    has_err "$j" "-j needs a number of threads from 1 to 1024, got '${j#-j}'"
done
run check -j1 -j2 --vectors "$f" --no-db
status "-j twice" 2
has_err "-j twice" "option --jobs given twice"
# A short option without a value still takes nothing attached.
run check -hx
status "-hx" 2
done_checks
