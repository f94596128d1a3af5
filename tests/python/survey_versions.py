#!/usr/bin/env python3
"""Which releases of an oracle library behave differently, and where.

Installs each release of LIB (ml_dtypes or torch) that PyPI serves into its
own temporary venv, casts one fixed input set (oracle_lib.inputs()) into
every format the release shares with qcts (encode) and decodes every code
(decode), then prints, per release and format, the number of codes that
differ from the previous release that had the format, and from each qcts
convention of that library. A release that cannot be installed on this
Python is listed as such. Not a test: a tool to decide where a convention
needs a new versioned name (ref/README.md, "Conventions and versions").

usage: survey_versions.py LIB QCTS [VERSION...]      (default: every release)
       survey_versions.py --dump LIB INPUTS OUTDIR     (inside a release's venv)
env:   QCTS_SURVEY_DIR  where venvs and downloads go (default: a temp dir, removed)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)



def family(qcts, lib):
    """The qcts conventions that model lib: those whose name starts with it."""
    r = run([qcts, "list", "conventions"])
    return [l.split()[0] for l in r.stdout.splitlines() if l.split() and l.split()[0].startswith(lib)]


def dump(lib, inputs_path, outdir):
    import numpy as np
    import oracle_lib as ol
    types, version, enc, dec = ol.ORACLES[lib]
    x = np.fromfile(inputs_path, dtype="<f4")
    fmts = sorted(types())
    for fmt in fmts:
        enc(fmt, x).tofile(os.path.join(outdir, f"enc_{fmt}.bin"))
        dec(fmt, ol.all_codes(fmt)).astype("<f4").tofile(os.path.join(outdir, f"dec_{fmt}.bin"))
    with open(os.path.join(outdir, "info.json"), "w") as f:
        json.dump({"version": version(), "numpy": np.__version__, "formats": fmts}, f)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def pypi_versions(lib):
    r = run([sys.executable, "-m", "pip", "index", "versions", lib])
    for line in r.stdout.splitlines():
        if line.startswith("Available versions:"):
            return [v.strip() for v in line.split(":", 1)[1].split(",")][::-1]
    raise SystemExit(f"pip index versions {lib} failed: {r.stderr.strip()}")


def install(lib, version, venv, work):
    """Returns None on success, else the reason (last line of pip's error)."""
    r = run([sys.executable, "-m", "venv", venv])
    if r.returncode:
        return f"venv: {r.stderr.strip()}"
    pip = [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if lib == "torch":
        # The PyPI wheel links CUDA libraries at import; torch_cpu_env.py
        # installs the wheel without its CUDA packages and stands in for them.
        r = run([os.path.join(venv, "bin", "python"), os.path.join(HERE, "torch_cpu_env.py"), version, work])
    else:
        r = run(pip + [f"{lib}=={version}"])
    if r.returncode:
        lines = [l for l in (r.stderr + r.stdout).strip().splitlines() if l.strip()]
        return lines[-1] if lines else f"exit {r.returncode}"
    return None


def dump_in(venv, lib, inputs_path, out):
    r = run([os.path.join(venv, "bin", "python"), os.path.abspath(__file__), "--dump", lib, inputs_path, out])
    return None if r.returncode == 0 else (r.stderr.strip().splitlines() or ["?"])[-1]


def qcts_codes(qcts, conv, fmt, x, codes, tmp):
    import oracle_lib as ol
    return ol.qcts_encode(qcts, fmt, conv, x, tmp), ol.qcts_decode(qcts, fmt, conv, codes, tmp)


def main(argv):
    if argv[:1] == ["--dump"]:
        dump(*argv[1:4])
        return 0
    import numpy as np
    import oracle_lib as ol
    lib, qcts = argv[0], argv[1]
    versions = argv[2:] or pypi_versions(lib)
    base = os.environ.get("QCTS_SURVEY_DIR") or tempfile.mkdtemp(prefix=f"qcts-survey-{lib}.")
    os.makedirs(base, exist_ok=True)
    x = ol.inputs()
    inputs_path = os.path.join(base, "inputs.f32")
    x.astype("<f4").tofile(inputs_path)
    mine = {}
    FAMILY = {lib: family(qcts, lib)}
    print(f"survey of {lib}: {len(versions)} releases, {len(x)} inputs per format; qcts conventions "
          f"{', '.join(FAMILY[lib])}")
    prev = {}
    rows = []
    try:
        for v in versions:
            venv = os.path.join(base, f"venv-{v}")
            out = os.path.join(base, f"out-{v}")
            os.makedirs(out, exist_ok=True)
            why = install(lib, v, venv, base)
            if why is None:
                why = dump_in(venv, lib, inputs_path, out)
                # releases built against numpy 1.x fail to import with 2.x
                if why is not None and run([os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q",
                                            "numpy==1.26.4"]).returncode == 0:
                    why = dump_in(venv, lib, inputs_path, out) and why
            shutil.rmtree(venv, ignore_errors=True)
            if why:
                print(f"{lib} {v}: not usable on Python {sys.version.split()[0]}: {why}", flush=True)
                rows.append((v, "-", "not installable: " + why[:100]))
                continue
            info = json.load(open(os.path.join(out, "info.json")))
            parts = []
            for fmt in info["formats"]:
                enc = np.fromfile(os.path.join(out, f"enc_{fmt}.bin"), dtype=ol.code_dtype(fmt))
                dec = np.fromfile(os.path.join(out, f"dec_{fmt}.bin"), dtype="<f4")
                codes = ol.all_codes(fmt)
                d = []
                if fmt in prev:
                    pv, penc, pdec = prev[fmt]
                    ne = int((enc != penc).sum())
                    nd, _ = ol.compare_decode(codes, dec, pdec)
                    if ne or nd:
                        d.append(f"CHANGED since {pv}: {ne} encodes, {nd} decodes")
                prev[fmt] = (v, enc, dec)
                for conv in FAMILY[lib]:
                    key = (conv, fmt)
                    if key not in mine:
                        with tempfile.TemporaryDirectory() as t:
                            mine[key] = qcts_codes(qcts, conv, fmt, x, codes, t)
                    qe, qd = mine[key]
                    ne, ex = ol.compare(x, qe, enc, limit=2)
                    nd, _ = ol.compare_decode(codes, qd, dec)
                    d.append(f"{conv}: {'same' if not (ne or nd) else f'{ne} enc / {nd} dec differ'}"
                             + (f" (e.g. {ex[0]})" if ex and conv == FAMILY[lib][-1] else ""))
                parts.append(f"  {fmt}: " + "; ".join(d))
            print(f"{lib} {v} (numpy {info['numpy']}):", flush=True)
            print("\n".join(parts), flush=True)
            shutil.rmtree(out, ignore_errors=True)
    finally:
        if not os.environ.get("QCTS_SURVEY_DIR"):
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
