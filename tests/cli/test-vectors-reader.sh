#!/bin/sh
# vectors/read_case.py (Python standard library only) reads every golden
# file and checks every hash of vectors/golden/MANIFEST.json, so the set and
# its manifest are readable without qcts. Runs with the venv's Python
# (tests/python/venv.sh; the reader itself needs only the standard library).
set -u
. tests/python/venv.sh
"$PY" vectors/read_case.py --check vectors/golden || exit 1
# Every file parses and lists its cases.
n=$("$PY" vectors/read_case.py vectors/golden/*/*.safetensors | grep -c '^c[0-9][0-9]* ') || exit 1
[ "$n" -gt 0 ] || { echo "no cases listed"; exit 1; }
echo "test-vectors-reader.sh: MANIFEST.json verified, $n cases listed"
