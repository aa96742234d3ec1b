#!/usr/bin/env python3
"""Copies a checkpoint directory with one planted defect, for the compiler's weight checks.

    python test/models/plant_weight.py SRC DST --tensor NAME --index I --value nan|inf|-inf
    python test/models/plant_weight.py SRC DST --tensor NAME --index I --code 0x7f   (F8_E4M3 tensors)
    python test/models/plant_weight.py SRC DST --extra NAME [--extra NAME ...]       (unknown tensors)

--index is the flat element index. Every other file (config, tokenizer, other shards) is copied as is.
"""
import argparse
import json
import shutil
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    ap.add_argument("--tensor")
    ap.add_argument("--index", type=int, default=0)
    ap.add_argument("--value", choices=["nan", "inf", "-inf"])
    ap.add_argument("--code", type=lambda s: int(s, 0), help="raw byte for an F8_E4M3 tensor")
    ap.add_argument("--extra", action="append", default=[], help="add a small BF16 tensor of this name")
    args = ap.parse_args()
    if bool(args.tensor) == bool(args.extra) or (args.tensor and (args.value is None) == (args.code is None)):
        ap.error("give --tensor with one of --value/--code, or --extra")

    shutil.copytree(args.src, args.dst)
    shards = sorted(args.dst.glob("*.safetensors"))
    planted = False
    for shard in shards:
        with safe_open(shard, "pt") as f:
            metadata = f.metadata()
            tensors = {name: f.get_tensor(name) for name in f.keys()}
        if args.tensor in tensors:
            t = tensors[args.tensor]
            if args.code is not None:
                assert t.dtype == torch.float8_e4m3fn, f"{args.tensor} is {t.dtype}, not F8_E4M3"
                t.view(torch.uint8).view(-1)[args.index] = args.code
            else:
                t.view(-1)[args.index] = float(args.value)
            planted = True
        elif args.extra and shard == shards[-1]:
            for name in args.extra:
                tensors[name] = torch.zeros(4, dtype=torch.bfloat16)
            planted = True
        else:
            continue
        save_file(tensors, shard, metadata=metadata)
    index = args.dst / "model.safetensors.index.json"
    if args.extra and index.exists():
        doc = json.loads(index.read_text())
        for name in args.extra:
            doc["weight_map"][name] = shards[-1].name
        index.write_text(json.dumps(doc, indent=2))
    assert planted, f"no tensor {args.tensor!r} in {args.src}"


if __name__ == "__main__":
    main()
