#!/bin/sh
# qcts convert --in FILE --out FILE: raw little-endian files, round trips,
# and that a failed run writes nothing (output is written atomically).
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

# f32 FILE VALUE...: writes the values as little-endian float32.
f32() {
    file=$1
    shift
    python3 -c 'import struct, sys
v = [float(a) for a in sys.argv[2:]]
open(sys.argv[1], "wb").write(struct.pack("<%df" % len(v), *v))' "$file" "$@"
}

# no_temp_files: the temporary files of atomic writes are all gone.
no_temp_files() {
    same "temporary files left in $tmp" "" "$(find "$tmp" -name '*.tmp.*')"
}

# ---- encode: bytes are exact and little-endian --------------------------------
f32 "$tmp/x.f32" 1 448 -0.1 inf 0.001 -0
same "input file (float32 little-endian)" \
    "0000803f0000e043cdccccbd0000807f6f12833a00000080" "$(hex "$tmp/x.f32")"
expect_ok "" convert --to e4m3 --in "$tmp/x.f32" --out "$tmp/x.e4m3"
same "e4m3 codes, one byte each" "387e9d7e0180" "$(hex "$tmp/x.e4m3")"
expect_ok "" convert --to f16 --in "$tmp/x.f32" --out "$tmp/x.f16"
same "f16 codes, two bytes little-endian" "003c005f66ae007c19140080" "$(hex "$tmp/x.f16")"
expect_ok "" convert --to bf16 --in "$tmp/x.f32" --out "$tmp/x.bf16"
same "bf16 codes, two bytes little-endian" "803fe043cdbd807f833a0080" "$(hex "$tmp/x.bf16")"
expect_ok "" convert --to e2m1 --in "$tmp/x.f32" --out "$tmp/x.e2m1"
same "e2m1 codes, one per byte, not packed" "020708070008" "$(hex "$tmp/x.e2m1")"
expect_ok "" convert --to f32 --in "$tmp/x.f32" --out "$tmp/x2.f32"
same "f32 codes are the float's bits" "$(hex "$tmp/x.f32")" "$(hex "$tmp/x2.f32")"

# ---- decode: float32 little-endian out -------------------------------------------
expect_ok "" convert --decode --from e4m3 --in "$tmp/x.e4m3" --out "$tmp/y.f32"
f32 "$tmp/want.f32" 1 448 -0.1015625 448 0.001953125 -0
same "decode e4m3 -> float32" "$(hex "$tmp/want.f32")" "$(hex "$tmp/y.f32")"
expect_ok "" convert --decode --from f16 --in "$tmp/x.f16" --out "$tmp/y16.f32"
f32 "$tmp/want16.f32" 1 448 -0.0999755859375 inf 0.0010004043579101562 -0
same "decode f16 -> float32" "$(hex "$tmp/want16.f32")" "$(hex "$tmp/y16.f32")"

# ---- round trips over every code ------------------------------------------------
python3 -c 'import sys; open(sys.argv[1], "wb").write(bytes(range(256)))' "$tmp/all.e4m3"
expect_ok "" convert --decode --from e4m3 --in "$tmp/all.e4m3" --out "$tmp/all.f32"
same "256 e4m3 codes -> 1024 bytes of float32" 1024 "$(wc -c <"$tmp/all.f32" | tr -d ' ')"
expect_ok "" convert --to e4m3 --in "$tmp/all.f32" --out "$tmp/all2.e4m3"
same "e4m3: decode then encode gives every code back" "$(hex "$tmp/all.e4m3")" "$(hex "$tmp/all2.e4m3")"

python3 -c 'import sys, struct
c = [i for i in range(65536) if (i & 0x7f80) != 0x7f80]   # bf16 without Inf/NaN
open(sys.argv[1], "wb").write(struct.pack("<%dH" % len(c), *c))' "$tmp/fin.bf16"
expect_ok "" convert --decode --from bf16 --in "$tmp/fin.bf16" --out "$tmp/fin.f32"
expect_ok "" convert --to bf16 --in "$tmp/fin.f32" --out "$tmp/fin2.bf16"
same "bf16: every finite code round-trips" identical \
    "$(cmp "$tmp/fin.bf16" "$tmp/fin2.bf16" >/dev/null 2>&1 && echo identical || echo different)"

printf '\000\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017' >"$tmp/all.e2m1"
expect_ok "" convert --decode --from e2m1 --in "$tmp/all.e2m1" --out "$tmp/e2m1.f32"
f32 "$tmp/want2.f32" 0 0.5 1 1.5 2 3 4 6 -0 -0.5 -1 -1.5 -2 -3 -4 -6
same "decode all e2m1 codes" "$(hex "$tmp/want2.f32")" "$(hex "$tmp/e2m1.f32")"
expect_ok "" convert --to e2m1 --in "$tmp/e2m1.f32" --out "$tmp/all2.e2m1"
same "e2m1: decode then encode gives every code back" "$(hex "$tmp/all.e2m1")" "$(hex "$tmp/all2.e2m1")"

: >"$tmp/empty"
expect_ok "" convert --to f16 --in "$tmp/empty" --out "$tmp/empty.f16"
same "empty input gives an empty output" 0 "$(wc -c <"$tmp/empty.f16" | tr -d ' ')"

cp "$tmp/x.f32" "$tmp/inplace"
expect_ok "" convert --to e4m3 --in "$tmp/inplace" --out "$tmp/inplace"
same "--in and --out may be the same file" "387e9d7e0180" "$(hex "$tmp/inplace")"
no_temp_files

# ---- errors: exit 1, a message naming the problem, no output file -------------------
head -c 1023 /dev/zero >"$tmp/bad.f32"
expect_fail 1 "qcts convert: $tmp/bad.f32: size 1023 bytes is not a multiple of 4 (float32)" \
    convert --to e4m3 --in "$tmp/bad.f32" --out "$tmp/bad.out"
absent "$tmp/bad.out"

printf '\001\002\003' >"$tmp/bad.f16"
expect_fail 1 "qcts convert: $tmp/bad.f16: size 3 bytes is not a multiple of 2 (f16 codes)" \
    convert --decode --from f16 --in "$tmp/bad.f16" --out "$tmp/bad.out"
absent "$tmp/bad.out"

expect_fail 1 "qcts convert: cannot read $tmp/missing.f32: No such file or directory" \
    convert --to e4m3 --in "$tmp/missing.f32" --out "$tmp/bad.out"
absent "$tmp/bad.out"

f32 "$tmp/nan.f32" 1 2 nan 4
expect_fail 1 "qcts convert: $tmp/nan.f32: element 2 is NaN, which e2m1 cannot represent under convention ocp; nothing written" \
    convert --to e2m1 --in "$tmp/nan.f32" --out "$tmp/bad.out"
absent "$tmp/bad.out"
expect_ok "" convert --to e4m3 --in "$tmp/nan.f32" --out "$tmp/nan.e4m3"
same "NaN into e4m3 (has NaN) is fine" "38407f48" "$(hex "$tmp/nan.e4m3")"

printf '\001\002\020\003' >"$tmp/wide.e2m1"
expect_fail 1 "qcts convert: $tmp/wide.e2m1: code 0x10 at index 2 does not fit e2m1 (4 bits); nothing written" \
    convert --decode --from e2m1 --in "$tmp/wide.e2m1" --out "$tmp/bad.out"
absent "$tmp/bad.out"

# A failed run leaves an existing output file as it was.
printf 'old' >"$tmp/keep"
expect_fail 1 "qcts convert: $tmp/bad.f32: size 1023 bytes is not a multiple of 4 (float32)" \
    convert --to e4m3 --in "$tmp/bad.f32" --out "$tmp/keep"
same "existing output untouched" "old" "$(cat "$tmp/keep")"

expect_fail 1 "qcts convert: cannot write $tmp/nodir/out: No such file or directory" \
    convert --to e4m3 --in "$tmp/x.f32" --out "$tmp/nodir/out"
mkdir "$tmp/adir"
expect_fail 1 "qcts convert: cannot write $tmp/adir: Is a directory" \
    convert --to e4m3 --in "$tmp/x.f32" --out "$tmp/adir"
no_temp_files

# ---- usage errors: exit 2 ------------------------------------------------------------
expect_fail 2 "qcts convert: --in needs --out FILE
try 'qcts help convert'" convert --to e4m3 --in "$tmp/x.f32"
expect_fail 2 "qcts convert: --out needs --in FILE
try 'qcts help convert'" convert --to e4m3 --out "$tmp/o"
expect_fail 2 "qcts convert: give either VALUE arguments or --in, not both (got '1')
try 'qcts help convert'" convert --to e4m3 --in "$tmp/x.f32" --out "$tmp/o" 1
expect_fail 2 "qcts convert: -v applies to CODE arguments, not to --in/--out
try 'qcts help convert'" convert --decode --from e4m3 -v --in "$tmp/x.e4m3" --out "$tmp/o"
expect_fail 2 "qcts convert: mode 'nosat' is not available for e2m1 (always saturating)
try 'qcts help convert'" convert --to e2m1 --mode nosat --in "$tmp/x.f32" --out "$tmp/o"
absent "$tmp/o"

done_checks
