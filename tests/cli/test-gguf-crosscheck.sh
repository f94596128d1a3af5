#!/bin/sh
# The GGUF schemes against gguf-py (llama.cpp's Python package "gguf", PyPI),
# an implementation independent of qcts:
#  (a) quantize a seeded random float32 matrix with 'qcts quant' and with
#      gguf-py (which has numpy quantizers for Q4_0, Q4_1, Q8_0, MXFP4) and
#      compare the bytes;
#  (b) dequantize blocks of every qcts GGUF type (blocks qcts quantized, and
#      random blocks with finite scales) with 'qcts dequant' and with gguf-py
#      and compare the float32 bits.
# gguf-py and numpy come from the pinned venv (mk/venv.mk,
# tests/python/requirements.txt); without it the test fails, never skips.
#   QCTS=build/native/qcts sh tests/cli/test-gguf-crosscheck.sh
# QCTS_SEED=N picks another seed (printed on every run and on failure).
set -u
: "${QCTS:?set QCTS to the qcts binary}"
. tests/python/venv.sh
if ! why=$("$PY" -c 'import numpy, gguf.quants' 2>&1); then
    echo "FAIL: gguf-py is not importable from the venv $PY: $(printf '%s\n' "$why" | tail -n 1)"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qcts-gguf.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$PY" - "$QCTS" "$tmp" "${QCTS_SEED:-20250915}" <<'PYEOF'
import subprocess
import sys

import numpy as np
from gguf import quants
from gguf.constants import GGMLQuantizationType as T

qcts, tmp, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(seed)
ROWS, COLS = 16, 1024

# scheme: (ggml type, elements per block, bytes per block, offsets of f16 fields,
#          gguf-py can quantize, qcts can quantize)
TYPES = {
    "gguf_q4_0": (T.Q4_0, 32, 18, (0,), True, True),
    "gguf_q4_1": (T.Q4_1, 32, 20, (0, 2), True, True),
    "gguf_q8_0": (T.Q8_0, 32, 34, (0,), True, True),
    "gguf_q4_k": (T.Q4_K, 256, 144, (0, 2), False, True),
    "gguf_q6_k": (T.Q6_K, 256, 210, (208,), False, True),
    "gguf_mxfp4": (T.MXFP4, 32, 17, (), True, True),
    "gguf_nvfp4": (T.NVFP4, 64, 36, (), False, True),
    "gguf_iq2_xxs": (T.IQ2_XXS, 256, 66, (0,), False, False),
    "gguf_iq3_xxs": (T.IQ3_XXS, 256, 98, (0,), False, False),
}

checks = 0
failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg} (seed {seed}; rerun with QCTS_SEED={seed})", file=sys.stderr)


def qcts_run(*args):
    p = subprocess.run([qcts, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"qcts {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")


def qcts_quant(scheme, w):
    w.astype("<f4").tofile(f"{tmp}/w.f32")
    qcts_run("quant", "--scheme", scheme, "--in", f"{tmp}/w.f32", "--rows", str(ROWS),
             "--cols", str(COLS), "--out", f"{tmp}/q.bin")
    return np.fromfile(f"{tmp}/q.bin", dtype=np.uint8)


def qcts_dequant(scheme, raw):
    raw.tofile(f"{tmp}/q.bin")
    qcts_run("dequant", "--scheme", scheme, "--in", f"{tmp}/q.bin", "--rows", str(ROWS),
             "--cols", str(COLS), "--out", f"{tmp}/y.f32")
    return np.fromfile(f"{tmp}/y.f32", dtype="<f4")


def weights():
    """Rows of different magnitudes and shapes: gaussian, uniform, heavy
    outliers, exact halves (ties), sparse, all-zero blocks."""
    w = np.empty((ROWS, COLS), dtype=np.float32)
    for r in range(ROWS):
        scale = np.float32(2.0 ** rng.integers(-12, 8))
        kind = r % 6
        if kind == 0:
            v = rng.standard_normal(COLS) * scale
        elif kind == 1:
            v = rng.uniform(-1, 1, COLS) * scale
        elif kind == 2:
            v = rng.standard_normal(COLS) * scale * np.where(rng.random(COLS) < 0.02, 40.0, 1.0)
        elif kind == 3:
            v = rng.integers(-16, 17, COLS) * 0.5
        elif kind == 4:
            v = np.where(rng.random(COLS) < 0.2, rng.standard_normal(COLS) * scale, 0.0)
        else:
            v = rng.standard_normal(COLS) * scale
            v[:64] = 0.0
        w[r] = v.astype(np.float32)
    w[5, 100] = np.float32(7.9999995)   # the log2f caveat (FORMATS.md section 6)
    return w


def finite_blocks(raw, bs, nbytes, f16_offsets, mxfp4):
    """Random bytes made valid: f16 fields finite, no MXFP4 e = 0xFF."""
    b = raw.reshape(-1, nbytes)
    for off in f16_offsets:
        hi = b[:, off + 1]
        b[:, off + 1] = np.where((hi & 0x7C) == 0x7C, hi & 0xBF, hi)
    if mxfp4:
        b[:, 0] = np.where(b[:, 0] == 0xFF, 0xFE, b[:, 0])
    return raw


def compare_bits(what, got, want):
    global checks
    checks += 1
    g, w = got.view(np.uint32), want.astype(np.float32).view(np.uint32)
    bad = np.nonzero(g != w)[0]
    if bad.size:
        i = bad[0]
        fail(f"{what}: {bad.size} of {g.size} values differ; first at {i}: qcts "
             f"{got[i]!r} (0x{g[i]:08x}), gguf-py {want[i]!r} (0x{w[i]:08x})")


print(f"gguf crosscheck: seed {seed}, {ROWS} x {COLS}, gguf-py from {quants.__file__}")
w = weights()
for scheme, (qt, bs, nbytes, f16, py_q, qcts_q) in TYPES.items():
    try:
        blocks = []
        if qcts_q:
            q = qcts_quant(scheme, w)
            blocks.append(("quantized", q))
            if py_q:
                checks += 1
                with np.errstate(all="ignore"):
                    ref = quants.quantize(w, qt).reshape(-1)
                if q.size != ref.size or not np.array_equal(q, ref):
                    nb = np.nonzero((q.reshape(-1, nbytes) != ref.reshape(-1, nbytes)).any(axis=1))[0]
                    fail(f"{scheme}: quantize: {nb.size} of {q.size // nbytes} blocks differ from gguf-py; "
                         f"first block {nb[0] if nb.size else '?'}")
        rb = rng.integers(0, 256, ROWS * COLS // bs * nbytes, dtype=np.uint8)
        blocks.append(("random", finite_blocks(rb, bs, nbytes, f16, scheme == "gguf_mxfp4")))
        for origin, raw in blocks:
            y = qcts_dequant(scheme, raw)
            with np.errstate(all="ignore"):
                ref = quants.dequantize(raw.reshape(ROWS, -1), qt).reshape(-1)
            compare_bits(f"{scheme}: dequantize ({origin} blocks)", y, ref)
        print(f"  {scheme}: ok" if not any(f.startswith(scheme + ":") for f in failures) else f"  {scheme}: FAILED")
    except RuntimeError as e:
        fail(f"{scheme}: {e}")

print(f"{checks} checks, {len(failures)} failed")
sys.exit(1 if failures else 0)
PYEOF
