#!/bin/sh
# The committed golden set (vectors/golden) against its MANIFEST.json, and
# against a fresh regeneration, byte for byte: `qcts vectors verify
# --regenerate`. Under `make test-aarch64` QCTS is the arm64 build run by
# qemu, so this is the cross-architecture determinism check. Also: a changed
# byte is found and named, and `vectors gen` writes the same bytes again.
. tests/cli/lib.sh

run vectors verify --regenerate
same "qcts vectors verify --regenerate (exit status; stderr: $err)" 0 "$rc"
same "qcts vectors verify --regenerate (last line)" "vectors/golden: OK" "$(printf '%s\n' "$out" | tail -n 1)"

# One suite regenerated into a scratch folder is identical to the committed file.
run vectors gen --suite convert/e2m1_ocp --out "$tmp/g"
same "qcts vectors gen --suite convert/e2m1_ocp (exit status; stderr: $err)" 0 "$rc"
checks=$((checks + 1))
cmp -s "$tmp/g/convert/e2m1_ocp.safetensors" vectors/golden/convert/e2m1_ocp.safetensors ||
    fail "vectors gen --suite convert/e2m1_ocp differs from the committed file"

# A copy with one flipped byte fails verification, naming file and tensor.
# The copy is a set of that one suite (its definition alone, generated: the
# same bytes as the committed file), so this regenerates one suite, not the
# whole set a second time (the first check above did that already).
mkdir -p "$tmp/defs"
python3 -c 'import json, sys
d = json.load(open("vectors/suites/quantize.json"))
d["suites"] = [s for s in d["suites"] if s["name"] == "nvfp4"]
assert len(d["suites"]) == 1
json.dump(d, open(sys.argv[1] + "/quantize.json", "w"))' "$tmp/defs" || fail "cannot write the definition of quantize/nvfp4"
run vectors gen --suites "$tmp/defs" --out "$tmp/copy"
same "qcts vectors gen of quantize/nvfp4 alone (exit status; stderr: $err)" 0 "$rc"
f="$tmp/copy/quantize/nvfp4.safetensors"
checks=$((checks + 1))
cmp -s "$f" vectors/golden/quantize/nvfp4.safetensors ||
    fail "vectors gen of quantize/nvfp4 alone differs from the committed file"
size=$(wc -c < "$f")
printf '\377' | dd of="$f" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
run vectors verify --dir "$tmp/copy" --suites "$tmp/defs" --regenerate
same "verify of a changed copy (exit status)" 1 "$rc"
checks=$((checks + 1))
printf '%s\n' "$out" | grep -q "^MISMATCH quantize/nvfp4.safetensors: sha256 " ||
    fail "verify did not report the file hash: $out"
checks=$((checks + 1))
printf '%s\n' "$out" | grep -q "^MISMATCH quantize/nvfp4.safetensors: tensor 'c00[0-9]/[a-z.]*' differs from a regeneration" ||
    fail "verify did not name the tensor: $out"

expect_fail 2 "qcts vectors: expected 'gen' or 'verify', got frobnicate
try 'qcts help vectors'" vectors frobnicate
done_checks
