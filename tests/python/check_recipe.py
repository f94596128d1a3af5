"""tests/cli/test-python-recipe.sh: the recipe of vectors/load_golden.py
(safetensors + ml_dtypes + numpy) on the golden set.
  1. every golden file loads with safetensors.numpy (BF16 tensors included);
  2. under the ml_dtypes_0_7 convention (ml_dtypes 0.7.0, the venv's), every
     decode case's codes viewed with CODE_DTYPES[fmt] and cast to float32
     equal out.y, and every encode case of a float format: its inputs cast
     to that dtype give the codes of out.y (NaN matches NaN): the mapping is
     right;
  3. the same check with e4m3 mapped to float8_e4m3 (IEEE-like, has inf) or
     e5m2 to float8_e5m2fnuz fails: the check can fail.
usage: python check_recipe.py GOLDEN_DIR"""
import glob
import os
import sys

import warnings

import numpy as np

warnings.simplefilter("ignore", RuntimeWarning)   # overflow in the casts is what is tested

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "vectors"))
import load_golden  # noqa: E402
import ml_dtypes  # noqa: E402


def same(a, b):
    """Elementwise equal as float32, NaN equal to NaN."""
    a = a.astype(np.float32)
    b = b.astype(np.float32)
    return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def check_convert(root, dtypes):
    """Number of cases where the dtype mapping disagrees with the file."""
    bad = checked = 0
    for path in sorted(glob.glob(os.path.join(root, "convert", "*_ml_dtypes_0_7.safetensors"))):
        meta, cases, t = load_golden.load(path)
        for c in cases:
            p = c["params"]
            dt = dtypes.get(p["fmt"])
            if dt is None:
                continue
            x, y = t[c["id"] + "/in.x"], t[c["id"] + "/out.y"]
            if p["direction"] == "decode":
                ok = same(x.view(np.dtype(dt)), y)
            elif np.dtype(dt).kind == "i" or np.dtype(dt).kind == "u" or "int" in p["fmt"]:
                continue   # float -> int is numpy's cast (truncation), not a code mapping
            else:
                st = t.get(c["id"] + "/out.status")
                keep = (st == 0) if st is not None else np.ones(x.shape, bool)
                keep &= ~np.isnan(x)
                got = x[keep].astype(dt).view(y.dtype)
                ok = bool(np.all(got == y[keep]))
                ok &= same(x[~np.isnan(x)].astype(dt), y[~np.isnan(x)].view(np.dtype(dt))) if p["mode"] == "default" else True
            checked += 1
            if not ok:
                bad += 1
                if dtypes is load_golden.CODE_DTYPES:
                    print(f"{path} {c['id']}: {p} disagrees with {np.dtype(dt)}", file=sys.stderr)
    return bad, checked


def main(root):
    files = sorted(glob.glob(os.path.join(root, "**", "*.safetensors"), recursive=True))
    n = 0
    for f in files:
        meta, cases, tensors = load_golden.load(f)
        n += len(tensors)
        if not cases or not tensors:
            print(f"{f}: no cases or tensors", file=sys.stderr)
            return 1
    print(f"loaded {len(files)} files, {n} tensors with safetensors + ml_dtypes + numpy")
    bad, checked = check_convert(root, load_golden.CODE_DTYPES)
    print(f"convert cases under ml_dtypes_0_7: {checked} checked, {bad} disagree with CODE_DTYPES")
    if bad or checked < 20:
        return 1
    for fmt, wrong in (("e4m3", ml_dtypes.float8_e4m3), ("e5m2", ml_dtypes.float8_e5m2fnuz)):
        d = dict(load_golden.CODE_DTYPES, **{fmt: wrong})
        wbad, _ = check_convert(root, d)
        print(f"{fmt} viewed as {np.dtype(wrong)}: {wbad} cases disagree")
        if wbad == 0:
            print(f"the check cannot fail: {fmt} as {np.dtype(wrong)} passed", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
