#!/usr/bin/env python3
"""make test-drift (non-gating): each convention with a Python oracle against
the newest release of its library that PyPI serves.

For each library (ml_dtypes, torch): finds the newest release with
'pip index versions', installs it into a temporary venv (ml_dtypes with the
pinned numpy of requirements.txt; torch without its CUDA packages, through
torch_cpu_env.py), and runs crosscheck_convention.py for every qcts
convention named after the library. Prints the differences; a difference
means upstream changed and a new versioned convention may be due
(ref/README.md, "Conventions and versions"). Exit 0 whatever the
differences; non-zero only when the tool itself fails (no network, ...).
usage: drift.py QCTS [LIB...]
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def newest(lib):
    r = run([sys.executable, "-m", "pip", "index", "versions", lib])
    for line in r.stdout.splitlines():
        if line.startswith("Available versions:"):
            return line.split(":", 1)[1].split(",")[0].strip()
    raise SystemExit(f"drift: 'pip index versions {lib}' failed: {r.stderr.strip()[-300:]}")


def numpy_pin():
    for line in open(os.path.join(HERE, "requirements.txt")):
        if line.startswith("numpy=="):
            return line.split()[0]
    raise SystemExit("drift: requirements.txt pins no numpy")


def conventions(qcts, lib):
    out = run([qcts, "list", "conventions"]).stdout.splitlines()[1:]
    return [l.split()[0] for l in out if l.split() and l.split()[0].startswith(lib)]


def main(argv):
    qcts = os.path.abspath(argv[0])
    libs = argv[1:] or ["ml_dtypes", "torch"]
    for lib in libs:
        v = newest(lib)
        convs = conventions(qcts, lib)
        print(f"== {lib}: newest release on PyPI is {v}; conventions: {', '.join(convs)}", flush=True)
        work = tempfile.mkdtemp(prefix=f"qcts-drift-{lib}.")
        try:
            venv = os.path.join(work, "venv")
            py = os.path.join(venv, "bin", "python")
            if run([sys.executable, "-m", "venv", venv]).returncode:
                raise SystemExit("drift: python -m venv failed")
            if lib == "torch":
                r = run([py, os.path.join(HERE, "torch_cpu_env.py"), v, work])
            else:
                r = run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{lib}=={v}", numpy_pin()])
            if r.returncode:
                raise SystemExit(f"drift: installing {lib}=={v} failed: {(r.stderr or r.stdout).strip()[-400:]}")
            for conv in convs:
                r = run([py, os.path.join(HERE, "crosscheck_convention.py"), qcts, conv, lib, v], cwd=HERE)
                if r.returncode not in (0, 1):
                    raise SystemExit(f"drift: crosscheck of {conv} failed: {(r.stdout + r.stderr).strip()[-400:]}")
                lines = r.stdout.splitlines()
                diff = [l for l in lines if " differs " in l or l.startswith("  ")]
                print(lines[-1] if lines else f"{conv}: no output")
                for l in diff:
                    print("  " + l)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
