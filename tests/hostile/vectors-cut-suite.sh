#!/bin/sh
# Seen: `qcts check` never compared the files with MANIFEST.json: a suite
# cut to one case gave 1 PASS, exit 0, recorded under the official hash.
# Now the set is verified first: size, SHA-256 and the set hash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vecsets.sh"

# The official set is vectors/golden of the working directory: a copy here.
mkdir -p "$tmp/w/vectors"
cp -R "$golden" "$tmp/w/vectors/golden"
cd "$tmp/w"
suite=vectors/golden/convert/e4m3_ocp.safetensors
full=$(file_size "$suite")
want=$(sed -n 's/^ *"vector_set_sha256": "\([0-9a-f]*\)".*/\1/p' vectors/golden/MANIFEST.json)

# Both ways: the intact set passes and is recorded as official, with the
# manifest's hash.
run check --filter 'convert/e4m3_ocp/*' --db "$tmp/ok.db"
status "intact set" 0
has_out "intact set" "(vector set $(printf %.12s "$want"))"
same "intact set: recorded hash and official flag" "$want|1" \
    "$(sqlite3 "$tmp/ok.db" "SELECT vector_set_sha256 || '|' || vector_set_official FROM run")"

# One case left of the suite.
run case extract "$suite" c000 "$tmp/one.safetensors"
status "case extract" 0
cp "$tmp/one.safetensors" "$suite"
run check --filter 'convert/e4m3_ocp/*' --db "$tmp/cut.db"
status "suite cut to one case" 1
has_err "suite cut to one case" "$suite: $(file_size "$tmp/one.safetensors") bytes, MANIFEST.json says $full"
no_pass "$tmp/cut.db"
same "suite cut to one case: runs recorded" 0 "$(db_runs "$tmp/cut.db")"

# Same size, one byte changed.
cp "$golden/convert/e4m3_ocp.safetensors" "$suite"
printf '\001' | dd of="$suite" bs=1 seek=$((full - 1)) conv=notrunc 2>/dev/null
[ "$(file_sha "$suite")" != "$(file_sha "$golden/convert/e4m3_ocp.safetensors")" ] ||
    printf '\002' | dd of="$suite" bs=1 seek=$((full - 1)) conv=notrunc 2>/dev/null
run check --filter 'convert/e4m3_ocp/*' --db "$tmp/byte.db"
status "one byte changed" 1
has_err "one byte changed" "$suite: SHA-256 $(file_sha "$suite"), vectors/golden/MANIFEST.json says"
no_pass "$tmp/byte.db"

# A subset whose manifest lists its files correctly but claims the official
# set hash: never recorded under a hash that was not recomputed.
mkdir -p "$tmp/sub"
copy_suites "$tmp/sub" convert/e4m3_ocp
write_manifest "$tmp/sub"
sed "s/\"vector_set_sha256\": \"[0-9a-f]*\"/\"vector_set_sha256\": \"$want\"/" "$tmp/sub/MANIFEST.json" >"$tmp/m"
mv "$tmp/m" "$tmp/sub/MANIFEST.json"
run check --vectors "$tmp/sub" --db "$tmp/forged.db"
status "forged set hash" 1
has_err "forged set hash" "$tmp/sub/MANIFEST.json: vector_set_sha256 $want is not the hash of the files it lists"
no_pass "$tmp/forged.db"
same "forged set hash: runs recorded" 0 "$(db_runs "$tmp/forged.db")"
done_checks
