#!/bin/sh
# The Python exec backend example (conformance/examples/exec_dequant.py)
# against the reference, bit for bit: for both of its schemes and every
# output dtype, weights with awkward rows (zeros, f16/bf16 subnormal
# results, wide ranges) are quantized by `qcts quant`, wrapped in a one-case
# file (int8 rows are built so that rounding to f16 or bf16 through float32
# would give other bits than rounding once), and dequantized three ways: `qcts case run --backend ref`, the
# script directly, and the script as an exec backend inside qcts
# (`--backend exec:python3 ...`). A scheme it lacks must exit 3
# (unsupported) through the exec backend too. All of it also through
# exec-persistent (--persistent: one Python process answering a line per
# case). Python: $QCTS_PYTHON (default python3) with numpy; otherwise SKIP
# (exit 77).
. tests/cli/lib.sh
py=${QCTS_PYTHON:-python3}
if ! "$py" -c 'import numpy' 2>/dev/null; then
    echo "SKIP: $py with numpy is not available (set QCTS_PYTHON)"
    exit 77
fi
example=conformance/examples/exec_dequant.py
pyq="'$(printf %s "$py" | sed "s/'/'\\''/g")'"   # quoted for the exec command line

cat >"$tmp/tool.py" <<'EOF'
import json, struct, sys
import numpy as np

def bf16(x):  # float64 -> bf16 bits, one rounding (as the example does it)
    b = x.view(np.uint64)
    r = ((b + np.uint64((1 << 44) - 1) + ((b >> np.uint64(45)) & np.uint64(1)))
         & ~np.uint64((1 << 45) - 1)).view(np.float64)
    return r.astype(np.float32).view(np.uint32) >> 16

def f32_bf16(x):  # float32 -> bf16 bits, RNE
    u = x.view(np.uint32).astype(np.uint64)
    return (u + 0x7FFF + ((u >> 16) & 1)) >> 16

def trap_row(rng, cols, kind):
    """int8_per_channel weights whose products code * scale round differently
    to f16 (or bf16) directly and through float32: a double-rounding trap."""
    codes = np.arange(-127, 128, dtype=np.float64)
    while True:
        amax = np.float32(rng.uniform(64, 127))
        sd = np.float32(amax / np.float32(127))
        p = codes * np.float64(sd)
        if kind == "f16":
            hit = p.astype(np.float16) != p.astype(np.float32).astype(np.float16)
        else:
            hit = bf16(p) != f32_bf16(p.astype(np.float32))
        if hit.any():
            break
    c = np.resize(codes[hit], cols - 1)
    return np.concatenate([[amax], (c * np.float64(sd)).astype(np.float32)])

def weights(path, rows, cols, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((rows, cols))
    # zeros, f16 and bf16 subnormal results, wide ranges
    mags = [1.0, 0.0, 1e-5, 3e-8, 1e-36, 1e-38, 200.0, 1e4, 0.5]
    for r in range(rows):
        w[r] *= mags[r % len(mags)]
    w[rows - 3] = trap_row(rng, cols, "f16")
    w[rows - 2] = trap_row(rng, cols, "bf16")
    w[rows - 1, :8] = [0.25, -0.75, 1.25, 2.5, 3.5, -5.0, 7.0, 0.0]   # FP4 ties when amax is 6
    w.astype("<f4").tofile(path)

def case(path, q, scheme, rows, cols, dtype):
    raw = open(q, "rb").read()
    c = [{"id": "c000", "check": "exact", "flags": [], "params":
          {"scheme": scheme, "rows": rows, "cols": cols, "out_dtype": dtype}}]
    h = {"__metadata__": {"qcts.format_version": "1", "qcts.op": "dequant", "qcts.cases": json.dumps(c)},
         "c000/in.q": {"dtype": "U8", "shape": [len(raw)], "data_offsets": [0, len(raw)]}}
    hb = json.dumps(h).encode()
    hb += b" " * (-len(hb) % 8)
    open(path, "wb").write(struct.pack("<Q", len(hb)) + hb + raw)

def outy(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    h = json.loads(data[8:8 + n])
    t = h.get("c000/out.y") or h["out.y"]
    lo, hi = t["data_offsets"]
    return t["dtype"], data[8 + n + lo:8 + n + hi]

def same(a, *others):
    da, ya = outy(a)
    for b in others:
        db, yb = outy(b)
        if da != db or ya != yb:
            w = 4 if da == "F32" else 2
            diff = [i // w for i in range(0, len(ya), w) if ya[i:i + w] != yb[i:i + w]]
            print(f"{b} differs from {a}: dtype {db}/{da}, {len(diff)} elements differ, first {diff[:3]}")
            sys.exit(1)

getattr(sys.modules[__name__], sys.argv[1])(*[int(a) if a.lstrip("-").isdigit() else a for a in sys.argv[2:]])
EOF
tool() { "$py" "$tmp/tool.py" "$@"; }

rows=16 cols=128
for scheme in fp4_g32_f16 int8_per_channel; do
    tool weights "$tmp/w.f32" $rows $cols 7
    run quant --scheme $scheme --in "$tmp/w.f32" --rows $rows --cols $cols --out "$tmp/w.q"
    same "qcts quant $scheme: $err" 0 "$rc"
    for dtype in f32 f16 bf16; do
        tool case "$tmp/in.safetensors" "$tmp/w.q" $scheme $rows $cols $dtype
        rm -f "$tmp/ref.safetensors" "$tmp/py.safetensors" "$tmp/exec.safetensors"
        run case run --backend ref dequant "$tmp/in.safetensors" "$tmp/ref.safetensors"
        same "case run --backend ref ($scheme $dtype): $err" 0 "$rc"
        rc=0
        "$py" $example dequant "$tmp/in.safetensors" "$tmp/py.safetensors" || rc=$?
        same "$example ($scheme $dtype)" 0 "$rc"
        run case run --backend "exec:$pyq $example" dequant "$tmp/in.safetensors" "$tmp/exec.safetensors"
        same "case run --backend exec:python3 ($scheme $dtype): $err" 0 "$rc"
        run case run --backend "exec-persistent:$pyq $example --persistent" dequant "$tmp/in.safetensors" \
            "$tmp/persistent.safetensors"
        same "case run --backend exec-persistent:python3 ($scheme $dtype): $err" 0 "$rc"
        rc=0
        msg=$(tool same "$tmp/ref.safetensors" "$tmp/py.safetensors" "$tmp/exec.safetensors" \
            "$tmp/persistent.safetensors") || rc=$?
        same "python and exec outputs == ref output, bit for bit ($scheme $dtype): $msg" 0 "$rc"
    done
done

# A scheme the example lacks: exit 3, through the exec backend as well.
tool weights "$tmp/w.f32" 4 128 1
run quant --scheme fp4_g128_f16 --in "$tmp/w.f32" --rows 4 --cols 128 --out "$tmp/w.q"
same "qcts quant fp4_g128_f16: $err" 0 "$rc"
tool case "$tmp/in.safetensors" "$tmp/w.q" fp4_g128_f16 4 128 f32
rc=0
"$py" $example dequant "$tmp/in.safetensors" "$tmp/py.safetensors" 2>/dev/null || rc=$?
same "$example on fp4_g128_f16 (exit status)" 3 "$rc"
run case run --backend "exec:$pyq $example" dequant "$tmp/in.safetensors" "$tmp/x.safetensors"
same "exec on fp4_g128_f16 (exit status)" 3 "$rc"
case $err in
*"unsupported (exit status 3); output: unsupported: dequant fp4_g128_f16"*) checks=$((checks + 1)) ;;
*) fail "exec on fp4_g128_f16: stderr lacks the reason: $err" ;;
esac
absent "$tmp/x.safetensors"
run case run --backend "exec-persistent:$pyq $example --persistent" dequant "$tmp/in.safetensors" "$tmp/x.safetensors"
same "exec-persistent on fp4_g128_f16 (exit status)" 3 "$rc"
case $err in
*"': unsupported: unsupported: dequant fp4_g128_f16"*) checks=$((checks + 1)) ;;
*) fail "exec-persistent on fp4_g128_f16: stderr lacks the reason: $err" ;;
esac
absent "$tmp/x.safetensors"
done_checks
