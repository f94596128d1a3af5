#!/bin/sh
# A plugin that loops forever used to hang qcts check (no timeout applied to plugins).
# Isolated (the default), the two small int8_per_channel dequant cases
# (c000, c002) on which conformance/tests/plugins/hostile_loop.c misbehaves are
# ERROR naming the timeout (--timeout 1), nothing is recorded as PASS, and the run goes on:
# the one case it computes correctly (c004) still passes after them.
# shellcheck source=tests/hostile/lib.sh
. "$(dirname "$0")/lib.sh"
so=$(dirname "$QCTS")/plugins/hostile_loop.so
[ -f "$so" ] || fail "$so is not built (make builds it)"
file=vectors/golden/dequant/int8_per_channel.safetensors
db=$tmp/results.db

run check --backend "plugin:$so" --vectors "$file" --db "$db" --filter 'dequant/int8_per_channel/c00[02]' --timeout 1
status "loop" 1
has_out "loop: c000" "ERROR plugin:$so dequant/int8_per_channel/c000"
has_out "loop: c002" "ERROR plugin:$so dequant/int8_per_channel/c002"
has_out "loop: the reason" "run: the plugin did not answer within 1 s (timeout) in run(); its process was killed"
has_out "loop: summary" "passed: 0 failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 2"
no_pass "$db"
same "loop: both errors recorded" 2 "$(sqlite3 "$db" "SELECT count(*) FROM result WHERE verdict = 'ERROR'")"

# The run goes on, one case after another (-j 1), with a new process for
# each case after a crash. The timeout also covers the start of each new
# process (fork, loading the plugin): 1 s let c004 time out at random on a
# loaded host or under qemu; 5 s only makes the two looping cases slower.
run check --backend "plugin:$so" --vectors "$file" --no-db --filter 'dequant/int8_per_channel/*' -j 1 --timeout 5
status "loop, whole file" 1
has_out "loop, whole file: c004 still passes" "passed: 1 failed: 0 skipped: 3 mistrusted: 0 unavailable: 0 errors: 2"
done_checks
