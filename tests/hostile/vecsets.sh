# vecsets.sh — helpers for the vectors-*.sh hostile cases (sourced after
# lib.sh; not a case itself: its name has no '-'). Builds small vector sets
# from the committed golden files and writes their MANIFEST.json by the rule
# of vectors/README.md, in sh, so a case can make a manifest say anything.

root=$(pwd)
golden=$root/vectors/golden
[ -f "$golden/MANIFEST.json" ] || fail "run from the repository root ($golden/MANIFEST.json is missing)"
case $QCTS in /*) ;; *) QCTS=$root/$QCTS ;; esac

# copy_suites DIR SUITE...: DIR/<suite>.safetensors copied from the golden set.
copy_suites() {
    d=$1
    shift
    for s in "$@"; do
        mkdir -p "$d/${s%/*}"
        cp "$golden/$s.safetensors" "$d/$s.safetensors"
    done
}

# suite_defs DIR SUITE...: suite definitions (as vectors/suites) of only
# these suites, in DIR, for `--suites DIR`: `vectors verify` then computes
# the expected manifest of these suites, not of the whole set (seconds of
# CPU per call, minutes under qemu), and a set of just these files can pass.
suite_defs() {
    d=$1
    shift
    mkdir -p "$d"
    python3 - "$golden/../suites" "$d" "$@" <<'PY' || fail "suite_defs: cannot write the definitions of $*"
import json, sys
src, dst, want = sys.argv[1], sys.argv[2], sys.argv[3:]
groups = {}
for name in want:
    g, s = name.split("/", 1)
    groups.setdefault(g, []).append(s)
for g, names in groups.items():
    with open("%s/%s.json" % (src, g)) as f:
        d = json.load(f)
    d["suites"] = [x for x in d["suites"] if x["name"] in names]
    assert len(d["suites"]) == len(names), (g, names)
    with open("%s/%s.json" % (dst, g), "w") as f:
        json.dump(d, f)
PY
}

# file_sha FILE / file_size FILE
file_sha() { sha256sum "$1" | cut -d' ' -f1; }
file_size() { wc -c <"$1" | tr -d ' '; }

# set_hash DIR: the vector-set hash of every regular *.safetensors below DIR.
set_hash() {
    (cd "$1" && find . -name '*.safetensors' -type f | sed 's|^\./||' | LC_ALL=C sort |
        while read -r rel; do printf '%s  %s\n' "$(file_sha "$rel")" "$rel"; done) | sha256sum | cut -d' ' -f1
}

# write_manifest DIR [EXTRA_ENTRY]: DIR/MANIFEST.json listing every regular
# *.safetensors below DIR (size, sha256) and their set hash; EXTRA_ENTRY is
# JSON text ('"name": {...}') added to "files" as it is.
write_manifest() {
    d=$1
    entries=$( (cd "$d" && find . -name '*.safetensors' -type f | sed 's|^\./||' | LC_ALL=C sort |
        while read -r rel; do
            printf '"%s": {"size": %s, "sha256": "%s"},\n' "$rel" "$(file_size "$rel")" "$(file_sha "$rel")"
        done) | sed '$ s/,$//')
    [ $# -lt 2 ] || entries="$entries${entries:+,}
$2"
    printf '{"vector_set_sha256": "%s",\n "files": {\n%s\n}}\n' "$(set_hash "$d")" "$entries" >"$d/MANIFEST.json"
}

# db_runs DB: runs recorded in DB (0 when DB does not exist).
db_runs() {
    [ -e "$1" ] || { echo 0; return; }
    sqlite3 "$1" "SELECT count(*) FROM run"
}
