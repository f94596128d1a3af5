#!/usr/bin/env python3
"""An exec backend (kernels/include/qcts/backends.h: COMMAND OP IN OUT) that
converts with whatever ml_dtypes is importable, whatever convention the case
asks for: `qcts check --identify` must name the convention of that release
(ml_dtypes_0_6 for 0.6.0, ml_dtypes_0_7 for 0.7.0) and not the other one.
Used by tests/cli/test-identify-ml-dtypes.sh. Exit 3 (unsupported) for
anything but convert of a format ml_dtypes has."""
import json
import struct
import sys

import numpy as np
import oracle_lib as ol


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    return meta, {k: data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]] for k, v in header.items()}


def write_safetensors(path, tensors):  # name -> (dtype, bytes)
    header, off = {}, 0
    for name, (dtype, raw, count) in tensors.items():
        header[name] = {"dtype": dtype, "shape": [count], "data_offsets": [off, off + len(raw)]}
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(t[1] for t in tensors.values()))


def main(op, inp, out):
    meta, t = read_safetensors(inp)
    (case,) = json.loads(meta["qcts.cases"])
    p, cid = case["params"], case["id"]
    fmt = p.get("fmt")
    if op != "convert" or fmt not in ol.ml_dtypes_types():
        print(f"unsupported: {op} {fmt} (ml_dtypes {ol.ml_dtypes_version()} converts "
              f"{', '.join(sorted(ol.ml_dtypes_types()))})", file=sys.stderr)
        return 3
    n = p["n"]
    if p["direction"] == "decode":
        codes = np.frombuffer(t[cid + "/in.x"], ol.code_dtype(fmt), n)
        write_safetensors(out, {cid + "/out.y": ("F32", ol.ml_dtypes_decode(fmt, codes).astype("<f4").tobytes(), n)})
    else:
        x = np.frombuffer(t[cid + "/in.x"], "<f4", n)
        y = ol.ml_dtypes_encode(fmt, x).astype("<u2" if ol.WIDTH[fmt] == 2 else np.uint8)
        write_safetensors(out, {cid + "/out.y": ("U16" if ol.WIDTH[fmt] == 2 else "U8", y.tobytes(), n),
                                cid + "/out.status": ("U8", bytes(n), n)})
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
