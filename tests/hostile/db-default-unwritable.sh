#!/bin/sh
# Seen: an unwritable default database (db/qcts.db) gave a warning and
# exit 0: the run looked recorded and was not. Now check and bench stop
# before the run, naming the file and why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dbusers.sh"

# No db/ folder where qcts runs.
as_user check --vectors case.safetensors
status "check, no db folder" 1
has_err "check, no db folder" "cannot record the run: db/qcts.db: folder db: No such file or directory"
same "check, no db folder: nothing ran" "" "$out"
absent "$tmp/u/db"

as_user bench --shapes s.json --backend ref --quick-roofline --min-time 0.001
status "bench, no db folder" 1
has_err "bench, no db folder" "cannot record the run: db/qcts.db: folder db: No such file or directory"
same "bench, no db folder: nothing ran" "" "$out"

# A db folder the user cannot write.
mkdir "$tmp/u/db"
chmod 555 "$tmp/u/db"
as_user check --vectors case.safetensors
status "check, read-only db folder" 1
has_err "check, read-only db folder" "cannot record the run: db/qcts.db: folder db is not writable"
same "check, read-only db folder: nothing ran" "" "$out"
absent "$tmp/u/db/qcts.db"

# Both ways: a writable folder records the run, and --no-db records nothing.
writable_by_user "$tmp/u/db"
as_user check --vectors case.safetensors
status "check, writable db folder" 0
same "check, writable db folder: runs recorded" 1 "$(sqlite3 "$tmp/u/db/qcts.db" "SELECT count(*) FROM run")"
rm -r "$tmp/u/db"
as_user check --vectors case.safetensors --no-db
status "check --no-db" 0
done_checks
