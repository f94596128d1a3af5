#!/bin/sh
# The ml_dtypes convention against ml_dtypes itself (PyPI). When ml_dtypes
# cannot be imported or installed, this test says SKIP with the reason.
set -u
if ! python3 -c 'import numpy, ml_dtypes' 2>/dev/null; then
    python3 -m pip install --quiet ml_dtypes numpy >/dev/null 2>&1 || true
fi
exec python3 tests/python/crosscheck_ml_dtypes.py "$QCTS"   # 77 = skipped
