#!/bin/sh
# An exec command whose output is a FIFO that nobody writes: opening it would
# block forever. qcts must refuse it unopened (ERROR, within the timeout),
# record no PASS, and exit non-zero.
. "$(dirname "$0")/lib.sh"
run check --backend "exec:sh -c 'mkfifo \"\$3\"' sh" --filter 'dequant/int8_per_channel/c000' \
    --timeout 20 --db "$tmp/r.db"
status "FIFO output" 1
has_out "FIFO output" "is not a regular file (a FIFO); outputs must be regular files"
has_out "FIFO output" "errors: 1"
no_pass "$tmp/r.db"
done_checks
