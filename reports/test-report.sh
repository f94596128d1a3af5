#!/bin/sh
# make test-report: builds a small results database with the qcts program
# (a check run, a quality batch, two bench runs on the smoke shapes),
# generates status.html, renders it in headless Chromium and checks that
#   - the console shows no error ('Uncaught' or 'ERROR:CONSOLE' in the log),
#   - the screenshot is not blank (PNG decoded with Python's zlib: at least
#     1% of the pixels are not white).
# Chromium is Debian's package: installed by mk/ensure-deps.sh report when
# missing and we are root; otherwise the test prints the commands and is
# skipped (exit 0).
#   QCTS=build/native/qcts sh reports/test-report.sh
set -eu
: "${QCTS:?set QCTS to the qcts binary}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qcts-report.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

browser=
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
    # Installs chromium when root (mk/ensure-deps.sh report); otherwise it
    # prints the commands, and this test is skipped.
    if [ "$(id -u)" = 0 ]; then
        sh mk/ensure-deps.sh report || { echo "test-report: FAIL: chromium could not be installed"; exit 1; }
        browser=chromium
    else
        sh mk/ensure-deps.sh report || true
        echo "test-report: SKIPPED: chromium is not installed and we are not root (then run make test-report again)."
        exit 0
    fi
fi

db=$tmp/r.db
build=${QCTS%/*}
"$QCTS" check --db "$db" --backend "ref,plugin:$build/plugins/broken_ulp.so" --filter 'dequant/int8*' \
    >/dev/null 2>&1 || true
"$QCTS" quality --db "$db" --scheme nvfp4,mxfp4,int4_sym_g128 --rows 64 --cols 512 >/dev/null 2>&1
for i in 1 2; do
    "$QCTS" bench --db "$db" --shapes smoke --min-time 0.02 --min-samples 5 --quick-roofline >/dev/null 2>&1
done
"$QCTS" report --db "$db" --html "$tmp/status.html" >/dev/null
grep -q '<svg' "$tmp/status.html" || { echo "test-report: FAIL: no inline SVG chart"; exit 1; }
if grep -qi '<script' "$tmp/status.html"; then echo "test-report: FAIL: the report has a script"; exit 1; fi
if grep -Eqi '(src|href)="(https?:)?//' "$tmp/status.html"; then
    echo "test-report: FAIL: the report loads something from the network"; exit 1
fi

"$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars --screenshot="$tmp/shot.png" \
    --window-size=1200,2000 --enable-logging=stderr --v=0 "file://$tmp/status.html" >"$tmp/log" 2>&1 || {
    cat "$tmp/log"; echo "test-report: FAIL: $browser exited with an error"; exit 1; }
if grep -E 'Uncaught|ERROR:CONSOLE' "$tmp/log"; then
    echo "test-report: FAIL: console errors while rendering"; exit 1
fi
[ -s "$tmp/shot.png" ] || { cat "$tmp/log"; echo "test-report: FAIL: no screenshot"; exit 1; }
python3 - "$tmp/shot.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, hdr = 8, b'', None
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        hdr = struct.unpack('>IIBBBBB', body)
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = hdr
assert depth == 8 and ctype in (2, 6) and interlace == 0, 'unexpected PNG format %r' % (hdr,)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
nonwhite = 0
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        if line[x] < 240 or line[x + 1] < 240 or line[x + 2] < 240:
            nonwhite += 1
    prev = line
frac = nonwhite / float(w * h)
print('test-report: screenshot %dx%d, %.1f%% of the pixels not white' % (w, h, 100 * frac))
sys.exit(0 if frac > 0.01 else 1)
PY
echo "test-report: passed ($browser rendered the report without console errors; the page is not blank)"
