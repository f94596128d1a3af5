#!/bin/sh
# The ml_dtypes conventions against the pinned ml_dtypes releases they name
# (tests/python/crosscheck_convention.py; the venv of mk/venv.mk):
# ml_dtypes_0_5_0 against ml_dtypes 0.5.0, ml_dtypes_0_6 against 0.6.0,
# ml_dtypes_0_7 against 0.7.0, every
# shared format, bit for bit. Both ways: each convention must differ from the
# other release on E8M0 (0.7.0 rounds float32 subnormals by value; 0.5.0
# rounds ties of normals to even), so a
# check that compares nothing, or a convention that drifted, fails (the
# inputs hold 665 float32 subnormals where 0.6.0 and 0.7.0 disagree, and 274
# exact ties where 0.5.0 and 0.6.0 do).
#   QCTS=build/native/qcts sh tests/cli/test-mldtypes-crosscheck.sh
set -u
: "${QCTS:?set QCTS to the qcts binary}"
. tests/python/venv.sh
cc="tests/python/crosscheck_convention.py"
rc=0
PYTHONPATH="$ORACLE_DIR/ml_dtypes-0.5.0" "$PY" "$cc" "$QCTS" ml_dtypes_0_5_0 ml_dtypes 0.5.0 || rc=1
PYTHONPATH="$ORACLE_DIR/ml_dtypes-0.6.0" "$PY" "$cc" "$QCTS" ml_dtypes_0_6 ml_dtypes 0.6.0 || rc=1
"$PY" "$cc" "$QCTS" ml_dtypes_0_7 ml_dtypes 0.7.0 || rc=1
# the old name is an alias of ml_dtypes_0_6 (on E8M0, where they differ)
PYTHONPATH="$ORACLE_DIR/ml_dtypes-0.6.0" "$PY" "$cc" "$QCTS" ml_dtypes ml_dtypes 0.6.0 e8m0 || rc=1

# the other way: each convention must NOT match the other release's E8M0
for pair in "ml_dtypes_0_6:0.7.0:665:" "ml_dtypes_0_7:0.6.0:665:$ORACLE_DIR/ml_dtypes-0.6.0" \
    "ml_dtypes_0_5_0:0.6.0:274:$ORACLE_DIR/ml_dtypes-0.6.0" "ml_dtypes_0_6:0.5.0:274:$ORACLE_DIR/ml_dtypes-0.5.0"; do
    conv=${pair%%:*}; rest=${pair#*:}; ver=${rest%%:*}; rest=${rest#*:}; n=${rest%%:*}; pp=${rest#*:}
    out=$(PYTHONPATH="$pp" "$PY" "$cc" "$QCTS" "$conv" ml_dtypes "$ver" e8m0 2>&1)
    st=$?
    case "$st:$out" in
    1:*"e8m0: $conv differs from ml_dtypes $ver: $n of "*) echo "$conv vs ml_dtypes $ver: differs on e8m0, as it must" ;;
    *) echo "FAIL: $conv vs ml_dtypes $ver on e8m0: expected exit 1 and $n differences, got exit $st:"
       echo "$out"; rc=1 ;;
    esac
done
# a pinned version that is not installed is an error, never a pass
out=$("$PY" "$cc" "$QCTS" ml_dtypes_0_7 ml_dtypes 0.6.0 e8m0 2>&1)
st=$?
[ $st -eq 2 ] || { echo "FAIL: checking against a version that is not installed gave exit $st: $out"; rc=1; }
exit $rc
