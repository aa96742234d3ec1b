#!/usr/bin/env python3
"""Writes a valid safetensors file with COUNT one-byte tensors: a header of COUNT entries.

    python test/models/make_many_tensors.py --count 200000 --out FILE [--duplicate]

Each entry is about 71 bytes, so 1.45 M entries make a header of 103 MB, just under the reader's
100 MiB cap.
--duplicate repeats the first tensor's name as the last entry (the reader must name it).
Standard library only, so that lit can run it without the test environment's packages.
"""
import argparse
import struct


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--duplicate", action="store_true")
    args = ap.parse_args()
    names = [f"t{i:07d}" for i in range(args.count)]
    if args.duplicate:
        names[-1] = names[0]
    entries = ",".join(f'"{n}":{{"dtype":"U8","shape":[1],"data_offsets":[{i},{i + 1}]}}'
                       for i, n in enumerate(names))
    header = ("{" + entries + "}").encode()
    with open(args.out, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        f.write(bytes(args.count))


if __name__ == "__main__":
    main()
