#!/usr/bin/env python3
"""Writes hostile safetensors files and broken model directories for the strict checkpoint reader.

    python test/models/make_bad_safetensors.py --out DIR

DIR/<case>.safetensors: one violation of the format each (plus one valid `good.safetensors`);
DIR/<case>/: model directories that are valid except for one model-level error.
DIR/expected.json maps every file and directory to the violation it carries (null: valid).

Format recap: 8-byte little-endian header length N, N bytes of JSON header (an object: tensor name ->
{dtype, shape, data_offsets [begin, end)} relative to the data section, plus optional string-to-string
`__metadata__`), then the data section, which the tensors must cover exactly, without overlap.
"""
import argparse
import json
import shutil
import struct
import sys
from pathlib import Path

import torch
import transformers
from safetensors.torch import load_file, save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))

import random_models as rm  # noqa: E402

transformers.utils.logging.disable_progress_bar()


def raw(header, data: bytes = b"", length: int | None = None) -> bytes:
    """A file from a header (dict, or bytes taken verbatim) and a data section; `length` overrides N."""
    blob = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(blob) if length is None else length) + blob + data


def f32(shape, begin: int, end: int) -> dict:
    return {"dtype": "F32", "shape": shape, "data_offsets": [begin, end]}


def good_tensors() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return {
        "bf16": torch.randn(4, 8, generator=gen).to(torch.bfloat16),
        "f32": torch.randn(3, generator=gen),
        "f8_e4m3": (torch.randn(2, 16, generator=gen) * 10).to(torch.float8_e4m3fn),
        "i32": torch.arange(-3, 3, dtype=torch.int32).reshape(2, 3),
        "scalar": torch.tensor(1.5),  # shape [] is legal: one element
    }


def bad_files(good: bytes) -> dict[str, tuple[bytes, str]]:
    sixteen = bytes(range(16))
    return {
        "truncated": (good[:-5], "data section 5 bytes shorter than the last tensor's end offset"),
        "header-too-large": (raw(b"{}", length=1 << 40), "header length 2^40: beyond any sane limit"),
        "header-length-beyond-file": (raw({"a": f32([4], 0, 16)}, sixteen, length=4096),
                                      "valid header and data, but the header length says 4096 bytes"),
        "empty-file": (b"", "0 bytes: no header length"),
        "empty-header": (raw(b""), "header length 0: empty JSON"),
        "malformed-json": (raw(b'{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}', sixteen),
                           "header JSON is cut short (missing closing brace)"),
        "not-an-object": (raw(b"[1, 2, 3]"), "header JSON is an array, not an object"),
        "missing-offsets": (raw({"a": {"dtype": "F32", "shape": [4]}}, sixteen), "tensor without data_offsets"),
        "unknown-dtype": (raw({"a": {"dtype": "Q4_K", "shape": [4], "data_offsets": [0, 16]}}, sixteen),
                          "dtype Q4_K is not a safetensors dtype"),
        "shape-mismatch": (raw({"a": f32([2, 2], 0, 12)}, sixteen[:12]), "F32 [2, 2] is 16 bytes but spans 12"),
        "negative-dim": (raw({"a": f32([-1, 4], 0, 16)}, sixteen), "shape has a negative dimension"),
        # 2^62 * 4 elements * 4 bytes wraps to 0 in 64-bit arithmetic, matching the 0-byte range.
        "shape-overflow": (raw({"a": f32([2], 0, 8), "b": f32([1 << 62, 4], 8, 8)}, sixteen[:8]),
                           "shape product overflows 64 bits (and wraps to the declared 0 bytes)"),
        "begin-after-end": (raw({"a": f32([2], 0, 8), "b": f32([1], 8, 4)}, sixteen[:8]), "begin 8 > end 4"),
        "out-of-bounds": (raw({"a": f32([4], 0, 16), "b": f32([4], 1 << 40, (1 << 40) + 16)}, sixteen),
                          "offsets 2^40.. are far beyond the 16-byte data section"),
        "overlap": (raw({"a": f32([4], 0, 16), "b": f32([4], 8, 24)}, sixteen + sixteen[:8]),
                    "byte ranges [0,16) and [8,24) overlap"),
        "gap": (raw({"a": f32([2], 0, 8), "b": f32([2], 16, 24)}, sixteen + sixteen[:8]),
                "bytes [8,16) of the data section belong to no tensor"),
        "duplicate-name": (raw(b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, '
                               b'"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}', sixteen),
                           "tensor name 'a' appears twice in the header"),
        "bad-metadata": (raw({"__metadata__": {"format": 1}, "a": f32([4], 0, 16)}, sixteen),
                         "__metadata__ values must be strings"),
    }


def tiny_tensors(scratch: Path) -> tuple[dict[str, torch.Tensor], str]:
    """The `tiny` test model's tensors and config.json, made by the same recipe as make_test_models."""
    rm.build(rm.TINY, multimodal=True, seed=1).save_pretrained(scratch, save_original_format=False)
    tensors = load_file(scratch / "model.safetensors")
    config = (scratch / "config.json").read_text()
    shutil.rmtree(scratch)
    return tensors, config


def write_model(dst: Path, config: str, tensors: dict[str, torch.Tensor]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    (dst / "config.json").write_text(config)
    save_file(tensors, dst / "model.safetensors", metadata={"format": "pt"})


def make_bad_models(out: Path) -> dict[str, str]:
    """Model directories with one model-level error each; the rest is the valid `tiny` model."""
    tensors, config = tiny_tensors(out / "tiny.tmp")
    dropped = "model.language_model.layers.1.linear_attn.in_proj_z.weight"
    write_model(out / "missing-tensor", config, {k: v for k, v in tensors.items() if k != dropped})
    reshaped = "model.language_model.layers.0.linear_attn.in_proj_z.weight"
    write_model(out / "wrong-shape", config, dict(tensors, **{reshaped: tensors[reshaped][:-1].clone()}))
    write_model(out / "bad-model-type", json.dumps(dict(json.loads(config), model_type="llama"), indent=2),
                tensors)
    write_model(out / "malformed-config", config[: len(config) // 2], tensors)
    return {
        "missing-tensor/": f"{dropped} is absent",
        "wrong-shape/": f"{reshaped} has {tensors[reshaped].shape[0] - 1} rows, the config implies "
                        f"{tensors[reshaped].shape[0]}",
        "bad-model-type/": "config.json model_type is 'llama'",
        "malformed-config/": "config.json is cut in half: invalid JSON",
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    good_path = args.out / "good.safetensors"
    save_file(good_tensors(), good_path, metadata={"format": "pt", "note": "axe reader test"})
    expected = {"good.safetensors": None}
    for name, (content, why) in bad_files(good_path.read_bytes()).items():
        (args.out / f"{name}.safetensors").write_bytes(content)
        expected[f"{name}.safetensors"] = why
    expected.update(make_bad_models(args.out))
    (args.out / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    print(f"wrote {len(expected)} cases to {args.out}")


if __name__ == "__main__":
    main()
