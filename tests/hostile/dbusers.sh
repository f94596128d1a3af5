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
# Its private arm64 libraries (LD_LIBRARY_PATH=DIR:... in the wrapper) may
# lie where nobody cannot reach them (a clone under /root, mode 0700): they
# are copied to $tmp/u/lib and the copied wrapper points there.
if [ "$(head -c 2 "$QCTS")" = '#!' ]; then
    cp "$(dirname "$QCTS")/qcts" "$tmp/u/qcts"
    libdir=$(sed -n 's/.*LD_LIBRARY_PATH=\([^:" ]*\).*/\1/p' "$QCTS" | head -n 1)
    if [ -n "$libdir" ] && [ -d "$libdir" ]; then
        mkdir -p "$tmp/u/lib"
        cp -RL "$libdir"/. "$tmp/u/lib/"
        chmod -R a+rX "$tmp/u/lib"
        sed "s|LD_LIBRARY_PATH=$libdir|LD_LIBRARY_PATH=$tmp/u/lib|" "$QCTS" >"$tmp/u/qcts-wrapper"
    else
        cp "$QCTS" "$tmp/u/qcts-wrapper"
    fi
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
