#!/bin/sh
# Seen: a 0444 database was noticed only after the whole run ("attempt to
# write a readonly database" at the end). Now it is found before the run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dbusers.sh"

writable_by_user "$tmp/u"
as_user check --vectors case.safetensors --db ro.db
status "create" 0
chmod 444 "$tmp/u/ro.db"
rm -f "$tmp/u/ro.db-wal" "$tmp/u/ro.db-shm"
before=$(hex "$tmp/u/ro.db")

as_user check --vectors case.safetensors --db ro.db
status "check, 0444 database" 1
has_err "check, 0444 database" "cannot record the run: ro.db: the file is not writable: Permission denied"
same "check, 0444 database: nothing ran" "" "$out"
same "check, 0444 database: file unchanged" "$before" "$(hex "$tmp/u/ro.db")"
same "check, 0444 database: runs" 1 "$(sqlite3 "$tmp/u/ro.db" "SELECT count(*) FROM run")"

as_user bench --shapes s.json --backend ref --quick-roofline --min-time 0.001 --db ro.db
status "bench, 0444 database" 1
has_err "bench, 0444 database" "cannot record the run: ro.db: the file is not writable: Permission denied"

as_user db merge --db ro.db ro.db
status "merge into a 0444 database" 1
has_err "merge into a 0444 database" "ro.db: the file is not writable"

# Reading it is still fine.
as_user db info --db ro.db
status "db info, 0444 database" 0
done_checks
