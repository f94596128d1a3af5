#!/bin/sh
# An exec command that starts a child in its own session (setsid, so not in
# the command's process group) and fails. The child must not outlive the
# call: qcts's supervisor kills every descendant. Where descendants cannot
# be tracked (qemu-user refuses PR_SET_CHILD_SUBREAPER) qcts cannot promise
# it; the case then checks only the verdict and says so.
. "$(dirname "$0")/lib.sh"
pidf="$tmp/child.pid"
run check --backend "exec:sh -c 'setsid sh -c \"echo \\\$\\\$ > $pidf.tmp; mv $pidf.tmp $pidf; exec sleep 300\" </dev/null >/dev/null 2>&1 & while [ ! -s $pidf ]; do sleep 0.05; done; exit 1' sh" \
    --filter 'dequant/int8_per_channel/c000' --timeout 60 --db "$tmp/r.db"
status "setsid child" 1
has_out "setsid child" "exit status 1"
no_pass "$tmp/r.db"
checks=$((checks + 1))
[ -s "$pidf" ] || fail "the command did not write $pidf: $out $err"
pid=$(cat "$pidf")
if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null
    if [ "${QCTS%-qemu}" != "$QCTS" ]; then
        echo "note: the setsid child outlived the call under qemu-user (no subreaper there); not checked"
    else
        fail "the setsid child $pid outlived qcts check"
    fi
fi
done_checks
