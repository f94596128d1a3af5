# venv.sh — sourced by the tests that use Python: sets PY to the interpreter
# of the private venv (mk/venv.mk: QCTS_PYTHON, or build/venv/bin/python) and
# ORACLE_DIR to its folder of other oracle releases. Never the system Python,
# never a skip: without the venv the test fails and says how to create it.
PY=${QCTS_PYTHON:-build/venv/bin/python}
if [ ! -x "$PY" ]; then
    echo "FAIL: the test venv is missing ($PY); run 'make venv' (make test creates it)"
    exit 1
fi
ORACLE_DIR=$(dirname "$(dirname "$PY")")/oracle
