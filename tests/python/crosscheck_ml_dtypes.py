#!/usr/bin/env python3
"""Independent cross-check of the ml_dtypes convention against ml_dtypes itself.

Encodes a large set of float32 inputs (every decoded code of each format,
midpoints and their neighbours, specials, NaN payloads and 2^20 random bit
patterns from a fixed seed) with `qcts convert --convention ml_dtypes` in
batch mode and with numpy/ml_dtypes casts, and compares the codes bit for bit.
Exit 0 on agreement, 1 on any mismatch (the first ones are printed), 77 when
ml_dtypes is not available.
usage: crosscheck_ml_dtypes.py QCTS_BINARY
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import ml_dtypes as md
except ImportError as e:  # reported as a skip by the caller
    print(f"SKIP: ml_dtypes/numpy not importable ({e})")
    sys.exit(77)

FORMATS = {  # qcts name -> (numpy dtype, code width in bytes)
    "f16": (np.float16, 2),
    "bf16": (md.bfloat16, 2),
    "e4m3": (md.float8_e4m3fn, 1),
    "e5m2": (md.float8_e5m2, 1),
    "e2m1": (md.float4_e2m1fn, 1),
    "e2m3": (md.float6_e2m3fn, 1),
    "e3m2": (md.float6_e3m2fn, 1),
    "e8m0": (md.float8_e8m0fnu, 1),
}


def inputs_for(dtype, width):
    n_codes = 1 << (8 * width)
    raw = np.arange(n_codes, dtype=np.uint16 if width == 2 else np.uint8)
    if dtype in (md.float4_e2m1fn,):
        raw = raw[raw < 16]
    if dtype in (md.float6_e2m3fn, md.float6_e3m2fn):
        raw = raw[raw < 64]
    vals = raw.view(dtype).astype(np.float32)
    vals = vals[np.isfinite(vals)]
    vals = np.unique(vals)
    mids = (vals[:-1].astype(np.float64) + vals[1:]) / 2
    mids32 = mids.astype(np.float32)
    around = np.concatenate([mids32, np.nextafter(mids32, np.float32(np.inf)),
                             np.nextafter(mids32, np.float32(-np.inf))])
    rng = np.random.default_rng(20261122)
    rnd = rng.integers(0, 1 << 32, size=1 << 20, dtype=np.uint64).astype(np.uint32).view(np.float32)
    specials = np.array([0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001,
                         0xFF800001, 0x7FA00000, 0x00000001, 0x80000001, 0x00400000,
                         0x00400001, 0x7F7FFFFF, 0xFF7FFFFF, 0, 0x80000000],
                        dtype=np.uint32).view(np.float32)
    return np.concatenate([vals, around, rnd, specials]).astype(np.float32)


def main():
    qcts = sys.argv[1]
    failures = 0
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, (dtype, width) in FORMATS.items():
            x = inputs_for(dtype, width)
            src = os.path.join(tmp, f"{name}.f32")
            dst = os.path.join(tmp, f"{name}.codes")
            x.astype("<f4").tofile(src)
            r = subprocess.run([qcts, "convert", "--to", name, "--convention", "ml_dtypes",
                                "--in", src, "--out", dst], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"{name}: qcts convert failed ({r.returncode}): {r.stderr.strip()}")
                failures += 1
                continue
            got = np.fromfile(dst, dtype="<u2" if width == 2 else np.uint8)
            with np.errstate(invalid="ignore", over="ignore"):
                want = x.astype(dtype).view(np.uint16 if width == 2 else np.uint8)
            bad = np.nonzero(got != want)[0]
            checked += len(x)
            if len(bad):
                failures += 1
                print(f"{name}: {len(bad)} of {len(x)} codes differ from ml_dtypes {md.__version__}")
                for i in bad[:8]:
                    print(f"  x = {x[i]!r} (bits 0x{x[i:i+1].view(np.uint32)[0]:08x}): "
                          f"qcts 0x{int(got[i]):x}, ml_dtypes 0x{int(want[i]):x}")
            else:
                print(f"{name}: {len(x)} inputs agree with ml_dtypes {md.__version__}")
    print(f"checked {checked} conversions, {failures} formats with mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
