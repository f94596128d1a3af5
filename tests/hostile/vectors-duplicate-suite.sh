#!/bin/sh
# Seen: a duplicated suite file was counted twice and then lost the whole
# run with a raw "UNIQUE constraint failed". Now it is an error naming both
# files before anything runs (and, in a set with a manifest, an unlisted file).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vecsets.sh"

mkdir -p "$tmp/s"
copy_suites "$tmp/s" convert/e4m3_ocp
cp "$tmp/s/convert/e4m3_ocp.safetensors" "$tmp/s/convert/copy.safetensors"
run check --vectors "$tmp/s" --db "$tmp/r.db"
status "duplicate, no manifest" 1
has_err "duplicate, no manifest" \
    "$tmp/s/convert/copy.safetensors and $tmp/s/convert/e4m3_ocp.safetensors both hold suite 'convert/e4m3_ocp'"
case $err in *UNIQUE*) fail "duplicate: raw SQLite error: $err" ;; esac
no_pass "$tmp/r.db"
same "duplicate, no manifest: runs recorded" 0 "$(db_runs "$tmp/r.db")"

# In a folder with a manifest the copy is an unlisted file.
rm "$tmp/s/convert/copy.safetensors"
write_manifest "$tmp/s"
run check --vectors "$tmp/s" --no-db
status "manifest, no duplicate" 0
cp "$tmp/s/convert/e4m3_ocp.safetensors" "$tmp/s/convert/copy.safetensors"
run check --vectors "$tmp/s" --db "$tmp/r2.db"
status "duplicate, manifest" 1
has_err "duplicate, manifest" "$tmp/s/convert/copy.safetensors: not listed in $tmp/s/MANIFEST.json"
no_pass "$tmp/r2.db"

# An entry named twice in the manifest.
rm "$tmp/s/convert/copy.safetensors"
e='"convert/e4m3_ocp.safetensors": {"size": '$(file_size "$tmp/s/convert/e4m3_ocp.safetensors")', "sha256": "'$(file_sha "$tmp/s/convert/e4m3_ocp.safetensors")'"}'
write_manifest "$tmp/s" "$e"
run check --vectors "$tmp/s" --db "$tmp/r3.db"
status "entry listed twice" 1
has_err "entry listed twice" "$tmp/s/convert/e4m3_ocp.safetensors: listed twice in MANIFEST.json"
no_pass "$tmp/r3.db"
done_checks
