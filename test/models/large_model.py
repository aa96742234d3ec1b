"""A multi-GB random checkpoint written tensor by tensor, never holding the model in memory.

Names and shapes come from a meta-device transformers model, so they are exactly what
`Qwen3_5MoeForCausalLM` loads; values come from the same init rules as the tiny models, drawn in
slices of the first dimension so the peak memory is one slice, not one shard.
"""
import json
import struct
from pathlib import Path

import torch
from transformers import GenerationConfig, Qwen3_5MoeForCausalLM

from random_models import init_tensor, text_config, text_only_config

# 8 layers (linear x3, full) x 2, hidden 1024, 104 experts of 512, vocab 64K: 1.51 B params, 3.03 GB BF16.
LARGE = text_config(hidden_size=1024, num_hidden_layers=8, num_attention_heads=8, num_key_value_heads=2,
                    head_dim=128, linear_num_key_heads=8, linear_num_value_heads=16, linear_key_head_dim=128,
                    linear_value_head_dim=128, num_experts=104, num_experts_per_tok=8, moe_intermediate_size=512,
                    shared_expert_intermediate_size=512, vocab_size=65536, initializer_range=0.04,
                    mrope_section=(6, 5, 5))
SHARD_BYTES = 1_000_000_000
SLICE_BYTES = 64 << 20  # values are drawn and written in slices of at most this size


def parameter_shapes(text: dict) -> dict[str, tuple[int, ...]]:
    with torch.device("meta"):
        model = Qwen3_5MoeForCausalLM(text_only_config(text))
    return {name: tuple(p.shape) for name, p in model.named_parameters()}


def plan_shards(shapes: dict[str, tuple[int, ...]], shard_bytes: int) -> list[list[str]]:
    """Greedy packing in module order, as save_pretrained does; a tensor never spans two shards."""
    shards, current, size = [], [], 0
    for name in shapes:  # module order: embeddings, layers 0..N, norm, lm_head
        nbytes = 2 * _numel(shapes[name])
        if current and size + nbytes > shard_bytes:
            shards.append(current)
            current, size = [], 0
        current.append(name)
        size += nbytes
    if current:
        shards.append(current)
    return shards


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _write_shard(path: Path, names: list[str], shapes, std: float, gen: torch.Generator) -> None:
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name in names:
        nbytes = 2 * _numel(shapes[name])
        header[name] = {"dtype": "BF16", "shape": list(shapes[name]), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # align the data section, like the reference writer
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for name in names:
            shape = shapes[name]
            row_bytes = 2 * _numel(shape[1:])
            step = max(1, SLICE_BYTES // max(row_bytes, 1))
            for start in range(0, shape[0], step):
                rows = min(step, shape[0] - start)
                part = init_tensor(name, (rows, *shape[1:]), std, gen).to(torch.bfloat16)
                f.write(part.view(torch.int16).numpy().tobytes())


def write_large(dst: Path, seed: int = 4, text: dict = LARGE) -> None:
    """Writes the `large` checkpoint (or one of the same kind with the sizes of `text`)."""
    shapes = parameter_shapes(text)
    config = text_only_config(text)
    config.save_pretrained(dst)
    GenerationConfig.from_model_config(config).save_pretrained(dst)  # as save_pretrained of a model does
    gen = torch.Generator().manual_seed(seed)
    shards = plan_shards(shapes, SHARD_BYTES)
    weight_map = {}
    for i, names in enumerate(shards):
        fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        _write_shard(dst / fname, names, shapes, text["initializer_range"], gen)
        weight_map.update({n: fname for n in names})
    total = sum(2 * _numel(s) for s in shapes.values())
    index = {"metadata": {"total_parameters": total // 2, "total_size": total},
             "weight_map": dict(sorted(weight_map.items()))}
    (dst / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
