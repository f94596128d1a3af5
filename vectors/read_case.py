#!/usr/bin/env python3
"""Reads qcts golden-vector files with the Python standard library alone
(vectors/README.md, vectors/CASES.md).
  python3 vectors/read_case.py FILE.safetensors   lists the cases and tensors
  python3 vectors/read_case.py --check DIR        checks DIR/MANIFEST.json:
      every file's size and SHA-256, every exact output's SHA-256, the set hash
  python3 vectors/read_case.py --help             this text
Exit status 0 when everything matches, 1 otherwise (a file that cannot be
read or parsed included), 2 for a usage error. With numpy, safetensors and
ml_dtypes, vectors/load_golden.py gives the tensors as arrays."""
import hashlib, json, os, struct, sys

def load(path):  # -> (metadata, {name: (dtype, shape, bytes)})
    buf = open(path, "rb").read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    meta, data = header.pop("__metadata__", {}), buf[8 + n:]
    return meta, {k: (t["dtype"], t["shape"], data[t["data_offsets"][0]:t["data_offsets"][1]])
                  for k, t in header.items()}

def check(root):
    man, bad = json.load(open(os.path.join(root, "MANIFEST.json"))), 0
    lines = ""
    for rel, ent in sorted(man["files"].items()):
        raw = open(os.path.join(root, rel), "rb").read()
        sha = hashlib.sha256(raw).hexdigest()
        lines += "%s  %s\n" % (sha, rel)
        bad += len(raw) != ent["size"] or sha != ent["sha256"]
        tensors = load(os.path.join(root, rel))[1]
        for name, want in ent["exact_outputs"].items():
            bad += name not in tensors or hashlib.sha256(tensors[name][2]).hexdigest() != want
    # generated suites (vectors/README.md): no file to read here; their hash
    # lines count in the set hash, and qcts check regenerates and verifies them
    gen = man.get("generated", {})
    entries = sorted([l for l in lines.splitlines()] +
                     ["%s  %s" % (ent["sha256"], rel) for rel, ent in gen.items()], key=lambda l: l[66:])
    lines = "".join(l + "\n" for l in entries)
    bad += hashlib.sha256(lines.encode()).hexdigest() != man["vector_set_sha256"]
    print("%s: %d files%s, %s" % (root, len(man["files"]),
          " (+%d generated, verified by qcts check)" % len(gen) if gen else "",
          "OK" if not bad else "%d MISMATCHES" % bad))
    return bad == 0

def show(path):
    meta, tensors = load(path)
    print("%s: %s, op %s" % (path, meta["qcts.suite"], meta["qcts.op"]))
    for c in json.loads(meta["qcts.cases"]):
        print("%s %s %s [%s] %s" % (c["id"], c["check"], c["dist"], " ".join(c["flags"]), json.dumps(c["params"])))
        for name, (dtype, shape, raw) in sorted(tensors.items()):
            if name.startswith(c["id"] + "/"):
                print("    %-16s %-5s %s" % (name[len(c["id"]) + 1:], dtype, shape))
    return True

def main(args):
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if not args or (args[0] == "--check" and len(args) != 2) or (args[0].startswith("-") and args[0] != "--check"):
        print("usage: read_case.py FILE.safetensors... | --check DIR | --help", file=sys.stderr)
        return 2
    try:
        return 0 if (check(args[1]) if args[0] == "--check" else all([show(p) for p in args])) else 1
    except (OSError, ValueError, KeyError, struct.error) as e:   # json errors are ValueErrors
        print("read_case.py: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1

if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:   # e.g. piped into head
        sys.exit(0)
