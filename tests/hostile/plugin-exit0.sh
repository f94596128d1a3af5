#!/bin/sh
# A plugin that calls exit(0) used to end qcts check with status 0 and nothing recorded (CI saw success).
# Isolated (the default), the two small int8_per_channel dequant cases
# (c000, c002) on which conformance/tests/plugins/hostile_exit0.c misbehaves are
# ERROR naming the exit status, nothing is recorded as PASS, and the run goes on:
# the one case it computes correctly (c004) still passes after them.
# shellcheck source=tests/hostile/lib.sh
. "$(dirname "$0")/lib.sh"
so=$(dirname "$QCTS")/plugins/hostile_exit0.so
[ -f "$so" ] || fail "$so is not built (make builds it)"
file=vectors/golden/dequant/int8_per_channel.safetensors
db=$tmp/results.db

run check --backend "plugin:$so" --vectors "$file" --db "$db" --filter 'dequant/int8_per_channel/c00[02]' 
status "exit0" 1
has_out "exit0: c000" "ERROR plugin:$so dequant/int8_per_channel/c000"
has_out "exit0: c002" "ERROR plugin:$so dequant/int8_per_channel/c002"
has_out "exit0: the reason" "run: the plugin's process exited with status 0 in run() (a plugin must return, never exit)"
has_out "exit0: summary" "passed: 0 failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 2"
no_pass "$db"
same "exit0: both errors recorded" 2 "$(sqlite3 "$db" "SELECT count(*) FROM result WHERE verdict = 'ERROR'")"

# The run goes on, one case after another (-j 1), with a new process for
# each case after a crash.
run check --backend "plugin:$so" --vectors "$file" --no-db --filter 'dequant/int8_per_channel/*' -j 1 
status "exit0, whole file" 1
has_out "exit0, whole file: c004 still passes" "passed: 1 failed: 0 skipped: 3 mistrusted: 0 unavailable: 0 errors: 2"
done_checks
