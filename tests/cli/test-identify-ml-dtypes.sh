#!/bin/sh
# `qcts check --identify` tells ml_dtypes 0.6 from 0.7 behaviour: an exec
# backend that converts with the real ml_dtypes (tests/python/
# exec_ml_dtypes_convert.py, from the pinned venv) is identified as
# ml_dtypes_0_7 with 0.7.0 and as ml_dtypes_0_6 with 0.6.0, never as the
# other; and it passes the suite of its own release and fails the other's.
# One case (E8M0 ties, which include float32 subnormal midpoints) keeps the
# Python start-ups few.
. tests/cli/lib.sh
. tests/python/venv.sh
backend="exec:$PY tests/python/exec_ml_dtypes_convert.py"
identified() {   # the conventions --identify printed for the suite
    printf '%s\n' "$out" | sed -n "s|^exec:.* convert/e8m0_ml_dtypes_0_[67]: \(.*\) ([0-9]* cases)\$|\1|p"
}
for v in 0.7.0 0.6.0; do
    case $v in
    0.7.0) pp=""; mine=ml_dtypes_0_7; other=ml_dtypes_0_6 ;;
    *) pp="$ORACLE_DIR/ml_dtypes-0.6.0"; mine=ml_dtypes_0_6; other=ml_dtypes_0_7 ;;
    esac
    for suite in $mine $other; do
        rc=0
        out=$(PYTHONPATH="$pp" "$QCTS" check --backend "$backend" --vectors vectors/golden --no-db --identify \
            --filter "convert/e8m0_$suite/c002" 2>&1) || rc=$?
        want=1; [ $suite = $mine ] && want=0
        same "ml_dtypes $v on e8m0_$suite (exit status): $out" $want $rc
        ids=" $(identified) "
        case $ids in
        *" $mine "*) checks=$((checks + 1)) ;;
        *) fail "ml_dtypes $v on e8m0_$suite: $mine not identified: $out" ;;
        esac
        case $ids in
        *" $other "*) fail "ml_dtypes $v on e8m0_$suite: identified as $other too: $out" ;;
        *) checks=$((checks + 1)) ;;
        esac
    done
done
done_checks
