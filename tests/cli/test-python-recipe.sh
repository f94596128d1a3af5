#!/bin/sh
# The documented Python recipe (vectors/load_golden.py: safetensors +
# ml_dtypes + numpy, codes viewed with their ml_dtypes dtype) on the whole
# golden set, with the pinned venv (safetensors from
# tests/python/oracle-safetensors-*.txt): tests/python/check_recipe.py. And
# vectors/read_case.py (standard library only): --help, usage errors and
# unreadable files give a message and an exit status, never a traceback.
. tests/cli/lib.sh
py=${QCTS_PYTHON:-}
[ -n "$py" ] && [ -x "$py" ] || { echo "SKIP: QCTS_PYTHON (the venv: make venv) is not set"; exit 77; }
st=$(ls -d "${py%/bin/python}"/oracle/safetensors-* 2>/dev/null | tail -n 1)
[ -d "$st" ] || fail "safetensors is not installed in the venv (tests/python/oracle-safetensors-*.txt; make venv)"

PYTHONPATH=$st "$py" tests/python/check_recipe.py vectors/golden >"$tmp/out" 2>&1 \
    || { cat "$tmp/out" >&2; fail "the recipe check failed"; }
checks=$((checks + 1))
PYTHONPATH=$st "$py" vectors/load_golden.py vectors/golden/convert/e4m3_ocp.safetensors >"$tmp/show" 2>&1 \
    || { cat "$tmp/show" >&2; fail "vectors/load_golden.py FILE failed"; }
same "load_golden.py views e4m3 codes as float8_e4m3fn" "  c000/in.x          uint8    [256]  as float8_e4m3fn: [0.         0.00195312 0.00390625 0.00585938]" \
    "$(sed -n 2p "$tmp/show")"

# The snippet of docs/VECTORS.md, as written there.
awk '/^```python$/ { on = 1; next } /^```$/ { on = 0 } on' docs/VECTORS.md >"$tmp/snippet.py"
checks=$((checks + 1))
[ -s "$tmp/snippet.py" ] || fail "no python snippet in docs/VECTORS.md"
PYTHONPATH=$st "$py" "$tmp/snippet.py" >"$tmp/sn" 2>&1 || { cat "$tmp/sn" >&2; fail "the docs/VECTORS.md snippet failed"; }

# read_case.py: standard library only (the system python3 is enough).
rc=0; python3 vectors/read_case.py --help >"$tmp/h" 2>&1 || rc=$?
same "read_case.py --help (exit status)" 0 "$rc"
same "read_case.py --help (first line)" "Reads qcts golden-vector files with the Python standard library alone" "$(head -n 1 "$tmp/h")"
rc=0; python3 vectors/read_case.py >"$tmp/h" 2>&1 || rc=$?
same "read_case.py without arguments (exit status)" 2 "$rc"
same "read_case.py without arguments" "usage: read_case.py FILE.safetensors... | --check DIR | --help" "$(cat "$tmp/h")"
rc=0; python3 vectors/read_case.py "$tmp/none.safetensors" >"$tmp/h" 2>&1 || rc=$?
same "read_case.py on a missing file (exit status)" 1 "$rc"
same "read_case.py on a missing file" "read_case.py: FileNotFoundError: [Errno 2] No such file or directory: '$tmp/none.safetensors'" "$(cat "$tmp/h")"
printf 'not a safetensors file' >"$tmp/bad.safetensors"
rc=0; python3 vectors/read_case.py "$tmp/bad.safetensors" >"$tmp/h" 2>&1 || rc=$?
same "read_case.py on a broken file (exit status)" 1 "$rc"
checks=$((checks + 1)); grep -q Traceback "$tmp/h" && fail "read_case.py printed a traceback: $(cat "$tmp/h")"
rc=0; python3 vectors/read_case.py --check vectors/golden >"$tmp/h" 2>&1 || rc=$?
same "read_case.py --check vectors/golden" "0 vectors/golden: $(ls vectors/golden/MANIFEST.json >/dev/null && python3 -c 'import json;print(len(json.load(open("vectors/golden/MANIFEST.json"))["files"]))') files, OK" "$rc $(cat "$tmp/h")"
done_checks
