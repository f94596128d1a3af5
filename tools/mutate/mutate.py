#!/usr/bin/env python3
"""qcts mutation testing: how many injected single-point faults does a test
command catch?  (`make mutate`, README.md "Mutation testing".)

For a random sample (seed printed; --seed repeats it) of the mutation sites
in the given C sources, each mutant is built in a private copy of the
repository (build/mutate/tree: nothing in the working tree is touched),
then the test command runs with a timeout. Each mutant is one of

  killed       the build succeeded and the test command failed (or crashed)
  survived     the test command passed: a blind spot, unless equivalent
  equivalent   the object code (every non-debug section and the
               disassembly with relocations of every object the mutated file
               builds into) is byte-identical to the original: no test can
               kill it (likely equivalent; listed, not counted)
  build_error  the mutant does not compile (-Werror): not counted
  timeout      the test command ran past --timeout: counted as killed
               (a hang is caught by CI), listed separately

Kill rate = (killed + timeout) / (killed + timeout + survived).

Staged test (--fast-test): the test command runs in two stages. First a
fast one, e.g. `qcts check --filter GLOB` on only the suites whose ops the
mutated file implements (--fast-filter FILEGLOB=GLOB picks GLOB per file);
a mutant it kills is killed (a case that fails on a subset of the golden
set fails on the whole set too: the verdict of a case does not depend on
the other cases). Only the mutants that pass it run the whole --test, so
every verdict is the one --test alone would give, at a fraction of the time
(most mutants die in the first stage).

Mutation operators (one change at one place of one line):
  arith     binary + <-> -, * <-> / (spaced), << <-> >>, & <-> |, ^ -> |
  compare   < <-> <=, > <-> >=, == <-> !=
  logic     && <-> ||
  assign    += <-> -=, ++ <-> --, |= -> ^=
  const     an integer literal +1 or -1 (also strides, masks, shifts)
  delete    a whole expression statement (assignment, call, compound op)
  intrin    AVX2 intrinsic swaps: add <-> sub, min <-> max, fmadd <-> fmsub,
            slli <-> srli, and <-> or, cvtps_ph rounding mode, blendv operands

Uses only the Python standard library (no pip).
"""
import argparse
import fnmatch
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

INTRIN_SWAPS = [
    ("_add_", "_sub_"), ("_sub_", "_add_"), ("_min_", "_max_"), ("_max_", "_min_"),
    ("_fmadd_", "_fmsub_"), ("_fmsub_", "_fmadd_"), ("_fnmadd_", "_fmadd_"),
    ("_slli_", "_srli_"), ("_srli_", "_slli_"), ("_srai_", "_srli_"),
    ("_and_", "_or_"), ("_or_", "_and_"), ("_andnot_", "_and_"), ("_xor_", "_or_"),
    ("_cmpgt_", "_cmpeq_"), ("_cmpeq_", "_cmpgt_"),
    ("_mm256_set1_ps(0.5f)", "_mm256_set1_ps(0.25f)"),
]

ARITH = [(" + ", " - "), (" - ", " + "), (" * ", " / "), (" / ", " * "), (" << ", " >> "),
         (" >> ", " << "), (" & ", " | "), (" | ", " & "), (" ^ ", " | ")]
COMPARE = [(" < ", " <= "), (" <= ", " < "), (" > ", " >= "), (" >= ", " > "), (" == ", " != "),
           (" != ", " == ")]
LOGIC = [(" && ", " || "), (" || ", " && ")]
ASSIGN = [(" += ", " -= "), (" -= ", " += "), ("++", "--"), ("--", "++"), (" |= ", " ^= ")]

INT_RE = re.compile(r"(?<![\w.])(0[xX][0-9a-fA-F]+|\d+)([uUlL]*)(?![\w.])")
STMT_RE = re.compile(r"^\s*(?!return\b|if\b|for\b|while\b|else\b|case\b|default\b|break\b|continue\b|goto\b)"
                     r"[^;{}]*(=|\+\+|--|\w\s*\()[^;{}]*;\s*(//.*)?$")
DECL_RE = re.compile(r"^\s*(const\s+)?(static\s+)?(const\s+)?(unsigned\s+|signed\s+)?"
                     r"(int|float|double|char|size_t|u?int\d+_t|__m\d+\w*|qcts_\w+|qref_\w+|long|short|void|uint|"
                     r"struct\s+\w+)\b")


def strip_code(line, in_comment):
    """The line with comments and string/char literals blanked (same length),
    and whether a block comment is still open at its end."""
    out = []
    i, n = 0, len(line)
    while i < n:
        if in_comment:
            j = line.find("*/", i)
            if j < 0:
                out.append(" " * (n - i))
                i = n
            else:
                out.append(" " * (j + 2 - i))
                i = j + 2
                in_comment = False
            continue
        c = line[i]
        if line.startswith("/*", i):
            in_comment = True
            continue
        if line.startswith("//", i):
            out.append(" " * (n - i))
            break
        if c in "\"'":
            j = i + 1
            while j < n and line[j] != c:
                j += 2 if line[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)[:n], in_comment


def sites(path):
    """Every mutation site of a file: (line index, column, old, new, operator)."""
    res = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    in_comment = False
    for li, raw in enumerate(lines):
        code, in_comment = strip_code(raw, in_comment)
        s = code.strip()
        if not s or s.startswith("#") or "static_assert" in s or "_Static_assert" in s:
            continue
        for table, op in ((ARITH, "arith"), (COMPARE, "compare"), (LOGIC, "logic"), (ASSIGN, "assign")):
            for old, new in table:
                start = 0
                while True:
                    k = code.find(old, start)
                    if k < 0:
                        break
                    start = k + 1
                    if op == "compare" and old in (" < ", " > ") and (code[k:k + 3] in (" <=", " >=")):
                        continue
                    if op == "assign" and old in ("++", "--") and code[k:k + 3] in ("+++", "---"):
                        continue
                    if op == "arith" and old == " * " and re.search(r"\w\s\*\s\w+\s*[=,;)]", code[max(0, k - 1):k + 40]) \
                            and DECL_RE.match(code):
                        continue   # a pointer declaration, not a product
                    res.append((li, k, old, new, op))
        for m in INT_RE.finditer(code):
            text, suf = m.group(1), m.group(2)
            if code[:m.start()].rstrip().endswith("[") and DECL_RE.match(code):
                continue   # an array size in a declaration: build errors only
            v = int(text, 16) if text.lower().startswith("0x") else int(text)
            for d in (1, -1):
                if v + d < 0:
                    continue
                nt = (hex(v + d) if text.lower().startswith("0x") else str(v + d)) + suf
                res.append((li, m.start(), text + suf, nt, "const"))
        for old, new in INTRIN_SWAPS:
            start = 0
            while True:
                k = code.find(old, start)
                if k < 0:
                    break
                start = k + 1
                if "_mm" in code[max(0, k - 16):k + 1] or old.startswith("_mm"):
                    res.append((li, k, old, new, "intrin"))
        if STMT_RE.match(code) and not DECL_RE.match(code) and code.rstrip().endswith(";"):
            body = raw.strip()
            res.append((li, 0, body, ";", "delete"))
    return res, lines


def apply(lines, site):
    li, col, old, new, op = site
    out = list(lines)
    line = out[li]
    if op == "delete":
        ind = line[:len(line) - len(line.lstrip())]
        out[li] = ind + "; /* mutant: deleted */"
    else:
        assert line[col:col + len(old)] == old, (line, col, old)
        out[li] = line[:col] + new + line[col + len(old):]
    return out


def run(cmd, cwd, timeout=None, env=None):
    """(exit status or None on timeout, output, seconds). The command runs in
    a process group of its own, killed whole on timeout (a hung mutant must
    not keep running)."""
    t0 = time.time()
    p = subprocess.Popen(cmd, cwd=cwd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out.decode("utf-8", "replace"), time.time() - t0
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        out, _ = p.communicate()
        return None, out.decode("utf-8", "replace"), time.time() - t0


OBJDUMP = "objdump"


def objects_hash(tree, build, rel_objs):
    """Hash of the code of the objects: non-debug sections' contents and the
    disassembly with relocations (file names and debug info left out)."""
    h = hashlib.sha256()
    for rel in rel_objs:
        p = os.path.join(tree, build, "obj", rel)
        if not os.path.exists(p):
            h.update(b"missing " + rel.encode())
            continue
        rc, out, _ = run("%s -dr --no-show-raw-insn %s" % (OBJDUMP, shlex.quote(p)), tree)
        h.update("\n".join(out.split("\n")[2:]).encode())
        rc, hdr, _ = run("%s -h %s" % (OBJDUMP, shlex.quote(p)), tree)
        secs = [ln.split()[1] for ln in hdr.split("\n") if re.match(r"^\s*\d+\s+\S", ln)]
        secs = [s for s in secs if not s.startswith((".debug", ".comment", ".note", ".text", ".rela"))]
        if secs:
            rc, out, _ = run("%s -s %s %s" % (OBJDUMP, " ".join("-j " + shlex.quote(s) for s in secs), shlex.quote(p)), tree)
            h.update("\n".join(out.split("\n")[2:]).encode())
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", nargs="+", required=True,
                    help="C files or folders (their *.c, *.h and *.inc) to mutate, relative to the repository root")
    ap.add_argument("--test", required=True,
                    help="shell command run in the tree after each build; exit 0 = the mutant survived "
                         "(e.g. 'build/native/qcts check --backend avx2 --no-db')")
    ap.add_argument("--target", default="build/native/qcts",
                    help="make target(s) to rebuild per mutant (default build/native/qcts)")
    ap.add_argument("--objects", nargs="*", default=None,
                    help="object folders (under BUILD/obj), or built files (a plugin's .so, relative to the "
                         "repository root), whose code decides equivalence (default: the folders of the sources)")
    ap.add_argument("--build-cmd", default=None,
                    help="shell command that rebuilds after a mutation (default: make -s TARGET)")
    ap.add_argument("--sample", type=int, default=200, help="mutants to try (default 200)")
    ap.add_argument("--seed", type=int, default=None, help="sample seed (default: random, printed)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds the test command may take per mutant")
    ap.add_argument("--jobs", default="2", help="make -j for the first build")
    ap.add_argument("--workdir", default="build/mutate", help="where the private copy lives (default build/mutate)")
    ap.add_argument("--json", default=None, help="also write every mutant's result as JSON here")
    ap.add_argument("--build", default="build/native", help="BUILD folder inside the tree (default build/native)")
    ap.add_argument("--asan-test", default=None,
                    help="for a mutant that survives --test: rebuild with SANITIZE=address,undefined and run this "
                         "command (BUILD is the sanitizer build); a failure makes it killed_asan (what the ASan "
                         "CI run catches: overflows that change no output)")
    ap.add_argument("--fast-test", default=None,
                    help="a first, faster test command (a subset of --test: it must fail only where --test "
                         "fails); {filter} in it is replaced by the --fast-filter of the mutated file. A mutant "
                         "it kills is killed; the others run --test")
    ap.add_argument("--fast-filter", action="append", default=[], metavar="FILEGLOB=FILTER",
                    help="for a mutated file matching FILEGLOB (fnmatch, relative path), {filter} of --fast-test "
                         "is FILTER (the first match wins; F1|F2 runs the fast test once per filter, all must "
                         "pass); a file without a match skips the fast stage when --fast-test has {filter}. "
                         "Repeatable")
    ap.add_argument("--objdump", default="objdump",
                    help="objdump of the target (aarch64-linux-gnu-objdump for a cross build)")
    ap.add_argument("--replay", default=None,
                    help="a --json file of an earlier run: try its mutants again instead of a new sample")
    ap.add_argument("--replay-verdict", default="survived",
                    help="with --replay, only the mutants with this verdict (default survived; 'all' for every one)")
    a = ap.parse_args()
    global OBJDUMP
    OBJDUMP = a.objdump
    fast_filters = []
    for ff in a.fast_filter:
        if "=" not in ff:
            sys.exit("mutate: --fast-filter %s: expected FILEGLOB=FILTER" % ff)
        fast_filters.append(tuple(ff.split("=", 1)))

    def fast_cmd(rel):
        """The first-stage command for a mutant of rel, or None."""
        if not a.fast_test:
            return None
        if "{filter}" not in a.fast_test:
            return a.fast_test
        for g, flt in fast_filters:
            if fnmatch.fnmatch(rel, g):   # FILTER1|FILTER2: one run each, all must pass
                return " && ".join(a.fast_test.replace("{filter}", shlex.quote(f)) for f in flt.split("|"))
        return None

    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 32)
    print("mutate: seed %d (repeat with --seed %d)" % (seed, seed), flush=True)
    work = os.path.join(ROOT, a.workdir)
    tree = os.path.join(work, "tree")
    os.makedirs(tree, exist_ok=True)
    # The private copy: tracked and untracked-but-not-ignored files, copied
    # when changed (the copy keeps its build folder, so later runs rebuild
    # only what changed).
    rc, files, _ = run("git ls-files -co --exclude-standard -z", ROOT)
    if rc != 0:
        sys.exit("mutate: git ls-files failed: %s" % files)
    for rel in sorted(set(x for x in files.split("\0") if x)):
        src, dst = os.path.join(ROOT, rel), os.path.join(tree, rel)
        if not os.path.isfile(src) or os.path.islink(src):
            continue
        try:
            if os.path.getsize(dst) == os.path.getsize(src):
                with open(src, "rb") as f1, open(dst, "rb") as f2:
                    if f1.read() == f2.read():
                        continue
        except OSError:
            pass
        # a new mtime: make rebuilds from it even if an interrupted run left
        # a newer mutated object behind
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(src, dst)

    srcs, ranges = [], {}
    for s in a.sources:
        m = re.match(r"^(.*):(\d+)-(\d+)$", s)
        if m:   # FILE:A-B: only lines A..B of FILE
            s = m.group(1)
            ranges[s] = (int(m.group(2)), int(m.group(3)))
        p = os.path.join(tree, s)
        if os.path.isdir(p):
            for dp, _, fn in os.walk(p):
                srcs += [os.path.relpath(os.path.join(dp, x), tree) for x in sorted(fn) if x.endswith((".c", ".h", ".inc"))]
        elif os.path.isfile(p):
            srcs.append(s)
        else:
            sys.exit("mutate: %s: no such file or folder (relative to %s)" % (s, ROOT))
    srcs = sorted(set(srcs))
    obj_dirs = a.objects if a.objects is not None else sorted({os.path.dirname(s) for s in srcs})

    def objs():
        res = []
        for d in obj_dirs:
            if os.path.isfile(os.path.join(tree, d)):
                res.append(os.path.join("..", "..", "..", d))   # a built file, relative to BUILD/obj
                continue
            base = os.path.join(tree, a.build, "obj", d)
            for dp, _, fn in os.walk(base):
                res += [os.path.relpath(os.path.join(dp, x), os.path.join(tree, a.build, "obj"))
                        for x in fn if x.endswith(".o")]
        return sorted(res)

    make = "nice -n 10 make -s"
    rebuild = "nice -n 10 " + a.build_cmd if a.build_cmd else "%s %s" % (make, a.target)
    print("mutate: building the copy in %s" % os.path.relpath(tree, ROOT), flush=True)
    rc, out, _ = run(("nice -n 10 " + a.build_cmd) if a.build_cmd else "%s -j%s %s" % (make, a.jobs, a.target), tree)
    if rc != 0:
        sys.exit("mutate: the unmutated tree does not build:\n" + out[-3000:])
    rc, out, secs = run("nice -n 10 sh -c %s" % shlex.quote(a.test), tree, a.timeout)
    if rc != 0:
        sys.exit("mutate: the test command fails without any mutant (rc %s):\n%s" % (rc, out[-3000:]))
    # Every first-stage command must pass too (a --filter that matches
    # nothing fails, and would "kill" every mutant of its files).
    for fc in sorted({fast_cmd(x) for x in srcs} - {None}):
        rc, out, fsecs = run("nice -n 10 sh -c %s" % shlex.quote(fc), tree, a.timeout)
        if rc != 0:
            sys.exit("mutate: the fast test fails without any mutant (rc %s): %s\n%s" % (rc, fc, out[-3000:]))
        print("mutate: fast stage passes unmutated (%.1f s): %s" % (fsecs, fc), flush=True)
    base_hash = objects_hash(tree, a.build, objs())
    # The unmutated objects: written back after each mutant (with a new
    # mtime, so make re-archives and relinks without recompiling).
    snapshot = {}
    for rel in objs():
        with open(os.path.join(tree, a.build, "obj", rel), "rb") as f:
            snapshot[rel] = f.read()
    print("mutate: the unmutated tree passes (%.1f s)" % secs, flush=True)

    allsites = []
    for s in srcs:
        ss, _ = sites(os.path.join(tree, s))
        lo, hi = ranges.get(s, (1, 1 << 30))
        allsites += [(s,) + x for x in ss if lo <= x[0] + 1 <= hi]
    rng = random.Random(seed)
    if a.replay:
        with open(a.replay) as f:
            prev = json.load(f)
        pick = []
        for m in prev["mutants"]:
            if a.replay_verdict != "all" and m["verdict"] != a.replay_verdict:
                continue
            col = m.get("col")
            if col is None:   # older files: the first matching site of that line
                col = next((x[1] for x in allsites if x[0] == m["file"] and x[1] == m["line"] - 1
                            and x[3] == m["old"] and x[4] == m["new"]), None)
                col = next((x[2] for x in allsites if x[0] == m["file"] and x[1] == m["line"] - 1
                            and x[3] == m["old"] and x[4] == m["new"] and x[5] == m["op"]), None)
            if col is not None:
                pick.append((m["file"], m["line"] - 1, col, m["old"], m["new"], m["op"]))
    else:
        pick = rng.sample(allsites, min(a.sample, len(allsites)))
    print("mutate: %d sites in %d files; trying %d" % (len(allsites), len(srcs), len(pick)), flush=True)

    results = []
    counts = {"killed": 0, "killed_asan": 0, "survived": 0, "equivalent": 0, "build_error": 0, "timeout": 0}
    san_build = "build/native-san-address-undefined"
    if a.asan_test:
        print("mutate: building the sanitizer build of the copy (%s)" % san_build, flush=True)
        rc, out, _ = run("%s -j%s SANITIZE=address,undefined %s" % (make, a.jobs, a.target.replace(a.build, san_build)),
                         tree)
        if rc != 0:
            sys.exit("mutate: the sanitizer build fails:\n" + out[-3000:])
        rc, out, _ = run("BUILD=%s; export BUILD; %s" % (san_build, a.asan_test), tree, a.timeout * 4)
        if rc != 0:
            sys.exit("mutate: --asan-test fails without any mutant (rc %s):\n%s" % (rc, out[-3000:]))
    def write_json(rate, rate_asan, complete):
        """The results so far (after every mutant: an interrupted run keeps
        the first mutants of its random sample, itself a random sample)."""
        if not a.json:
            return
        tmp = a.json + ".tmp"
        # a tree that was never built has no BUILD folder (the mutants are
        # built in the private copy): the report must not be lost for it
        os.makedirs(os.path.dirname(a.json) or ".", exist_ok=True)
        with open(tmp, "w") as f:
            json.dump({"seed": seed, "sources": srcs, "test": a.test, "fast_test": a.fast_test,
                       "complete": complete, "sample": len(pick), "counts": counts, "kill_rate": rate,
                       "kill_rate_asan": rate_asan, "mutants": results}, f, indent=1)
        os.replace(tmp, a.json)

    t_start = time.time()
    for i, (rel, li, col, old, new, op) in enumerate(pick):
        path = os.path.join(tree, rel)
        with open(path, encoding="utf-8") as f:
            orig = f.read()
        st = os.stat(path)
        lines = orig.split("\n")
        mutated = apply(lines, (li, col, old, new, op))
        stage = "-"
        desc = "%s:%d: %s: %s" % (rel, li + 1, op, "deleted '%s'" % old if op == "delete" else
                                    "'%s' -> '%s'" % (old.strip(), new.strip()))
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(mutated))
            rc, out, _ = run(rebuild, tree)
            if rc != 0:
                verdict = "build_error"
            elif objects_hash(tree, a.build, objs()) == base_hash:
                verdict = "equivalent"
            else:
                rc, fc = 0, fast_cmd(rel)
                if fc:
                    rc, out, secs = run("nice -n 10 sh -c %s" % shlex.quote(fc), tree, a.timeout)
                    stage = "fast"
                if rc == 0:
                    rc, out, secs = run("nice -n 10 sh -c %s" % shlex.quote(a.test), tree, a.timeout)
                    stage = "full"
                verdict = "timeout" if rc is None else "survived" if rc == 0 else "killed"
                if verdict == "survived" and a.asan_test:
                    rc, out, _ = run("%s SANITIZE=address,undefined %s" % (make, a.target.replace(a.build, san_build)),
                                     tree)
                    if rc == 0:
                        rc, out, _ = run("BUILD=%s; export BUILD; %s" % (san_build, a.asan_test), tree, a.timeout * 4)
                        if rc != 0:
                            verdict = "killed_asan"
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(orig)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
            if a.asan_test:   # the sanitizer build must recompile it next time
                os.utime(path, None)
            for orel, data in snapshot.items():
                op_ = os.path.join(tree, a.build, "obj", orel)
                try:
                    with open(op_, "rb") as f:
                        same = f.read() == data
                except OSError:
                    same = False
                if not same:
                    with open(op_, "wb") as f:
                        f.write(data)
        counts[verdict] += 1
        results.append({"file": rel, "line": li + 1, "col": col, "op": op, "old": old, "new": new, "verdict": verdict,
                        "stage": stage, "text": lines[li].strip()})
        print("[%d/%d] %-11s %-4s %s" % (i + 1, len(pick), verdict, stage, desc), flush=True)
        write_json(None, None, False)
    # Leave the copy unmutated and built.
    run(rebuild, tree)

    counted = counts["killed"] + counts["killed_asan"] + counts["timeout"] + counts["survived"]
    rate = 100.0 * (counts["killed"] + counts["timeout"]) / counted if counted else 0.0
    rate_asan = 100.0 * (counts["killed"] + counts["killed_asan"] + counts["timeout"]) / counted if counted else 0.0
    print()
    print("mutate: seed %d, %d mutants in %.0f s: killed %d, killed only under ASan %d, timeout %d, survived %d, "
          "equivalent %d, build errors %d" % (seed, len(pick), time.time() - t_start, counts["killed"],
                                              counts["killed_asan"], counts["timeout"], counts["survived"],
                                              counts["equivalent"], counts["build_error"]))
    print("mutate: kill rate %.1f%% of %d non-equivalent mutants by the test command (killed + timeout) / "
          "(killed + killed_asan + timeout + survived)" % (rate, counted))
    if a.asan_test:
        print("mutate: kill rate %.1f%% with the ASan rerun of the survivors" % rate_asan)
    for r in results:
        if r["verdict"] == "survived":
            print("  SURVIVED %s:%d: %s: '%s' -> '%s'   | %s" % (r["file"], r["line"], r["op"], r["old"].strip(),
                                                                 r["new"].strip(), r["text"]))
    write_json(rate, rate_asan, True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
