#!/bin/sh
# vectors/read_case.py (Python standard library only) reads every golden
# file and checks every hash of vectors/golden/MANIFEST.json, so the set and
# its manifest are readable without qcts. SKIP without python3.
set -u
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 not found"
    exit 77
fi
python3 vectors/read_case.py --check vectors/golden || exit 1
# Every file parses and lists its cases.
n=$(python3 vectors/read_case.py vectors/golden/*/*.safetensors | grep -c '^c[0-9][0-9]* ') || exit 1
[ "$n" -gt 0 ] || { echo "no cases listed"; exit 1; }
echo "test-vectors-reader.sh: MANIFEST.json verified, $n cases listed"
