#!/usr/bin/env python3
"""make crosscheck-torch: the torch convention against torch itself.

For each VERSION: a venv build/torch/venv-VERSION with torch==VERSION from
PyPI (the default linux wheel with the CUDA packages it pins itself; only
its CPU tensor casts are used) and the numpy of tests/python/requirements.txt,
created once (a marker file) and reused offline afterwards. Then
crosscheck_convention.py runs there: every format torch shares with qcts
(f16, bf16, e4m3, e5m2, e8m0 where the release has them), encode and decode,
bit for bit, large tensors (vectorized kernels) and, for the NaN, Inf, zero
and subnormal inputs, one element at a time (the scalar path).
Every torch convention (torch = 2.11, torch_2_15, ...) is compared with
every VERSION; the table shows which convention matches which release.
Exit 1 if the convention that names a release (torch for 2.11.0,
torch_N_M for N.M.x) differs from it.
usage: crosscheck_torch.py QCTS VERSION...
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def numpy_pin():
    for line in open(os.path.join(HERE, "requirements.txt")):
        if line.startswith("numpy=="):
            return line.split()[0]
    raise SystemExit("tests/python/requirements.txt pins no numpy")


def venv_for(version):
    d = os.path.join(ROOT, "build", "torch", f"venv-{version}")
    py = os.path.join(d, "bin", "python")
    mark = os.path.join(d, ".qcts-installed")
    if not os.path.exists(mark):
        print(f"crosscheck-torch: installing torch=={version} into {os.path.relpath(d, ROOT)} "
              f"(PyPI; several GB with its CUDA packages)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", d], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-input",
                        f"torch=={version}", numpy_pin()], check=True)
        open(mark, "w").close()
    return py


def torch_conventions(qcts):
    out = subprocess.run([qcts, "list", "conventions"], capture_output=True, text=True).stdout.splitlines()[1:]
    return [l.split()[0] for l in out if l.split() and l.split()[0].startswith("torch")]


def names(conv, version):
    """Whether conv is the convention that claims this release."""
    mm = "_".join(version.split(".")[:2])
    return conv == f"torch_{mm}" or (conv == "torch" and mm == "2_11")


def main(argv):
    qcts, versions = os.path.abspath(argv[0]), argv[1:]
    rows, worst = [], 0
    convs = torch_conventions(qcts)
    for v in versions:
        py = venv_for(v)
        for conv in convs:
            r = subprocess.run([py, os.path.join(HERE, "crosscheck_convention.py"), qcts, conv, "torch", v],
                               capture_output=True, text=True, cwd=HERE)
            print(r.stdout, end="")
            if r.returncode not in (0, 1):
                print(r.stderr, end="")
                raise SystemExit(f"crosscheck-torch: torch {v}: the check itself failed (exit {r.returncode})")
            for line in r.stdout.splitlines():
                if line[:1] != " " and ":" in line and (" == " in line or " differs " in line):
                    res = "same" if " == " in line else line.split(": ", 2)[2]
                    rows.append((v, conv, line.split(":", 1)[0], res))
            if names(conv, v):
                worst = max(worst, r.returncode)
        r2 = subprocess.run([py, os.path.join(HERE, "torch_scalar_path.py")], capture_output=True,
                            text=True, cwd=HERE)
        print(r2.stdout, end="")
        if r2.returncode not in (0, 1):
            print(r2.stderr, end="")
            raise SystemExit(f"crosscheck-torch: torch {v}: the scalar-path check failed (exit {r2.returncode})")
    print("\ntorch release | convention | format | result")
    for v, conv, f, res in rows:
        print(f"{v} | {conv}{' (names it)' if names(conv, v) else ''} | {f} | {res}")
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
