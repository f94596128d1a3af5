# dbusers.sh — for the db-*.sh hostile cases (sourced after lib.sh; not a
# case itself). Permissions do not stop root, so a case that needs a file
# qcts cannot write runs qcts as nobody (setpriv) when the tests run as root.
# Everything such a run touches lives under $tmp/u (world-readable), with a
# copy of the qcts binary, so no path above it needs to be readable.

root=$(pwd)
case $QCTS in /*) ;; *) QCTS=$root/$QCTS ;; esac
mkdir -p "$tmp/u"
chmod 755 "$tmp" "$tmp/u"
cp "$QCTS" "$tmp/u/qcts"
# make test-aarch64 passes a wrapper script that runs "$(dirname "$0")/qcts"
# under qemu: copy it under its own name, next to the binary it runs.
if [ "$(head -c 2 "$QCTS")" = '#!' ]; then
    cp "$QCTS" "$tmp/u/qcts-wrapper"
    cp "$(dirname "$QCTS")/qcts" "$tmp/u/qcts"
    chmod 755 "$tmp/u/qcts-wrapper"
fi
chmod 755 "$tmp/u/qcts"
qcts_u=./qcts
[ ! -e "$tmp/u/qcts-wrapper" ] || qcts_u=./qcts-wrapper
cp vectors/golden/convert/e4m3_ocp.safetensors "$tmp/u/case.safetensors"
printf '{"name": "s", "schemes": ["gguf_q8_0"], "shapes": [{"name": "dq", "op": "dequant", "N": 16, "K": 256}]}\n' \
    >"$tmp/u/s.json"
chmod 644 "$tmp/u/case.safetensors" "$tmp/u/s.json"

# as_user ARGS...: like run, as an unprivileged user, in $tmp/u.
as_user() {
    rc=0
    if [ "$(id -u)" = 0 ]; then
        command -v setpriv >/dev/null || fail "running as root without setpriv: cannot test permissions"
        (cd "$tmp/u" && setpriv --reuid=65534 --regid=65534 --clear-groups "$qcts_u" "$@") \
            >"$tmp/.out" 2>"$tmp/.err" || rc=$?
    else
        (cd "$tmp/u" && "$qcts_u" "$@") >"$tmp/.out" 2>"$tmp/.err" || rc=$?
    fi
    out=$(cat "$tmp/.out")
    err=$(cat "$tmp/.err")
}

# writable_by_user DIR: DIR may be written by as_user.
writable_by_user() { chmod 777 "$1"; }
