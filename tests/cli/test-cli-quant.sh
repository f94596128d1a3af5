#!/bin/sh
# qcts quant / dequant / quality / list schemes: round trips through files,
# errors that must leave no output file, and the quality table and JSON.
# A scheme whose family this build does not implement must say
# "unsupported: ..." (exit 1, nothing written); its round trip is skipped.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

R=4
C=256

# gauss FILE N SEED [SPECIAL]: N float32 ~ N(0, 0.02^2); SPECIAL "nan@I" puts a NaN at index I.
gauss() {
    python3 -c 'import random, struct, sys
r = random.Random(int(sys.argv[3]))
v = [r.gauss(0.0, 0.02) for _ in range(int(sys.argv[2]))]
if len(sys.argv) > 4:
    kind, i = sys.argv[4].split("@")
    v[int(i)] = float(kind)
open(sys.argv[1], "wb").write(struct.pack("<%df" % len(v), *v))' "$@"
}

# size FILE: its size in bytes.
size() {
    wc -c <"$1" | tr -d ' '
}

no_temp_files() {
    same "temporary files left in $tmp" "" "$(find "$tmp" -name '*.tmp.*')"
}

gauss "$tmp/w.f32" $((R * C)) 1

# ---- list schemes ---------------------------------------------------------------
run list schemes
same "list schemes (exit status)" 0 "$rc"
schemes=$(printf '%s\n' "$out" | sed '1,3d' | cut -d' ' -f1)
nschemes=$(printf '%s\n' "$schemes" | wc -l | tr -d ' ')
same "list schemes (header)" "name family elem group scale zero layout bits/w description" \
    "$(printf '%s\n' "$out" | sed -n 3p | tr -s ' ')"
same "list schemes: fp4_g32_f16 is listed" "fp4_g32_f16" "$(printf '%s\n' "$schemes" | grep -x fp4_g32_f16)"
same "list schemes: group column" "row tensor" \
    "$(printf '%s\n' "$out" | grep -E '^(int8_per_channel|fp8_e4m3_per_tensor) ' | awk '{print $4}' | tr '\n' ' ' | sed 's/ $//')"

# ---- usage errors (exit 2, nothing written) -------------------------------------------
expect_fail 2 "qcts quant: unknown scheme 'fp5' (run 'qcts list schemes')
try 'qcts help quant'" quant --scheme fp5 --in "$tmp/w.f32" --rows $R --cols $C --out "$tmp/q"
absent "$tmp/q"
expect_fail 2 "qcts quant: --scheme NAME is required (run 'qcts list schemes')
try 'qcts help quant'" quant --in "$tmp/w.f32" --rows $R --cols $C --out "$tmp/q"
expect_fail 2 "qcts quant: --rows N is required
try 'qcts help quant'" quant --scheme fp4_g32_f16 --in "$tmp/w.f32" --cols $C --out "$tmp/q"
expect_fail 2 "qcts quant: --cols must be a whole number from 1 to 2147483647, got '0'
try 'qcts help quant'" quant --scheme fp4_g32_f16 --in "$tmp/w.f32" --rows $R --cols 0 --out "$tmp/q"
expect_fail 2 "qcts quant: --out FILE is required
try 'qcts help quant'" quant --scheme fp4_g32_f16 --in "$tmp/w.f32" --rows $R --cols $C
expect_fail 2 "qcts dequant: --out-dtype must be f32, f16 or bf16, got 'e4m3'
try 'qcts help dequant'" dequant --scheme fp4_g32_f16 --in "$tmp/w.f32" --rows $R --cols $C --out "$tmp/q" --out-dtype e4m3
expect_fail 2 "qcts quality: unknown distribution 'cauchy' (gaussian, laplace, student_t or outliers)
try 'qcts help quality'" quality --dist cauchy
expect_fail 2 "qcts quality: unknown scheme 'nope' (run 'qcts list schemes')
try 'qcts help quality'" quality --scheme fp4_g32_f16,nope
absent "$tmp/q"

# implemented SCHEME: 0 when quant works for SCHEME in this build, 1 when it
# reports "unsupported: ..." (checked: exit 1, nothing written).
implemented() {
    rm -f "$tmp/probe.q"
    run quant --scheme "$1" --in "$tmp/w.f32" --rows $R --cols $C --out "$tmp/probe.q"
    case $err in
    *"unsupported: "*)
        same "$1 unsupported: exit status" 1 "$rc"
        same "$1 unsupported: message names the scheme" "qcts quant: $1: unsupported:" "$(printf '%s' "$err" | cut -d' ' -f1-4)"
        absent "$tmp/probe.q"
        return 1 ;;
    esac
    same "quant $1 (exit status; stderr: $err)" 0 "$rc"
    return 0
}

# ---- round trips -------------------------------------------------------------------
# scheme:bytes of a 4 x 256 tensor (codes + scales + zeros + meta + tensor scale)
roundtrips=0
skipped=""
for sb in fp4_g32_f16:576 int4_asym_g128:536 mxfp4:544 nvfp4:580 int8_per_channel:1040 gguf_q4_0:576; do
    s=${sb%%:*} bytes=${sb#*:}
    if ! implemented "$s"; then
        skipped="$skipped $s"
        continue
    fi
    roundtrips=$((roundtrips + 1))
    expect_ok "" quant --scheme "$s" --in "$tmp/w.f32" --rows $R --cols $C --out "$tmp/$s.q"
    same "$s: serialized size" "$bytes" "$(size "$tmp/$s.q")"
    expect_ok "" quant --scheme "$s" --in "$tmp/w.f32" --rows $R --cols $C --out "$tmp/$s.q2"
    same "$s: quantizing twice gives the same bytes" "$(hex "$tmp/$s.q")" "$(hex "$tmp/$s.q2")"
    expect_ok "" dequant --scheme "$s" --in "$tmp/$s.q" --rows $R --cols $C --out "$tmp/$s.f32"
    same "$s: dequantized size" $((4 * R * C)) "$(size "$tmp/$s.f32")"
    expect_ok "" dequant --scheme "$s" --in "$tmp/$s.q" --rows $R --cols $C --out "$tmp/$s.f16" --out-dtype f16
    expect_ok "" dequant --scheme "$s" --in "$tmp/$s.q" --rows $R --cols $C --out "$tmp/$s.bf16" --out-dtype bf16
    same "$s: f16 size" $((2 * R * C)) "$(size "$tmp/$s.f16")"
    same "$s: bf16 size" $((2 * R * C)) "$(size "$tmp/$s.bf16")"
    # Close to the input, and (the products code * scale being exact in
    # float32 for these schemes) f16/bf16 are the float32 values rounded.
    check=$(python3 -c 'import struct, sys
s, w, q, h, b = sys.argv[1:]
n = len(open(w, "rb").read()) // 4
w = struct.unpack("<%df" % n, open(w, "rb").read())
q = struct.unpack("<%df" % n, open(q, "rb").read())
h = struct.unpack("<%de" % n, open(h, "rb").read())
bb = open(b, "rb").read()
b = [struct.unpack("<f", b"\0\0" + bb[2*i:2*i+2])[0] for i in range(n)]
nmse = sum((x - y) ** 2 for x, y in zip(w, q)) / sum(x * x for x in w)
bad = [] if nmse < 0.05 else ["nmse %g" % nmse]
if s in ("fp4_g32_f16", "int4_asym_g128", "mxfp4", "gguf_q4_0"):
    bad += ["f16[%d]" % i for i in range(n) if h[i] != struct.unpack("<e", struct.pack("<e", q[i]))[0]][:3]
    bf = lambda x: struct.unpack("<f", struct.pack("<f", x))[0]
    for i in range(n):
        u = struct.unpack("<I", struct.pack("<f", q[i]))[0]
        r = (u + 0x7FFF + ((u >> 16) & 1)) >> 16 << 16
        if b[i] != struct.unpack("<f", struct.pack("<I", r))[0]:
            bad.append("bf16[%d]" % i)
            break
print(" ".join(bad) if bad else "ok")' "$s" "$tmp/w.f32" "$tmp/$s.f32" "$tmp/$s.f16" "$tmp/$s.bf16")
    same "$s: dequantized values" "ok" "$check"
done
echo "round trips: $roundtrips schemes; unsupported in this build:${skipped:- none}"

# ---- data errors (exit 1, nothing written, an old file untouched) ---------------------
gauss "$tmp/short.f32" $((R * C - 1)) 1
if implemented fp4_g32_f16; then
    expect_fail 1 "qcts quant: $tmp/short.f32: 4092 bytes, but 4 x 256 float32 weights take 4096 bytes" \
        quant --scheme fp4_g32_f16 --in "$tmp/short.f32" --rows $R --cols $C --out "$tmp/bad.q"
    absent "$tmp/bad.q"
    # cols not a multiple of the group: the shape does not fit the scheme
    run quant --scheme fp4_g32_f16 --in "$tmp/w.f32" --rows 64 --cols 16 --out "$tmp/bad.q"
    same "cols 16 with group 32 (exit status; stderr: $err)" 2 "$rc"
    same "cols 16 with group 32 (message)" "qcts quant:" "$(printf '%s\n' "$err" | sed -n 1p | cut -d' ' -f1-2)"
    absent "$tmp/bad.q"
    # a NaN weight at row 1, column 70: block 2 of 32
    gauss "$tmp/nan.f32" $((R * C)) 1 "nan@$((C + 70))"
    run quant --scheme fp4_g32_f16 --in "$tmp/nan.f32" --rows $R --cols $C --out "$tmp/bad.q"
    same "NaN weight (exit status)" 1 "$rc"
    same "NaN weight (message names file, row and block)" "qcts quant: $tmp/nan.f32: row 1, block 2:" \
        "$(printf '%s\n' "$err" | cut -d' ' -f1-7)"
    absent "$tmp/bad.q"
    gauss "$tmp/inf.f32" $((R * C)) 1 "inf@3"
    run quant --scheme fp4_g32_f16 --in "$tmp/inf.f32" --rows $R --cols $C --out "$tmp/bad.q"
    same "Inf weight (exit status)" 1 "$rc"
    same "Inf weight (message)" "qcts quant: $tmp/inf.f32: row 0, block 0:" "$(printf '%s\n' "$err" | cut -d' ' -f1-7)"
    absent "$tmp/bad.q"
    # an existing output file survives a failed run
    printf 'old' >"$tmp/keep.q"
    run quant --scheme fp4_g32_f16 --in "$tmp/nan.f32" --rows $R --cols $C --out "$tmp/keep.q"
    same "failed run keeps the old output" "old" "$(cat "$tmp/keep.q")"
    # dequant: a tensor file of the wrong size
    head -c 100 "$tmp/fp4_g32_f16.q" >"$tmp/trunc.q"
    expect_fail 1 "qcts dequant: $tmp/trunc.q: 100 bytes, but fp4_g32_f16 holds a 4 x 256 matrix in 576 bytes" \
        dequant --scheme fp4_g32_f16 --in "$tmp/trunc.q" --rows $R --cols $C --out "$tmp/bad.f32"
    absent "$tmp/bad.f32"
else
    # without the family every data error is still exit 1 with no output
    run quant --scheme fp4_g32_f16 --in "$tmp/short.f32" --rows $R --cols $C --out "$tmp/bad.q"
    same "short file, unsupported scheme (exit status)" 1 "$rc"
    absent "$tmp/bad.q"
fi
run quant --scheme fp4_g32_f16 --in "$tmp/missing.f32" --rows $R --cols $C --out "$tmp/bad.q"
same "missing input (exit status)" 1 "$rc"
absent "$tmp/bad.q"

# dequant: an E8M0 scale of 0xFF (NaN) in row 1, block 1 of an mxfp4 tensor
if implemented mxfp4; then
    gauss "$tmp/w64.f32" $((R * 64)) 2
    expect_ok "" quant --scheme mxfp4 --in "$tmp/w64.f32" --rows $R --cols 64 --out "$tmp/mx.q"
    # 4 x 64: 128 bytes of codes, then 4 x 2 scales; row 1, block 1 is scale 3
    python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[128 + 3] = 0xFF; open(sys.argv[2], "wb").write(b)' \
        "$tmp/mx.q" "$tmp/mxnan.q"
    run dequant --scheme mxfp4 --in "$tmp/mxnan.q" --rows $R --cols 64 --out "$tmp/bad.f32"
    same "E8M0 0xFF scale (exit status)" 1 "$rc"
    same "E8M0 0xFF scale (message names file, row and block)" "qcts dequant: $tmp/mxnan.q: row 1, block 1:" \
        "$(printf '%s\n' "$err" | cut -d' ' -f1-7)"
    absent "$tmp/bad.f32"
fi
no_temp_files

# ---- quality ------------------------------------------------------------------------
run quality --rows 256 --cols 1024 --activations 2
same "quality (exit status; stderr: $err)" 0 "$rc"
same "quality (title)" "# qcts quality: gaussian weights (N(0, 0.02^2)), seed 1, 256 x 1024, KL over 2 activation vectors" \
    "$(printf '%s\n' "$out" | sed -n 1p)"
same "quality (header)" "scheme bits/w MSE NMSE SNR dB cosine max abs KL notes" "$(printf '%s\n' "$out" | sed -n 2p | tr -s ' ')"
same "quality: one row per scheme, in catalog order" "$schemes" "$(printf '%s\n' "$out" | sed '1,2d' | cut -d' ' -f1)"
for s in $schemes; do
    line=$(printf '%s\n' "$out" | grep "^$s ")
    case $line in
    *"unsupported: "*) ;;
    *) same "$s: 9 columns measured" 1 "$(printf '%s\n' "$line" | awk 'NF >= 8 && $3 != "-" {print 1}')" ;;
    esac
done
same "quality: sparse rows note the pruning error" "2" \
    "$(printf '%s\n' "$out" | grep -c 'includes 2:4 pruning error')"

run quality --rows 256 --cols 1024 --activations 2 --json
same "quality --json (exit status)" 0 "$rc"
printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "quality --json is not JSON"
check=$(printf '%s' "$out" | python3 -c 'import json, math, sys
d = json.load(sys.stdin)
names = sys.argv[1].split()
r = d["results"]
bad = []
if [x["scheme"] for x in r] != names: bad.append("scheme list")
if (d["dist"], d["seed"], d["rows"], d["cols"], d["activations"]) != ("gaussian", 1, 256, 1024, 2): bad.append("config")
for x in r:
    if x["status"] == "ok":
        if not (0 < x["nmse"] < 1 and 0 < x["cosine"] <= 1 and x["kl"] >= 0 and x["bits_per_weight"] > 1): bad.append(x["scheme"])
    elif x["status"] != "unsupported" or not x["message"] or x["nmse"] is not None: bad.append(x["scheme"])
print(" ".join(bad) or "ok")' "$(echo $schemes)")
same "quality --json content" "ok" "$check"

# one scheme, given twice as arguments and as a list; deterministic
run quality --scheme fp4_g32_f16,mxfp4 nvfp4 --rows 256 --cols 512 --seed 9 --dist outliers --json
first=$out
same "quality subset (exit status)" 0 "$rc"
same "quality subset: schemes" "fp4_g32_f16 mxfp4 nvfp4" \
    "$(printf '%s' "$out" | python3 -c 'import json,sys; print(" ".join(x["scheme"] for x in json.load(sys.stdin)["results"]))')"
run quality --scheme fp4_g32_f16,mxfp4 nvfp4 --rows 256 --cols 512 --seed 9 --dist outliers --json --threads 1
same "quality: the same on one thread" "$first" "$out"

done_checks
