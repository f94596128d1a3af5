#!/bin/sh
# qcts: dispatch, help, --version, usage errors, 'list' and 'format'.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

# ---- dispatch and help --------------------------------------------------------
expect_ok "qcts 0.1.0 (vectors format_version 1)" --version
expect_fail 2 "qcts: no command given
try 'qcts help'"
expect_fail 2 "qcts: unknown command 'frobnicate'
try 'qcts help'" frobnicate
expect_fail 2 "qcts: unknown option '--frob'
try 'qcts help'" --frob

run help
same "qcts help (exit status)" 0 "$rc"
same "qcts help (first line)" "usage: qcts <command> [options]" "$(printf '%s\n' "$out" | sed -n 1p)"
same "qcts help (command list)" "list
format
convert
quant
dequant
quality
vectors
case
check
db
bench
compare
report
help" "$(printf '%s\n' "$out" | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')"
help_out=$out
run --help
same "qcts --help = qcts help" "$help_out" "$out"

for c in list format convert quant dequant quality vectors case check db bench compare report help; do
    run help "$c"
    same "qcts help $c (exit status)" 0 "$rc"
    same "qcts help $c (first line)" "usage: qcts $c" "$(printf '%s\n' "$out" | sed -n '1s/^\(usage: qcts [a-z]*\).*/\1/p')"
    cmd_help=$out
    run "$c" --help
    same "qcts $c --help (exit status)" 0 "$rc"
    same "qcts $c --help = qcts help $c" "$cmd_help" "$out"
done
expect_fail 2 "qcts help: unknown command 'nope'
try 'qcts help'" help nope

# ---- list ---------------------------------------------------------------------
expect_ok "formats      element formats and their ranges, Inf and NaN codes
conventions  encoder conventions (rounding, NaN, overflow) to select with --convention
schemes      quantization scheme presets for quant, dequant and quality
suites       golden-vector suites (vectors/suites/) and the cases of each
backends     backends to check: name, available here (or why not), description" list
expect_fail 2 "qcts list: unknown topic 'schemas' (run 'qcts list' for the topics)
try 'qcts help list'" list schemas
expect_fail 2 "qcts list: unknown option '--all'
try 'qcts help list'" list --all

run list formats
same "list formats (exit status)" 0 "$rc"
same "list formats (line count: header + 20 formats)" 21 "$(printf '%s\n' "$out" | wc -l | tr -d ' ')"
same "list formats (header)" \
    "name   bits  kind      bias  max             min normal      min subnormal   Inf                     NaN" \
    "$(printf '%s\n' "$out" | sed -n 1p)"
same "list formats (e4m3)" \
    "e4m3   8     float     7     448             0.015625        0.001953125     none                    0x7F, 0xFF" \
    "$(printf '%s\n' "$out" | grep '^e4m3 ')"
same "list formats (f16)" \
    "f16    16    float     15    65504           6.10351562e-05  5.96046448e-08  0x7C00, 0xFC00          0x7C01-0x7FFF, 0xFC01-0xFFFF" \
    "$(printf '%s\n' "$out" | grep '^f16 ')"
same "list formats (int4)" \
    "int4   4     int       -     7               -               1               none                    none" \
    "$(printf '%s\n' "$out" | grep '^int4 ')"
same "list formats (names, in qref order)" \
    "f32 f16 bf16 e4m3 e5m2 e2m1 e2m3 e3m2 e8m0 int8 uint8 int4 uint4 int3 uint3 int2 uint2 nf4 nf3 nf2" \
    "$(printf '%s\n' "$out" | sed 1d | cut -d' ' -f1 | tr '\n' ' ' | sed 's/ $//')"

run list conventions
same "list conventions (exit status)" 0 "$rc"
same "list conventions (names)" "name ocp ml_dtypes_0_6 torch cuda_satfinite cuda_nosat ggml ml_dtypes_0_7 ml_dtypes_0_5_0 torch_2_15" \
    "$(printf '%s\n' "$out" | cut -d' ' -f1 | tr '\n' ' ' | sed 's/ $//')"
# each library convention names its upstream releases; the old name is an alias
same "list conventions (ml_dtypes_0_6)" "ml_dtypes_0_6 ml_dtypes 0.5.1 - 0.6.0 (numpy 2.x) ml_dtypes" \
    "$(printf '%s\n' "$out" | grep '^ml_dtypes_0_6 ' | tr -s ' ' | cut -d' ' -f1-8)"
same "list conventions (ml_dtypes_0_7)" "ml_dtypes_0_7 ml_dtypes 0.7.0 (numpy 2.x) -" \
    "$(printf '%s\n' "$out" | grep '^ml_dtypes_0_7 ' | tr -s ' ' | cut -d' ' -f1-6)"
same "list conventions (torch)" "torch torch 2.0.0 - 2.12.1 CPU" \
    "$(printf '%s\n' "$out" | grep '^torch ' | tr -s ' ' | cut -d' ' -f1-6)"

# ---- format -------------------------------------------------------------------
expect_ok "# e2m1: OCP FP4 E2M1, 4 bits, 16 codes, convention ocp
# code  bits  value  hex-float
0x0  0000  0                0x0p+0
0x1  0001  0.5              0x1p-1
0x2  0010  1                0x1p+0
0x3  0011  1.5              0x1.8p+0
0x4  0100  2                0x1p+1
0x5  0101  3                0x1.8p+1
0x6  0110  4                0x1p+2
0x7  0111  6                0x1.8p+2
0x8  1000  -0               -0x0p+0
0x9  1001  -0.5             -0x1p-1
0xa  1010  -1               -0x1p+0
0xb  1011  -1.5             -0x1.8p+0
0xc  1100  -2               -0x1p+1
0xd  1101  -3               -0x1.8p+1
0xe  1110  -4               -0x1p+2
0xf  1111  -6               -0x1.8p+2" format e2m1

run format e4m3
same "format e4m3 (exit status)" 0 "$rc"
same "format e4m3 (line count)" 258 "$(printf '%s\n' "$out" | wc -l | tr -d ' ')"
same "format e4m3 (selected codes)" "0x01  00000001  0.001953125      0x1p-9
0x08  00001000  0.015625         0x1p-6
0x7e  01111110  448              0x1.cp+8
0x7f  01111111  nan              nan
0xfe  11111110  -448             -0x1.cp+8
0xff  11111111  -nan             -nan" \
    "$(printf '%s\n' "$out" | grep -E '^0x(01|08|7e|7f|fe|ff) ')"

run format FP8_E4M3
same "format accepts aliases, any case" "# e4m3: OCP FP8 E4M3 (fn: no Inf), 8 bits, 256 codes, convention ocp" \
    "$(printf '%s\n' "$out" | sed -n 1p)"

run format e8m0
same "format e8m0 (0xff under ocp)" "0xff  11111111  nan              nan" "$(printf '%s\n' "$out" | tail -n 1)"
run format e8m0 --convention ggml
same "format e8m0 --convention ggml (0xff)" "0xff  11111111  inf              inf" "$(printf '%s\n' "$out" | tail -n 1)"
run format e8m0 --convention=ggml
same "format --convention=VALUE" "0xff  11111111  inf              inf" "$(printf '%s\n' "$out" | tail -n 1)"

run format f16
same "format f16 (exit status)" 0 "$rc"
same "format f16 (line count: 2 + 65536)" 65538 "$(printf '%s\n' "$out" | wc -l | tr -d ' ')"
same "format f16 (selected codes)" "0x0001  0000000000000001  5.96046448e-08   0x1p-24
0x3c00  0011110000000000  1                0x1p+0
0x7bff  0111101111111111  65504            0x1.ffcp+15
0x7c00  0111110000000000  inf              inf
0xfc00  1111110000000000  -inf             -inf" \
    "$(printf '%s\n' "$out" | grep -E '^0x(0001|3c00|7bff|7c00|fc00) ')"

expect_fail 2 "qcts format: f32 has 2^32 codes, too many to list; decode single codes with 'qcts convert --decode --from f32 CODE...'
try 'qcts help format'" format f32
expect_fail 2 "qcts format: unknown format 'e9m9' (run 'qcts list formats')
try 'qcts help format'" format e9m9
expect_fail 2 "qcts format: no format NAME given
try 'qcts help format'" format
expect_fail 2 "qcts format: one format at a time, got 'e4m3' and 'e5m2'
try 'qcts help format'" format e4m3 e5m2
expect_fail 2 "qcts format: unknown convention 'pytorch' (run 'qcts list conventions')
try 'qcts help format'" format e4m3 --convention pytorch
expect_fail 2 "qcts format: option --convention needs a value
try 'qcts help format'" format e4m3 --convention

done_checks
