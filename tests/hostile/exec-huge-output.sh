#!/bin/sh
# An exec command that leaves a 3 GiB output file (sparse: no disk used).
# qcts must refuse it by its size without reading it (ERROR naming the size
# and the bound), record no PASS, and exit non-zero.
. "$(dirname "$0")/lib.sh"
run check --backend "exec:sh -c 'truncate -s 3G \"\$3\"' sh" --filter 'dequant/int8_per_channel/c000' \
    --timeout 20 --db "$tmp/r.db"
status "3 GiB output" 1
has_out "3 GiB output" "is 3221225472 bytes, more than the"
has_out "3 GiB output" "expected (the outputs and 1048576 bytes of header); not read"
no_pass "$tmp/r.db"
done_checks
