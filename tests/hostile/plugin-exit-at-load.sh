#!/bin/sh
# A plugin that calls exit(0) while it is loaded (a constructor;
# conformance/tests/plugins/hostile_exit_at_load.c) would end qcts at
# dlopen with status 0. Isolated, opening it fails: every case is ERROR
# naming the exit status, nothing is PASS.
# shellcheck source=tests/hostile/lib.sh
. "$(dirname "$0")/lib.sh"
so=$(dirname "$QCTS")/plugins/hostile_exit_at_load.so
[ -f "$so" ] || fail "$so is not built (make builds it)"
db=$tmp/results.db
run check --backend "plugin:$so" --vectors vectors/golden/dequant/int8_per_channel.safetensors --db "$db"
status "exit at load" 1
has_out "exit at load: reason" "plugin $so: the plugin's process exited with status 0 while loading it (a plugin must return, never exit)"
has_out "exit at load: summary" "passed: 0 failed: 0 skipped: 0 mistrusted: 0 unavailable: 0 errors: 6"
no_pass "$db"
same "exit at load: errors recorded" 6 "$(sqlite3 "$db" "SELECT count(*) FROM result WHERE verdict = 'ERROR'")"
done_checks
