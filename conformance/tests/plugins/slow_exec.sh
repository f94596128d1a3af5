#!/bin/sh
# An exec backend that never answers in time: sleeps BROKEN_SLOW_SECONDS
# (default 30) and fails. For the exec timeout (the harness must report
# ERROR "timed out" and kill it, not hang).
#   exec:sh conformance/tests/plugins/slow_exec.sh
sleep "${BROKEN_SLOW_SECONDS:-30}"
echo "slow_exec: woke up after ${BROKEN_SLOW_SECONDS:-30} s" >&2
exit 1
