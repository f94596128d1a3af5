"""Shared by the Python cross-checks: one fixed input set, the casts of the
two Python oracles (ml_dtypes with numpy, and torch), and qcts's batch
convert. Needs only numpy; ml_dtypes and torch are imported on first use, so
one module serves every oracle and every version of it.

Codes are compared as unsigned integers of the format's storage width:
uint8 for FP8/FP6/FP4/E8M0 (one code per byte, right-aligned), uint16 for
f16/bf16 -- the layout of 'qcts convert --in/--out'.
"""
import os
import subprocess

import numpy as np

# Formats qcts shares with the oracles, and the width of a code in bytes.
WIDTH = {"f16": 2, "bf16": 2, "e4m3": 1, "e5m2": 1, "e2m1": 1, "e2m3": 1, "e3m2": 1, "e8m0": 1}
CODE_COUNT = {"f16": 1 << 16, "bf16": 1 << 16, "e4m3": 256, "e5m2": 256, "e2m1": 16, "e2m3": 64,
              "e3m2": 64, "e8m0": 256}


def inputs(seed=20261122):
    """Float32 inputs that hit every rounding decision of every shared format:
    every finite f16 value (a superset of the FP8/FP6/FP4 values and their
    midpoints) and its float32 neighbours, every f16 and bf16 midpoint and its
    neighbours, every float32 exponent with the E8M0 guard/round/sticky
    patterns, specials and NaN payloads, and 2^20 seeded random bit patterns.
    The same array on every machine and with every numpy >= 1.17."""
    u16 = np.arange(1 << 16, dtype=np.uint32)
    f16 = u16.astype(np.uint16).view(np.float16).astype(np.float32)
    f16 = np.unique(f16[np.isfinite(f16)])
    f16_mid = ((f16[:-1].astype(np.float64) + f16[1:]) / 2).astype(np.float32)
    bf16_bits = u16 << 16
    bf16_mid = bf16_bits | 0x8000
    e8m0 = (np.arange(256, dtype=np.uint32)[:, None] << 23) | np.array(
        [0, 1, 0x1FFFFF, 0x200000, 0x3FFFFF, 0x400000, 0x400001, 0x5FFFFF, 0x600000, 0x600001, 0x7FFFFF],
        dtype=np.uint32)[None, :]
    e8m0 = np.concatenate([e8m0.ravel(), e8m0.ravel() | 0x80000000])
    specials = np.array([0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001,
                         0x7FA00000, 0x7FFFFFFF, 0xFFFFFFFF, 0x7F802000, 0x7FC00001, 0x00000001,
                         0x80000001, 0x00400000, 0x00400001, 0x7F7FFFFF, 0xFF7FFFFF, 0, 0x80000000],
                        dtype=np.uint32)
    rng = np.random.default_rng(seed)
    rnd = rng.integers(0, 1 << 32, size=1 << 20, dtype=np.uint64).astype(np.uint32)

    def with_nbrs(v):
        v = v.astype(np.float32)
        b = v.view(np.uint32).astype(np.int64)
        up = np.clip(b + 1, 0, 0xFFFFFFFF).astype(np.uint32)
        down = np.clip(b - 1, 0, 0xFFFFFFFF).astype(np.uint32)
        return np.concatenate([v.view(np.uint32), up, down])

    allbits = np.concatenate([with_nbrs(f16), with_nbrs(f16_mid), with_nbrs(-f16_mid),
                              bf16_bits, bf16_mid, bf16_mid + 1, bf16_mid - 1,
                              e8m0, specials, rnd]).astype(np.uint32)
    return allbits.view(np.float32)


def code_dtype(fmt):
    return np.uint16 if WIDTH[fmt] == 2 else np.uint8


def all_codes(fmt):
    return np.arange(CODE_COUNT[fmt], dtype=np.uint32).astype(code_dtype(fmt))


# ---- ml_dtypes (with numpy for f16) -----------------------------------------

def ml_dtypes_types():
    """qcts format -> numpy dtype, for the formats this ml_dtypes has."""
    import ml_dtypes as md
    names = {"bf16": "bfloat16", "e4m3": "float8_e4m3fn", "e5m2": "float8_e5m2",
             "e2m1": "float4_e2m1fn", "e2m3": "float6_e2m3fn", "e3m2": "float6_e3m2fn",
             "e8m0": "float8_e8m0fnu"}
    out = {"f16": np.float16}
    for fmt, n in names.items():
        if hasattr(md, n):
            out[fmt] = getattr(md, n)
    return out


def ml_dtypes_version():
    import ml_dtypes as md
    return getattr(md, "__version__", "?")


def ml_dtypes_encode(fmt, x):
    t = ml_dtypes_types()[fmt]
    with np.errstate(all="ignore"):
        return x.astype(t).view(code_dtype(fmt))


def ml_dtypes_decode(fmt, codes):
    t = ml_dtypes_types()[fmt]
    with np.errstate(all="ignore"):
        return codes.view(t).astype(np.float32)


# ---- torch (CPU tensors) -----------------------------------------------------

def torch_types():
    import torch
    names = {"f16": "float16", "bf16": "bfloat16", "e4m3": "float8_e4m3fn", "e5m2": "float8_e5m2",
             "e8m0": "float8_e8m0fnu"}
    return {fmt: getattr(torch, n) for fmt, n in names.items() if hasattr(torch, n)}


def torch_version():
    import torch
    return torch.__version__


def _torch_view(fmt):
    import torch
    return torch.int16 if WIDTH[fmt] == 2 else torch.uint8


def torch_encode(fmt, x, chunk=None):
    """Casts x with Tensor.to(). chunk=None casts one large contiguous tensor
    (the vectorized kernels); chunk=1 casts one element at a time (the
    scalar path), which must give the same codes."""
    import torch
    t = torch_types()[fmt]
    src = torch.from_numpy(np.ascontiguousarray(x))
    if chunk is None:
        out = src.to(t).view(_torch_view(fmt)).numpy()
    else:
        out = np.concatenate([src[i:i + chunk].to(t).view(_torch_view(fmt)).numpy()
                              for i in range(0, len(x), chunk)])
    return out.view(code_dtype(fmt))


def torch_decode(fmt, codes, chunk=None):
    """Decodes with Tensor.to(float32); chunk as for torch_encode."""
    import torch
    t = torch_types()[fmt]
    src = torch.from_numpy(codes.view(np.int16 if WIDTH[fmt] == 2 else np.uint8).copy()).view(t)
    if chunk is None:
        return src.to(torch.float32).numpy()
    return np.concatenate([src[i:i + chunk].to(torch.float32).numpy() for i in range(0, len(codes), chunk)])


ORACLES = {
    "ml_dtypes": (ml_dtypes_types, ml_dtypes_version, ml_dtypes_encode, ml_dtypes_decode),
    "torch": (torch_types, torch_version, torch_encode, torch_decode),
}


# ---- qcts --------------------------------------------------------------------

def qcts_encode(qcts, fmt, conv, x, tmp):
    src, dst = os.path.join(tmp, "x.f32"), os.path.join(tmp, "x.codes")
    x.astype("<f4").tofile(src)
    r = subprocess.run([qcts, "convert", "--to", fmt, "--convention", conv, "--in", src, "--out", dst],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"qcts convert --to {fmt} --convention {conv}: exit {r.returncode}: {r.stderr.strip()}")
    return np.fromfile(dst, dtype="<u2" if WIDTH[fmt] == 2 else np.uint8).astype(code_dtype(fmt))


def qcts_decode(qcts, fmt, conv, codes, tmp):
    src, dst = os.path.join(tmp, "c.codes"), os.path.join(tmp, "c.f32")
    codes.astype("<u2" if WIDTH[fmt] == 2 else np.uint8).tofile(src)
    r = subprocess.run([qcts, "convert", "--decode", "--from", fmt, "--convention", conv, "--in", src,
                        "--out", dst], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"qcts convert --decode --from {fmt} --convention {conv}: exit {r.returncode}: "
                           f"{r.stderr.strip()}")
    return np.fromfile(dst, dtype="<f4")


def f32_bits(v):
    return np.asarray(v, dtype=np.float32).view(np.uint32)


def compare(x, got, want, limit=6):
    """(number of differing codes, lines showing the first ones)."""
    bad = np.nonzero(got != want)[0]
    lines = []
    for i in bad[:limit]:
        lines.append(f"x = {x[i]!r} (bits 0x{int(f32_bits(x[i:i + 1])[0]):08x}): "
                     f"qcts 0x{int(got[i]):x}, oracle 0x{int(want[i]):x}")
    return len(bad), lines


def compare_decode(codes, got, want, limit=6, exact_nan=False):
    """Decoded float32 compared by bits, except that, unless exact_nan, any
    NaN equals any NaN with the same sign (the payload of a NaN decoded from
    an 8-bit code is not part of a convention; f16/bf16 keep theirs)."""
    g, w = f32_bits(got), f32_bits(want)
    nan_g, nan_w = np.isnan(got), np.isnan(want)
    same = (g == w) if exact_nan else (g == w) | (nan_g & nan_w & ((g >> 31) == (w >> 31)))
    bad = np.nonzero(~same)[0]
    lines = [f"code 0x{int(codes[i]):x}: qcts 0x{int(g[i]):08x}, oracle 0x{int(w[i]):08x}" for i in bad[:limit]]
    return len(bad), lines
