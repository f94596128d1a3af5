#!/usr/bin/env python3
"""The Python recipe for qcts golden files: safetensors + ml_dtypes + numpy
(docs/VECTORS.md, "Python: safetensors + ml_dtypes + numpy").

    pip install safetensors ml_dtypes numpy
    python3 vectors/load_golden.py vectors/golden/convert/e4m3_ocp.safetensors

Codes are stored as integers, one per byte for formats of 8 bits or fewer
(U8, the code in the low bits), U16 for f16/bf16, U32 for f32. Viewing them
with the ml_dtypes dtype of their format (CODE_DTYPES) turns them into
numbers; formats without a numpy dtype (int3, uint3, nf4, nf3, nf2) stay
integer codes. tests/cli/test-python-recipe.sh runs this file on every
golden file in make test."""
import json
import sys

import ml_dtypes  # registers bfloat16 with numpy: safetensors needs it for BF16 tensors
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

# qcts element format -> the dtype its stored codes are viewed as.
CODE_DTYPES = {
    "e4m3": ml_dtypes.float8_e4m3fn,   # OCP FP8 E4M3 "fn": no inf, NaN = S.1111.111
    "e5m2": ml_dtypes.float8_e5m2,
    "e2m1": ml_dtypes.float4_e2m1fn,   # one code per byte, low 4 bits
    "e2m3": ml_dtypes.float6_e2m3fn,   # one code per byte, low 6 bits
    "e3m2": ml_dtypes.float6_e3m2fn,
    "e8m0": ml_dtypes.float8_e8m0fnu,  # MX block scale: 2^(code - 127), 0xff NaN
    "bf16": ml_dtypes.bfloat16,
    "f16": np.float16,
    "f32": np.float32,
    "int8": np.int8, "uint8": np.uint8,
    "int4": ml_dtypes.int4, "uint4": ml_dtypes.uint4,   # low 4 bits of a byte
    "int2": ml_dtypes.int2, "uint2": ml_dtypes.uint2,
}


def load(path):
    """(metadata dict, cases list, {tensor name: numpy array})."""
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
    return meta, json.loads(meta.get("qcts.cases", "[]")), load_file(path)


def view_codes(codes, fmt):
    """The stored codes of format fmt as numbers (ml_dtypes), or the codes
    themselves where the format has no numpy dtype."""
    dt = CODE_DTYPES.get(fmt)
    if dt is None:
        return codes
    dt = np.dtype(dt)
    if dt.itemsize != codes.dtype.itemsize:
        raise ValueError(f"{fmt} codes are {codes.dtype}, {dt} takes {dt.itemsize} bytes each")
    return codes.view(dt)


def main(paths):
    for path in paths:
        meta, cases, tensors = load(path)
        print(f"{path}: suite {meta.get('qcts.suite')}, op {meta.get('qcts.op')}, {len(cases)} cases")
        for c in cases:
            p = c.get("params", {})
            for name in sorted(t for t in tensors if t.startswith(c["id"] + "/")):
                a = tensors[name]
                line = f"  {name:<18} {str(a.dtype):<8} {list(a.shape)}"
                # convert: the U8/U16/U32 side holds codes of params.fmt
                if meta.get("qcts.op") == "convert" and a.dtype.kind == "u" and not name.endswith("status"):
                    v = view_codes(a, p["fmt"])
                    if v.dtype != a.dtype:
                        line += f"  as {v.dtype}: {v[:4].astype(np.float32)}"
                print(line)
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    sys.exit(main(sys.argv[1:]))
