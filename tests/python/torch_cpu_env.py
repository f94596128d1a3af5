#!/usr/bin/env python3
"""Installs one torch release from PyPI into the running venv, for CPU casts
only, without its CUDA packages (gigabytes the casts never touch).

The PyPI wheel for linux x86_64 links libtorch against CUDA libraries
(libcudart, libcublas, libcudnn, ...), so 'import torch' fails without them.
This script installs the wheel with --no-deps, plus numpy and the pure-Python
packages 'import torch' needs, then builds, for every CUDA library the wheel's
shared objects name but that is not present, a stand-in shared object with
that soname, the symbol versions asked for and every symbol imported from it
(each a function that aborts if it is ever called, except the CUDA
runtime's fat-binary registration run by static constructors, a no-op).
CPU tensor casts never
call into CUDA; if anything did, the process would abort instead of giving a
result. Needs gcc.
usage: python torch_cpu_env.py VERSION WORKDIR
"""
import glob
import os
import re
import subprocess
import sys
import sysconfig

PURE_DEPS = ["numpy", "typing_extensions", "filelock", "sympy", "networkx", "jinja2", "fsspec"]


def sh(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"{' '.join(cmd)}: exit {r.returncode}: {(r.stderr or r.stdout).strip()[-400:]}")
    return r.stdout


def main(version, work):
    dl = os.path.join(work, "wheels")
    os.makedirs(dl, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    wheels = glob.glob(os.path.join(dl, f"torch-{version}-*.whl"))
    if not wheels:
        sh(pip + ["download", "-q", "--no-deps", "-d", dl, f"torch=={version}"])
        wheels = glob.glob(os.path.join(dl, f"torch-{version}-*.whl"))
    sh(pip + ["install", "-q", "--no-deps", wheels[0]])
    sh(pip + ["install", "-q"] + PURE_DEPS)
    lib = os.path.join(sysconfig.get_paths()["purelib"], "torch", "lib")
    objs = glob.glob(os.path.join(lib, "*.so*"))
    present = {os.path.basename(p) for p in objs}
    needed, versions, symbols = set(), {}, {}
    for o in objs:
        for m in re.finditer(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", sh(["readelf", "-d", o])):
            needed.add(m.group(1))
    system = set()
    for n in needed:
        if n in present:
            continue
        r = subprocess.run(["gcc", "-print-file-name=" + n], capture_output=True, text=True)
        if os.path.sep in r.stdout.strip() or os.path.exists(f"/lib/x86_64-linux-gnu/{n}") or \
                os.path.exists(f"/usr/lib/x86_64-linux-gnu/{n}"):
            system.add(n)
    missing = needed - present - system
    # version requirements and imported symbols, per missing library
    for o in objs:
        cur = None
        for line in sh(["readelf", "-V", "-W", o]).splitlines():
            m = re.search(r"File: (\S+)", line)
            if m:
                cur = m.group(1)
                continue
            m = re.search(r"Name: (\S+)", line)
            if m and cur in missing:
                versions.setdefault(cur, set()).add(m.group(1))
        for line in sh(["nm", "-D", "--undefined-only", o]).splitlines():
            name = line.split()[-1]
            sym, _, ver = name.partition("@")
            for lib_name, vers in versions.items():
                if ver and ver in vers:
                    symbols.setdefault(lib_name, {}).setdefault(ver, set()).add(sym)
    # Unversioned imports name no library: every CUDA-looking one (cu*, nv*,
    # nccl*) goes into each stand-in that has no symbol versions (libcuda,
    # libnccl, libcusparseLt, ...). Others (libstdc++, Python) are left alone.
    unversioned = set()
    for o in objs:
        for line in sh(["nm", "-D", "--undefined-only", o]).splitlines():
            name = line.split()[-1]
            if "@" not in name and re.match(r"(cu|nv|nccl)", name):
                unversioned.add(name)
    stubdir = os.path.join(work, "stubs-" + version)
    os.makedirs(stubdir, exist_ok=True)
    for n in sorted(missing):
        by_ver = symbols.get(n, {})
        syms = set().union(*by_ver.values()) if by_ver else set()
        if not versions.get(n):
            syms |= unversioned
        c = os.path.join(stubdir, n + ".c")
        with open(c, "w") as f:
            f.write("#include <stdlib.h>\nstatic void *handle[16];\n")
            for s in sorted(syms):
                if s.startswith("__cuda"):   # fat-binary registration at load: a no-op
                    f.write(f"void *{s}(void) {{ return handle; }}\n")
                else:
                    f.write(f"void {s}(void) {{ abort(); }}\n")
        vs = os.path.join(stubdir, n + ".map")
        with open(vs, "w") as f:
            for v in sorted(by_ver or {v: set() for v in versions.get(n, ())}):
                f.write(f"{v} {{ global: {'; '.join(sorted(by_ver.get(v, ()))) + ';' if by_ver.get(v) else ''} }};\n")
            if not versions.get(n):
                f.write("{ global: *; };\n")
        sh(["gcc", "-shared", "-fPIC", "-w", "-o", os.path.join(lib, n), c, f"-Wl,-soname,{n}",
            f"-Wl,--version-script={vs}"])
    print(f"torch {version}: wheel installed without CUDA packages; stand-ins for {len(missing)} libraries: "
          f"{' '.join(sorted(missing))}")
    # check that it imports and casts
    r = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__, "
                        "torch.tensor([1.5]).to(torch.bfloat16).view(torch.int16).item())"],
                       capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"import torch failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else '?'}")
    print(r.stdout.strip())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
