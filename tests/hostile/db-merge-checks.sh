#!/bin/sh
# Seen: `db merge` accepted a schema version that `db info` refuses, and
# merging a database into itself failed with "database is locked". Both are
# now refused with a clear message, and the target is left as it was.
. "$(dirname "$0")/lib.sh"

f=vectors/golden/convert/e4m3_ocp.safetensors
run check --vectors "$f" --db "$tmp/a.db"
status "a.db" 0
run check --vectors "$f" --db "$tmp/b.db"
status "b.db" 0
runs() { sqlite3 "$1" "SELECT count(*) FROM run"; }

# Both ways: a plain merge adds the other run.
cp "$tmp/a.db" "$tmp/t.db"
run db merge --db "$tmp/t.db" "$tmp/b.db"
status "plain merge" 0
same "plain merge: runs" 2 "$(runs "$tmp/t.db")"

# A newer schema: refused by info and by merge alike.
cp "$tmp/b.db" "$tmp/new.db"
sqlite3 "$tmp/new.db" "PRAGMA user_version = 99"
run db info --db "$tmp/new.db"
status "info, schema 99" 1
has_err "info, schema 99" "schema version 99 is newer than this qcts knows"
run db merge --db "$tmp/a.db" "$tmp/new.db"
status "merge, schema 99" 1
has_err "merge, schema 99" "$tmp/new.db: schema version 99 is newer than this qcts knows"
same "merge, schema 99: runs" 1 "$(runs "$tmp/a.db")"

# Not a qcts database (version 0, no tables).
sqlite3 "$tmp/empty.db" "CREATE TABLE x (y)"
run db merge --db "$tmp/a.db" "$tmp/empty.db"
status "merge, not qcts" 1
has_err "merge, not qcts" "$tmp/empty.db: not a qcts database"

# A FIFO: refused unread (opening it would wait for a writer).
mkfifo "$tmp/fifo.db"
rc=0
timeout 60 "$QCTS" db merge --db "$tmp/a.db" "$tmp/fifo.db" >"$tmp/.out" 2>"$tmp/.err" || rc=$?
err=$(cat "$tmp/.err")
status "merge, FIFO" 1
has_err "merge, FIFO" "$tmp/fifo.db: not a regular file"

# Into itself: by the same name, another spelling, a symlink, a hard link.
ln -s a.db "$tmp/sym.db"
ln "$tmp/a.db" "$tmp/hard.db"
for other in "$tmp/a.db" "$tmp/./a.db" "$tmp/sym.db" "$tmp/hard.db"; do
    run db merge --db "$tmp/a.db" "$other"
    status "merge into itself ($other)" 1
    has_err "merge into itself ($other)" "$other: is the database being merged into ($tmp/a.db): nothing to merge"
    case $err in *locked*) fail "merge into itself: $err" ;; esac
done
same "merge into itself: runs" 1 "$(runs "$tmp/a.db")"
done_checks
