#!/bin/sh
# Seen: a new database that failed to be set up left a 0-byte file behind.
# A failed create now removes what it made (the file, its -wal and -shm).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dbusers.sh"

# The -wal file cannot be made (a folder has its name): WAL mode fails.
mkdir -p "$tmp/w/new.db-wal"
run check --vectors vectors/golden/convert/e4m3_ocp.safetensors --db "$tmp/w/new.db"
status "create with a blocked -wal" 1
has_err "create with a blocked -wal" "cannot record the run: $tmp/w/new.db: journal_mode"
same "create with a blocked -wal: nothing ran" "" "$out"
absent "$tmp/w/new.db"
absent "$tmp/w/new.db-shm"

run db merge --db "$tmp/w/new.db" vectors/golden/convert/e4m3_ocp.safetensors
status "merge into a new database with a blocked -wal" 1
absent "$tmp/w/new.db"

# Both ways: without the obstacle the same command creates it.
rmdir "$tmp/w/new.db-wal"
run check --vectors vectors/golden/convert/e4m3_ocp.safetensors --db "$tmp/w/new.db"
status "create" 0
same "create: runs" 1 "$(sqlite3 "$tmp/w/new.db" "SELECT count(*) FROM run")"

# An existing database that fails is never removed.
mkdir -p "$tmp/w2"
cp "$tmp/w/new.db" "$tmp/w2/old.db"
sqlite3 "$tmp/w2/old.db" "PRAGMA user_version = 999"
run check --vectors vectors/golden/convert/e4m3_ocp.safetensors --db "$tmp/w2/old.db"
status "newer existing database" 1
has_err "newer existing database" "schema version 999 is newer than this qcts knows"
checks=$((checks + 1))
[ -s "$tmp/w2/old.db" ] || fail "an existing database was removed"
done_checks
