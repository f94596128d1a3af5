#!/bin/sh
# Seen: a manifest naming /etc/passwd gave exit 0 from check; `vectors
# verify` read any manifest path (../../etc/passwd) and never ended on
# /dev/zero. Manifest entries are now confined to their folder: relative,
# no '..', no symlink leaving it, regular files only (never read otherwise).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vecsets.sh"

# expect_refused WHAT DIR NEEDLE: check and vectors verify both refuse DIR
# (within 60 s: a read of /dev/zero or a FIFO would never end).
expect_refused() {
    rc=0
    timeout 60 "$QCTS" check --vectors "$2" --db "$tmp/$1.db" >"$tmp/.out" 2>"$tmp/.err" || rc=$?
    out=$(cat "$tmp/.out") err=$(cat "$tmp/.err")
    status "check: $1" 1
    has_err "check: $1" "$3"
    no_pass "$tmp/$1.db"
    same "check: $1: runs recorded" 0 "$(db_runs "$tmp/$1.db")"
    rc=0
    timeout 60 "$QCTS" vectors verify --dir "$2" --suites "$tmp/defs" >"$tmp/.out" 2>"$tmp/.err" || rc=$?
    out=$(cat "$tmp/.out") err=$(cat "$tmp/.err")
    status "vectors verify: $1" 1
}

fresh() {
    rm -rf "$tmp/s"
    mkdir -p "$tmp/s"
    copy_suites "$tmp/s" convert/e4m3_ocp
}

pw_entry() {
    printf '"%s": {"size": %s, "sha256": "%s"}' "$1" "$(file_size /etc/passwd)" "$(file_sha /etc/passwd)"
}

# vectors verify knows only the suite of the set (the one file: it would
# refuse the set for every other suite defined, whatever the manifest says).
suite_defs "$tmp/defs" convert/e4m3_ocp

# Both ways: the same set with a plain manifest passes.
fresh
write_manifest "$tmp/s"
run check --vectors "$tmp/s" --db "$tmp/ok.db"
status "plain manifest" 0

fresh
write_manifest "$tmp/s" "$(pw_entry /etc/passwd)"
expect_refused absolute "$tmp/s" "files: '/etc/passwd' is an absolute path"

fresh
write_manifest "$tmp/s" "$(pw_entry ../../../../../../../../etc/passwd)"
expect_refused dotdot "$tmp/s" "files: '../../../../../../../../etc/passwd' has a component starting with '.'"
printf '%s\n' "$out" | grep -q 'root:' && fail "vectors verify printed /etc/passwd"

fresh
write_manifest "$tmp/s" '"../../../../../../../../dev/zero.safetensors": {"size": 1, "sha256": "00"}'
expect_refused dev-zero "$tmp/s" "has a component starting with '.'"

# A symlink inside the folder that leads out of it.
fresh
ln -s /etc/passwd "$tmp/s/convert/pw.safetensors"
write_manifest "$tmp/s" "$(pw_entry convert/pw.safetensors)"
expect_refused symlink-out "$tmp/s" "$tmp/s/convert/pw.safetensors: resolves to /etc/passwd, outside $tmp/s"

# A symlink to /dev/zero, and a FIFO, under a listed name: refused unread.
fresh
ln -s /dev/zero "$tmp/s/convert/zero.safetensors"
write_manifest "$tmp/s" '"convert/zero.safetensors": {"size": 1, "sha256": "'"$(file_sha /dev/null)"'"}'
expect_refused symlink-dev-zero "$tmp/s" "resolves to /dev/zero, outside"

fresh
mkfifo "$tmp/s/convert/fifo.safetensors"
write_manifest "$tmp/s" '"convert/fifo.safetensors": {"size": 1, "sha256": "'"$(file_sha /dev/null)"'"}'
expect_refused fifo "$tmp/s" "$tmp/s/convert/fifo.safetensors: a FIFO, not a regular file (refused without reading)"

# A FIFO without a manifest: refused too, not waited on.
rm "$tmp/s/MANIFEST.json"
rc=0
timeout 60 "$QCTS" check --vectors "$tmp/s" --no-db >"$tmp/.out" 2>"$tmp/.err" || rc=$?
err=$(cat "$tmp/.err")
status "fifo, no manifest" 1
has_err "fifo, no manifest" "a FIFO, not a regular file"

# --vectors naming a device or a FIFO directly.
for f in /dev/zero "$tmp/s/convert/fifo.safetensors"; do
    rc=0
    timeout 60 "$QCTS" check --vectors "$f" --db "$tmp/direct.db" >"$tmp/.out" 2>"$tmp/.err" || rc=$?
    err=$(cat "$tmp/.err")
    status "--vectors $f" 1
    has_err "--vectors $f" "not a regular file (refused without reading)"
    no_pass "$tmp/direct.db"
done

# Sizes that are not sizes.
for bad in -1 1.5 1e400 9223372036854775807; do
    fresh
    write_manifest "$tmp/s"
    sed "s/\"size\": [0-9]*/\"size\": $bad/" "$tmp/s/MANIFEST.json" >"$tmp/m" && mv "$tmp/m" "$tmp/s/MANIFEST.json"
    run check --vectors "$tmp/s" --db "$tmp/size.db"
    status "size $bad" 1
    has_err "size $bad" "size must be an integer from 0 to"
    no_pass "$tmp/size.db"
done
done_checks
