#!/bin/sh
# qcts convert with values and codes on the command line: encoding under each
# convention and mode, decoding, -v, NaN warnings and usage errors.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

# ---- encode: e4m3 (ocp saturates by default) -----------------------------------
expect_ok "0x7e" convert --to e4m3 448
expect_ok "0x7e" convert --to e4m3 464
expect_ok "0x7e" convert --to e4m3 465
expect_ok "0x7f" convert --to e4m3 --mode nosat 465
expect_ok "0x7e" convert --to e4m3 --mode nosat 464        # tie: 448 is even
expect_ok "0x7f" convert --to e4m3 --mode nosat inf
expect_ok "0x7e" convert --to e4m3 --mode sat inf
expect_ok "0x7f" convert --to=e4m3 --mode=nosat 465
expect_ok "0x1d
0x7e
0x7e
0x7e
0xfe
0x7f
0xff" convert --to e4m3 0.1 448 464 465 -1e9 nan -nan
expect_ok "0x7f" convert --to e4m3 --convention cuda_satfinite nan
expect_ok "0xfe" convert --to e4m3 --convention cuda_satfinite -1e9
expect_ok "0x7f" convert --to e4m3 --convention cuda_nosat 1e9
# subnormals and ties (unit 2^-9), signed zero, spellings of values
expect_ok "0x01
0x00
0x02
0x01
0x01
0x80" convert --to e4m3 0x1p-9 0x1p-10 0x1.8p-9 0x1.4p-9 1e-3 -0
expect_ok "0xb8
0xb0
0xfe
0x7e
0x7e" convert --to e4m3 -1 -.5 -inf Infinity 1e39
expect_ok "0xb8
0xc0" convert --to e4m3 -- -1 -2

# ---- encode: other formats ----------------------------------------------------
expect_ok "0x7b
0x7b
0x7e
0xfe" convert --to e5m2 57344 inf nan -nan
expect_ok "0x7c" convert --to e5m2 --mode nosat inf
expect_ok "0x3c00
0x7bff
0x7bff
0x7c00
0x7e00
0xfe00
0x0001
0x0000
0x8000" convert --to f16 1 65504 65519 65520 nan -nan 0x1p-24 0x1p-25 -0
expect_ok "0x3f80
0x3f80
0x3f82
0x7f80" convert --to bf16 1 1.00390625 1.01171875 inf
expect_ok "0x3f800000
0x3dcccccd
0x7f800000
0xffc00000" convert --to f32 1 0.1 inf -nan
expect_ok "0x0
0x2
0x2
0x4
0x6
0x6
0x7
0xf" convert --to e2m1 0.25 0.75 1.25 2.5 3.5 5 7 -6
expect_ok "0x7f
0x80
0x02
0x04
0xff
0x7f" convert --to int8 127.5 -128 2.5 3.5 -1 1000
expect_ok "0xf
0x8
0x7" convert --to int4 -1 -8 100
expect_ok "0x0" convert --to uint4 -3
expect_ok "0x7f
0x80
0x7e
0x00
0xff" convert --to e8m0 1 2 0.5 0x1p-127 nan
expect_ok "0xc
0xf
0x0
0x7" convert --to nf4 0.5 1 -1 0

# ---- -v -------------------------------------------------------------------------
expect_ok "448 -> 0x7e (448)
0.1 -> 0x1d (0.1015625)
nan -> 0x7f (nan)
-0 -> 0x80 (-0)
1e9 -> 0x7e (448)" convert --to e4m3 -v 448 0.1 nan -0 1e9
expect_ok "2.5 -> 0x4 (2)" convert --verbose --to e2m1 2.5

# ---- NaN with no encoding: fallback code, warning, exit 1 ----------------------
run convert --to e2m1 1 nan 2
same "e2m1 nan (exit status)" 1 "$rc"
same "e2m1 nan (stdout)" "0x2
0x7
0x4" "$out"
same "e2m1 nan (stderr)" \
    "qcts convert: warning: nan: NaN has no encoding in e2m1 under convention ocp; printed the fallback code 0x7" "$err"
run convert --to int4 -v -nan
same "int4 -nan (exit status)" 1 "$rc"
same "int4 -nan (stdout)" "-nan -> 0x0 (0)" "$out"
same "int4 -nan (stderr)" \
    "qcts convert: warning: -nan: NaN has no encoding in int4 under convention ocp; printed the fallback code 0x0" "$err"

# ---- modes that a format or convention does not offer: exit 2 ------------------
expect_fail 2 "qcts convert: mode 'nosat' is not available for e2m1 (always saturating)
try 'qcts help convert'" convert --to e2m1 --mode nosat 1
expect_fail 2 "qcts convert: mode 'sat' is not available for f16 (never saturating: overflow gives Inf)
try 'qcts help convert'" convert --to f16 --mode sat 1
expect_fail 2 "qcts convert: mode 'sat' is not available for e4m3 under convention torch (never saturating: overflow gives NaN)
try 'qcts help convert'" convert --to e4m3 --convention torch --mode sat 1
expect_fail 2 "qcts convert: mode 'nosat' is not available for e5m2 under convention cuda_satfinite (always saturating)
try 'qcts help convert'" convert --to e5m2 --convention cuda_satfinite --mode nosat 1
expect_ok "0x6" convert --to e2m1 --mode sat 4
expect_ok "0x3c00" convert --to f16 --mode default 1

# ---- decode ---------------------------------------------------------------------
expect_ok "1
inf
-nan" convert --decode --from bf16 0x3f80 0x7f80 0xffc1
expect_ok "448
448
0.015625
0.001953125
-0
-nan" convert --decode --from e4m3 0x7e 126 0x08 0x01 0x80 0xff
expect_ok "0x7e [01111110] -> 448 (0x1.cp+8, f32 0x43e00000)
0x00 [00000000] -> 0 (0x0p+0, f32 0x00000000)" convert --decode --from e4m3 -v 0x7e 0
expect_ok "0x7c01 [0111110000000001] -> nan (nan, f32 0x7f802000)" convert --decode --from f16 -v 0x7c01
expect_ok "5.87747175e-39
nan" convert --decode --from e8m0 0x00 0xff
expect_ok "0x00 [00000000] -> 5.87747175e-39 (0x1p-127, f32 0x00400000)" convert --decode --from e8m0 -v 0
expect_ok "inf" convert --decode --from e8m0 --convention ggml 0xff
expect_ok "-1
-8" convert --decode --from int4 0xf 0x8
expect_ok "15" convert --decode --from uint4 0xF
expect_ok "0
1" convert --decode --from nf4 0x7 15
expect_ok "1.40129846e-45
3.40282347e+38" convert --decode --from f32 0x00000001 0x7f7fffff

# ---- usage errors: exit 2, nothing on stdout -------------------------------------
expect_fail 2 "qcts convert: --to FMT is required
try 'qcts help convert'" convert 1
expect_fail 2 "qcts convert: unknown format 'e9m9' (run 'qcts list formats')
try 'qcts help convert'" convert --to e9m9 1
expect_fail 2 "qcts convert: 'abc' is not a number
try 'qcts help convert'" convert --to e4m3 1 abc
expect_fail 2 "qcts convert: '1.5x' is not a number
try 'qcts help convert'" convert --to e4m3 1.5x
expect_fail 2 "qcts convert: '' is not a number
try 'qcts help convert'" convert --to e4m3 ""
expect_fail 2 "qcts convert: no VALUE given
try 'qcts help convert'" convert --to e4m3
expect_fail 2 "qcts convert: option --to needs a value
try 'qcts help convert'" convert --to
expect_fail 2 "qcts convert: option --to given twice
try 'qcts help convert'" convert --to e4m3 --to e5m2 1
expect_fail 2 "qcts convert: unknown option '--bogus'
try 'qcts help convert'" convert --to e4m3 --bogus 1
expect_fail 2 "qcts convert: unknown option '-x'
try 'qcts help convert'" convert --to e4m3 -x 1
expect_fail 2 "qcts convert: option --decode takes no value
try 'qcts help convert'" convert --decode=yes --from e4m3 1
expect_fail 2 "qcts convert: unknown convention 'pytorch' (run 'qcts list conventions')
try 'qcts help convert'" convert --to e4m3 --convention pytorch 1
expect_fail 2 "qcts convert: unknown mode 'fast' (default, sat or nosat)
try 'qcts help convert'" convert --to e4m3 --mode fast 1
expect_fail 2 "qcts convert: --from is for decoding (with --decode); to encode, use --to
try 'qcts help convert'" convert --from e4m3 1
expect_fail 2 "qcts convert: --decode needs --from FMT, the format of the codes
try 'qcts help convert'" convert --decode 0x7e
expect_fail 2 "qcts convert: --to is for encoding; with --decode name the codes' format with --from
try 'qcts help convert'" convert --decode --to e4m3 0x7e
expect_fail 2 "qcts convert: --mode applies to encoding only, not to --decode
try 'qcts help convert'" convert --decode --from e4m3 --mode sat 0x7e
expect_fail 2 "qcts convert: code 0x100 does not fit e4m3 (8 bits: 0x00 to 0xff)
try 'qcts help convert'" convert --decode --from e4m3 0x7e 0x100
expect_fail 2 "qcts convert: code 16 does not fit e2m1 (4 bits: 0x0 to 0xf)
try 'qcts help convert'" convert --decode --from e2m1 16
expect_fail 2 "qcts convert: '-1' is not a code (0x.. hex or decimal)
try 'qcts help convert'" convert --decode --from e4m3 -1
expect_fail 2 "qcts convert: '0x100000000' is not a code (0x.. hex or decimal)
try 'qcts help convert'" convert --decode --from f32 0x100000000
expect_fail 2 "qcts convert: 'abc' is not a code (0x.. hex or decimal)
try 'qcts help convert'" convert --decode --from e4m3 abc

done_checks
