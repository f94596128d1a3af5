#!/bin/sh
# Seen: a suite file listed in MANIFEST.json but missing gave exit 0 with
# 180 PASS. Now check stops before running and names the file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vecsets.sh"

mkdir -p "$tmp/w/vectors"
cp -R "$golden" "$tmp/w/vectors/golden"
cd "$tmp/w"
rm vectors/golden/convert/e4m3_ocp.safetensors
run check --filter 'convert/*' --db "$tmp/r.db"
status "missing file" 1
has_err "missing file" \
    "vectors/golden/convert/e4m3_ocp.safetensors: No such file or directory (listed in vectors/golden/MANIFEST.json)"
no_pass "$tmp/r.db"
same "missing file: runs recorded" 0 "$(db_runs "$tmp/r.db")"

# The official set without its manifest is refused too (not run as an
# unverified folder).
cp -R "$golden" vectors/golden2 && rm -r vectors/golden && mv vectors/golden2 vectors/golden
rm vectors/golden/MANIFEST.json
run check --filter 'convert/*' --db "$tmp/r2.db"
status "official set without manifest" 1
has_err "official set without manifest" "vectors/golden/MANIFEST.json: No such file or directory"
no_pass "$tmp/r2.db"
done_checks
