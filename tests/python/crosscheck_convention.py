#!/usr/bin/env python3
"""One qcts convention against the Python library it models, bit for bit.

Encodes the fixed input set of oracle_lib.inputs() (every f16 value and
midpoint with their float32 neighbours, bf16 midpoints, E8M0 rounding
patterns, specials, NaN payloads, 2^20 seeded random bit patterns) with
'qcts convert --convention C' in batch mode and with the library's casts,
and decodes every code both ways; compares codes, and decoded float32 bits
(NaN payloads only for f16/bf16). The library's version must be the one
given: the check is against a pinned release, never whatever is installed.
Exit 0 on agreement, 1 on any difference (the first ones are printed),
2 when the oracle is missing or has another version.
usage: crosscheck_convention.py QCTS CONVENTION LIB VERSION [FORMAT...]
       (LIB: ml_dtypes or torch; default formats: all the library shares)
"""
import sys
import tempfile

import oracle_lib as ol


def main(argv):
    if len(argv) < 4:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    qcts, conv, lib, want = argv[:4]
    try:
        types, version, enc, dec = ol.ORACLES[lib]
        have = version()
        fmts = sorted(types())
    except (KeyError, ImportError) as e:
        print(f"crosscheck: oracle {lib} not available ({e})")
        return 2
    if have.split("+")[0] != want:
        print(f"crosscheck: {lib} {have} is installed, but {conv} is checked against {want}")
        return 2
    fmts = [f for f in fmts if not argv[4:] or f in argv[4:]]
    x = ol.inputs()
    bad_formats = 0
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in fmts:
            codes = ol.all_codes(fmt)
            ne, lines = ol.compare(x, ol.qcts_encode(qcts, fmt, conv, x, tmp), enc(fmt, x))
            got_d, want_d = ol.qcts_decode(qcts, fmt, conv, codes, tmp), dec(fmt, codes)
            nd, dlines = ol.compare_decode(codes, got_d, want_d, exact_nan=ol.WIDTH[fmt] == 2)
            if ne or nd:
                bad_formats += 1
                print(f"{fmt}: {conv} differs from {lib} {have}: {ne} of {len(x)} encodes, "
                      f"{nd} of {len(codes)} decodes")
                for l in lines + dlines:
                    print("  " + l)
            else:
                print(f"{fmt}: {conv} == {lib} {have} ({len(x)} encodes, {len(codes)} decodes)")
    print(f"{conv} vs {lib} {have}: {len(fmts)} formats, {bad_formats} with differences")
    return 1 if bad_formats else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
