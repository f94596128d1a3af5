#!/bin/sh
# An explicit --vectors outside the official set is recorded as unofficial,
# with the hash of the files actually read (the MANIFEST.json rule), never
# with a hash that was not computed from them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vecsets.sh"

mkdir -p "$tmp/s"
copy_suites "$tmp/s" convert/e4m3_ocp convert/bf16_ggml
run check --vectors "$tmp/s" --db "$tmp/r.db"
status "folder without manifest" 0
has_out "folder without manifest" "(unofficial vector set $(set_hash "$tmp/s" | cut -c1-12))"
same "folder without manifest: recorded" "$(set_hash "$tmp/s")|0" \
    "$(sqlite3 "$tmp/r.db" "SELECT vector_set_sha256 || '|' || vector_set_official FROM run")"

write_manifest "$tmp/s"
run check --vectors "$tmp/s" --db "$tmp/r2.db"
status "own manifest" 0
same "own manifest: recorded (verified, still unofficial)" "$(set_hash "$tmp/s")|0" \
    "$(sqlite3 "$tmp/r2.db" "SELECT vector_set_sha256 || '|' || vector_set_official FROM run")"

f=$tmp/s/convert/bf16_ggml.safetensors
one=$(printf '%s  %s\n' "$(file_sha "$f")" bf16_ggml.safetensors | sha256sum | cut -d' ' -f1)
run check --vectors "$f" --db "$tmp/r3.db"
status "one file" 0
same "one file: recorded" "$one|0" \
    "$(sqlite3 "$tmp/r3.db" "SELECT vector_set_sha256 || '|' || vector_set_official FROM run")"
done_checks
