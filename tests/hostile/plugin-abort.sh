#!/bin/sh
# A plugin that calls abort() used to kill qcts check silently.
# Isolated (the default), the two small int8_per_channel dequant cases
# (c000, c002) on which conformance/tests/plugins/hostile_abort.c misbehaves are
# ERROR naming the signal, nothing is recorded as PASS, and the run goes on:
# the one case it computes correctly (c004) still passes after them.
# shellcheck source=tests/hostile/lib.sh
. "$(dirname "$0")/lib.sh"
so=$(dirname "$QCTS")/plugins/hostile_abort.so
[ -f "$so" ] || fail "$so is not built (make builds it)"
file=vectors/golden/dequant/int8_per_channel.safetensors
db=$tmp/results.db

run check --backend "plugin:$so" --vectors "$file" --db "$db" --filter 'dequant/int8_per_channel/c00[02]' 
status "abort" 1
has_out "abort: c000" "ERROR plugin:$so dequant/int8_per_channel/c000"
has_out "abort: c002" "ERROR plugin:$so dequant/int8_per_channel/c002"
has_out "abort: the reason" "run: the plugin's process was killed by signal 6 (SIGABRT) in run()"
has_out "abort: summary" "passed: 0 failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 2"
no_pass "$db"
same "abort: both errors recorded" 2 "$(sqlite3 "$db" "SELECT count(*) FROM result WHERE verdict = 'ERROR'")"

# The run goes on, one case after another (-j 1), with a new process for
# each case after a crash.
run check --backend "plugin:$so" --vectors "$file" --no-db --filter 'dequant/int8_per_channel/*' -j 1 
status "abort, whole file" 1
has_out "abort, whole file: c004 still passes" "passed: 1 failed: 0 skipped: 3 mistrusted: 0 unavailable: 0 errors: 2"
done_checks
