#!/usr/bin/env python3
"""An exec backend in Python: dequant for fp4_g32_f16 and int8_per_channel.

    qcts check --backend 'exec:python3 conformance/examples/exec_dequant.py' ...
    qcts check --backend 'exec-persistent:python3 conformance/examples/exec_dequant.py --persistent' ...

The second form starts Python (and numpy) once: qcts writes one line per
case to our stdin, OP<TAB>IN<TAB>OUT, and we answer one line on stdout:
"done", "unsupported REASON" or "error MESSAGE" (README, "exec backends").

qcts runs `COMMAND OP IN.safetensors OUT.safetensors` once per call (see
kernels/include/qcts/backends.h). IN holds one case: metadata `qcts.cases`
(a JSON array with one case object, vectors/CASES.md) and the tensors
`<id>/in.*`. We write `<id>/out.y` to OUT and exit 0; exit 3 means
"unsupported" (qcts reports SKIP with our stderr as the reason); anything
else is an error.

Both schemes have an exact value per weight that fits a float64 (a 2-bit or
8-bit code times an f16 or f32 scale), so we compute it in float64 and round
once to the output type: bit for bit what qcts's reference does.
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, t in header.items():
        lo, hi = t["data_offsets"]
        tensors[name] = (t["dtype"], t["shape"], data[base + lo:base + hi])
    return meta, tensors


def write_safetensors(path, tensors):  # tensors: name -> (dtype, shape, bytes)
    header, off = {}, 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(t[2] for t in tensors.values()))


E2M1 = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6])


def fp4_g32_f16(q, rows, cols):
    # codes: 4-bit, element 2i in the low nibble of byte i, row by row;
    # then one f16 scale per 32 elements, [rows][cols/32].
    nc = rows * cols // 2
    b = np.frombuffer(q, np.uint8, nc)
    codes = np.stack([b & 15, b >> 4], axis=-1).reshape(rows, cols)
    s = np.frombuffer(q, "<f2", rows * cols // 32, nc).astype(np.float64)
    return E2M1[codes] * np.repeat(s.reshape(rows, cols // 32), 32, axis=1)


def int8_per_channel(q, rows, cols):
    # codes: int8 row by row; then one f32 scale per row.
    codes = np.frombuffer(q, np.int8, rows * cols).reshape(rows, cols).astype(np.float64)
    s = np.frombuffer(q, "<f4", rows, rows * cols).astype(np.float64)
    return codes * s[:, None]


def round_to(x, dtype):
    """Round float64 x once, to nearest even, to f32 / f16 / bf16 (bytes)."""
    with np.errstate(over="ignore"):
        if dtype == "f32":
            return "F32", x.astype("<f4").tobytes()
        if dtype == "f16":  # numpy rounds float64 -> float16 directly
            return "F16", x.astype("<f2").tobytes()
        # bf16: round the float64 significand to 8 bits (RNE on the bits),
        # or to a multiple of 2^-133 below 2^-126 (bf16 subnormals), then
        # the float32 holding that value is exact and its top half is bf16.
        b = x.view(np.uint64)
        r = ((b + np.uint64((1 << 44) - 1) + ((b >> np.uint64(45)) & np.uint64(1)))
             & ~np.uint64((1 << 45) - 1)).view(np.float64)
        sub = np.abs(x) < 2.0 ** -126
        r[sub] = np.rint(x[sub] * 2.0 ** 133) * 2.0 ** -133
        r = np.copysign(r, x)
        return "BF16", (r.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()


SCHEMES = {"fp4_g32_f16": fp4_g32_f16, "int8_per_channel": int8_per_channel}


class Unsupported(Exception):
    pass


def run_case(op, inp, out):
    meta, tensors = read_safetensors(inp)
    (case,) = json.loads(meta["qcts.cases"])
    p = case["params"]
    if op != "dequant" or p.get("scheme") not in SCHEMES:
        raise Unsupported(f"unsupported: {op} {p.get('scheme', '')} (this example does dequant of "
                          f"{', '.join(SCHEMES)})")
    rows, cols, dtype = p["rows"], p["cols"], p.get("out_dtype", "f32")
    w = SCHEMES[p["scheme"]](tensors[case["id"] + "/in.q"][2], rows, cols)
    st_dtype, raw = round_to(w, dtype)
    write_safetensors(out, {case["id"] + "/out.y": (st_dtype, [rows, cols], raw)})


def main(op, inp, out):
    """One case per process: exit 0 done, 3 unsupported (reason on stderr)."""
    try:
        run_case(op, inp, out)
    except Unsupported as e:
        print(e, file=sys.stderr)
        return 3
    return 0


def persistent():
    """One line per case on stdin, one reply line on stdout, until EOF."""
    for line in sys.stdin:
        try:
            run_case(*line.rstrip("\n").split("\t"))
            reply = "done"
        except Unsupported as e:
            reply = f"unsupported {e}"
        except Exception as e:  # one bad case must not end the process
            reply = f"error {type(e).__name__}: {e}"
        print(" ".join(reply.split()), flush=True)  # one line, whatever the message holds
    return 0


if __name__ == "__main__":
    sys.exit(persistent() if sys.argv[1:] == ["--persistent"] else main(*sys.argv[1:4]))
