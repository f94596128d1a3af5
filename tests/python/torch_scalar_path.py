#!/usr/bin/env python3
"""Does a torch cast depend on the tensor's size? Casts the special inputs
(NaN payloads, Inf, zeros, float32 subnormals, E8M0 rounding patterns) and
decodes every code one element at a time (torch's scalar path) and as one
large tensor (the vectorized kernels the torch convention models), and
prints where they differ. A difference is torch's own inconsistency, not a
qcts error: it is reported (NOTE) and does not fail.
usage: torch_scalar_path.py"""
import sys

import numpy as np
import oracle_lib as ol


def main():
    x = ol.inputs()
    b = ol.f32_bits(x)
    special = (((b >> 23) & 0xFF) == 0xFF) | (((b >> 23) & 0xFF) == 0)
    xs = np.unique(x[special].view(np.uint32)).view(np.float32)
    v = ol.torch_version()
    for fmt in sorted(ol.torch_types()):
        n, lines = ol.compare(xs, ol.torch_encode(fmt, xs, chunk=1), ol.torch_encode(fmt, xs))
        codes = ol.all_codes(fmt)
        nd, dlines = ol.compare_decode(codes, ol.torch_decode(fmt, codes, chunk=1), ol.torch_decode(fmt, codes),
                                       exact_nan=True)
        if n or nd:
            print(f"NOTE {fmt}: torch {v}: one element at a time differs from a large tensor: {n} of {len(xs)} "
                  f"special encodes, {nd} of {len(codes)} decodes (qcts = one element, oracle = large tensor)")
            for l in (lines + dlines)[:4]:
                print("  " + l)
        else:
            print(f"{fmt}: torch {v}: one element at a time == large tensor ({len(xs)} special encodes, "
                  f"{len(codes)} decodes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
