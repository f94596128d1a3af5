#!/bin/sh
# A throwaway PostgreSQL cluster for the tests, in a temporary folder, on a
# Unix socket only (no TCP port, so parallel runs never collide):
#   sh mk/pg-cluster.sh start DIR   -> prints the URL (postgresql:///qcts?host=DIR/sock)
#   sh mk/pg-cluster.sh stop DIR    -> stops it (immediate) and removes DIR
# initdb refuses to run as root: as root it runs as the 'postgres' user the
# Debian package creates (DIR is handed to it). Exit 77 when the server
# programs are missing (mk/ensure-deps.sh installs them).
set -eu
cmd=${1:?start|stop}
dir=${2:?DIR}
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && PATH=$PATH:$d; done
command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 || {
    echo "pg-cluster: initdb/pg_ctl not found (the postgresql package)" >&2; exit 77; }
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
case $cmd in
start)
    mkdir -p "$dir/sock"
    # as root the server runs as postgres: it must reach DIR (its parent must
    # be traversable, as /tmp is)
    [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
    as_owner initdb -D "$dir/data" -A trust -U qcts --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2; exit 1; }
    as_owner pg_ctl -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -k $dir/sock -c fsync=off -c max_connections=40" start >/dev/null || {
        cat "$dir/server.log" >&2; exit 1; }
    as_owner createdb -h "$dir/sock" -U qcts qcts
    echo "postgresql:///qcts?host=$dir/sock&user=qcts"
    ;;
stop)
    [ -d "$dir/data" ] && as_owner pg_ctl -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*) echo "pg-cluster: start|stop" >&2; exit 2 ;;
esac
