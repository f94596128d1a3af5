#!/bin/sh
# Builds the seed corpora of the fuzz targets from the repository's files:
#   safetensors, case_ref  case c000 (and c001) of every golden file, cut out
#                          with `qcts case extract`, plus the container's test
#                          fixtures; files over 64 KiB are left out
#   batch                  each command/format header on the first 256 bytes
#                          of golden tensor data
#   manifest               the MANIFEST.json of the one-suite set the target
#                          verifies (fuzz/manifest-suites)
#   suites, shapes         vectors/suites/*.json, bench/shapes/*.json
#   db_merge               databases written by `qcts check` and `qcts bench`
# Usage: QCTS=build/native/qcts sh fuzz/make-seeds.sh OUT_DIR
set -eu
out=$1
QCTS=${QCTS:-build/native/qcts}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$out"
mkdir -p "$out/safetensors" "$out/case_ref" "$out/batch" "$out/manifest" "$out/suites" \
  "$out/shapes" "$out/db_merge"

max=65536
for f in $(find vectors/golden -name '*.safetensors' | sort); do
    name=$(echo "${f#vectors/golden/}" | tr '/' '_')
    for id in c000 c001; do
        "$QCTS" case extract "$f" $id "$tmp/x.safetensors" >/dev/null 2>&1 || continue
        [ "$(wc -c < "$tmp/x.safetensors")" -le $max ] || continue
        cp "$tmp/x.safetensors" "$out/case_ref/${name%.safetensors}-$id.safetensors"
        cp "$tmp/x.safetensors" "$out/safetensors/${name%.safetensors}-$id.safetensors"
    done
done
cp vectors/tests/fixtures/*.safetensors "$out/safetensors/"

# batch: byte 0 picks the command (bit 0 quant/dequant, bit 1 decode or
# dequant), bytes 1-5 the format/convention/mode or scheme/rows/cols/dtype.
data=vectors/golden/convert/e4m3_ocp.safetensors
i=0
for h in '\000\004\000\000\000\000' '\002\004\000\000\000\000' '\000\001\001\001\000\000' \
         '\002\012\002\000\000\000' '\001\000\001\037\000\000' '\003\000\001\037\000\000' \
         '\001\005\003\177\000\000' '\003\011\000\377\000\002'; do
    { printf "$h"; tail -c 256 "$data"; } > "$out/batch/seed-$i"
    i=$((i + 1))
done

"$QCTS" vectors gen --suites fuzz/manifest-suites --out "$tmp/golden" >/dev/null
cp "$tmp/golden/MANIFEST.json" "$out/manifest/MANIFEST.json"

cp vectors/suites/*.json "$out/suites/"
cp fuzz/manifest-suites/convert.json "$out/suites/fuzz-manifest-suite.json"
cp bench/shapes/*.json "$out/shapes/"

"$QCTS" check --backend ref --vectors "$tmp/golden" --db "$tmp/check.db" >/dev/null 2>&1 || true
"$QCTS" bench --shapes smoke --filter '*toy_dequant*' --min-time 0.001 --quick-roofline \
  --db "$tmp/bench.db" >/dev/null 2>&1 || true
for d in check bench; do
    [ -s "$tmp/$d.db" ] || { echo "fuzz/make-seeds.sh: qcts did not write $d.db" >&2; exit 1; }
    cp "$tmp/$d.db" "$out/db_merge/$d.db"
done
echo "fuzz seeds: $(find "$out" -type f | wc -l) files in $out"
