#!/bin/sh
# Seen: two symlinks to '.' in a vectors folder made check grow past 2.8 GB
# and run on (the scan followed symlinks, bounded only by depth). Scans now
# never follow a symlink to a folder.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vecsets.sh"

mkdir -p "$tmp/s"
copy_suites "$tmp/s" convert/e4m3_ocp convert/bf16_ggml
run check --vectors "$tmp/s" --no-db
status "plain folder" 0
plain=$(printf '%s\n' "$out" | tail -n 1)

ln -s . "$tmp/s/a"
ln -s . "$tmp/s/b"
ln -s .. "$tmp/s/convert/up"
rc=0
# Bounded by time only (a memory limit would stop sanitizer builds from
# starting): the old walk ran on for minutes.
timeout 60 "$QCTS" check --vectors "$tmp/s" --db "$tmp/r.db" >"$tmp/.out" 2>"$tmp/.err" || rc=$?
out=$(cat "$tmp/.out") err=$(cat "$tmp/.err")
status "symlinks to . and .." 0
same "symlinks to . and ..: same cases as without them" "$plain" "$(printf '%s\n' "$out" | tail -n 1)"
same "symlinks to . and ..: recorded hash, unofficial" "$(set_hash "$tmp/s")|0" \
    "$(sqlite3 "$tmp/r.db" "SELECT vector_set_sha256 || '|' || vector_set_official FROM run")"

# With a manifest, the links change nothing either.
rm "$tmp/s/a" "$tmp/s/b" "$tmp/s/convert/up"
write_manifest "$tmp/s"
ln -s . "$tmp/s/a"
ln -s . "$tmp/s/b"
run check --vectors "$tmp/s" --no-db
status "symlinks to . with a manifest" 0
same "symlinks to . with a manifest: same cases" "$plain" "$(printf '%s\n' "$out" | tail -n 1)"
done_checks
