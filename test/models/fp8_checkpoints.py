"""FP8 E4M3 checkpoints written from a BF16 checkpoint, in the two formats vLLM loads (spec §5):
compressed-tensors FP8_DYNAMIC (per-channel `weight_scale`, §5.2) and "fp8" with 128x128 blocks
(`weight_scale_inv`, §5.3). Both keep experts per-expert (`mlp.experts.{E}.{gate,up,down}_proj`),
as llm-compressor and Qwen's own FP8 releases do.
"""
import json
import re
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

FP8_MAX = 448.0  # largest finite float8_e4m3fn
BLOCK = 128

# The official llm-compressor recipe for Qwen3.5-MoE (spec §5.2, LLMC-EX). `mlp\.shared_expert$` names
# the MLP module, not its Linears, so shared-expert projections are still quantized.
CHANNEL_IGNORE = ["re:.*lm_head", "re:visual.*", "re:model.visual.*", r"re:.*mlp.gate$", "re:.*embed_tokens$",
                  "re:.*shared_expert_gate$", r"re:.*mlp\.shared_expert$", "re:.*linear_attn.*"]

# Linears the block format keeps BF16 besides the vision tower (spec §5.3, Qwen's FP8 layout): lm_head,
# the routers (always BF16 in vLLM, §5.4) and in_proj_a/b, whose one row per v-head is never a
# multiple of 128.
BLOCK_BF16_SUFFIXES = ("lm_head", "mlp.gate", "mlp.shared_expert_gate", "linear_attn.in_proj_a",
                       "linear_attn.in_proj_b")
# Short generic names for HF's suffix matching; vLLM needs the exact full names (spec §5.4 point 4).
BLOCK_GENERIC_NAMES = ["lm_head", "mlp.gate", "shared_expert_gate", "in_proj_a", "in_proj_b", "conv1d",
                       "model.visual"]


def unfuse_experts(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Fused `experts.gate_up_proj [E, 2I, H]` / `experts.down_proj [E, H, I]` -> per-expert Linears.

    Gate is rows 0..I-1 of gate_up, up is rows I..2I-1 (spec §2.1, LLMC-MOE).
    """
    out = {}
    for name, t in tensors.items():
        if name.endswith("mlp.experts.gate_up_proj"):
            base = name[: -len("gate_up_proj")]
            inter = t.shape[1] // 2
            for e in range(t.shape[0]):
                out[f"{base}{e}.gate_proj.weight"] = t[e, :inter].clone()
                out[f"{base}{e}.up_proj.weight"] = t[e, inter:].clone()
        elif name.endswith("mlp.experts.down_proj"):
            base = name[: -len("down_proj")]
            for e in range(t.shape[0]):
                out[f"{base}{e}.down_proj.weight"] = t[e].clone()
        else:
            out[name] = t
    return out


def linear_modules(tensors: dict[str, torch.Tensor]) -> list[str]:
    """Module names of the nn.Linear layers (what `targets: ["Linear"]` selects), per-expert layout."""
    return sorted(n[: -len(".weight")] for n, t in tensors.items()
                  if n.endswith(".weight") and t.dim() == 2
                  and not n.endswith(("embed_tokens.weight", "pos_embed.weight")))


def ct_ignored(module: str, ignore: list[str]) -> bool:
    """compressed-tensors/vLLM rule: exact name, or `re:` + regex applied with re.match."""
    return any(re.match(p[3:], module) if p.startswith("re:") else p == module for p in ignore)


def to_fp8(w: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    # The e4m3fn cast does not saturate, so clamp first (spec §5.1).
    return (w / scale).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)


def quantize_channel(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per output row: scale = amax/448 as F32 [out, 1]; quantized with that stored scale."""
    w = w.float()
    scale = (w.abs().amax(dim=1, keepdim=True) / FP8_MAX).clamp(min=torch.finfo(torch.float32).eps)
    return to_fp8(w, scale), scale


def quantize_block(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per 128x128 block: weight_scale_inv = amax/448 as F32 [ceil(out/128), ceil(in/128)]."""
    w = w.float()
    rows, cols = w.shape
    br, bc = -(-rows // BLOCK), -(-cols // BLOCK)
    padded = torch.zeros(br * BLOCK, bc * BLOCK)
    padded[:rows, :cols] = w
    amax = padded.abs().view(br, BLOCK, bc, BLOCK).amax(dim=(1, 3))
    scale = torch.where(amax > 0, amax / FP8_MAX, torch.ones_like(amax))  # an all-zero block still needs a scale
    full = scale.repeat_interleave(BLOCK, 0).repeat_interleave(BLOCK, 1)[:rows, :cols]
    return to_fp8(w, full), scale


def _read_bf16(src: Path) -> dict[str, torch.Tensor]:
    tensors = {}
    for f in sorted(src.glob("*.safetensors")):
        tensors.update(load_file(f))
    return tensors


def _copy_json(src: Path, dst: Path, quantization_config: dict) -> None:
    for f in src.glob("*.json"):
        if f.name not in ("config.json", "model.safetensors.index.json"):
            shutil.copy(f, dst / f.name)
    config = json.loads((src / "config.json").read_text())
    config["quantization_config"] = quantization_config
    (dst / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def write_channel_fp8(src: Path, dst: Path) -> list[str]:
    """compressed-tensors FP8_DYNAMIC (spec §5.2). Returns the quantized module names."""
    tensors = unfuse_experts(_read_bf16(src))
    quantized = [m for m in linear_modules(tensors) if not ct_ignored(m, CHANNEL_IGNORE)]
    for m in quantized:
        tensors[f"{m}.weight"], tensors[f"{m}.weight_scale"] = quantize_channel(tensors[f"{m}.weight"])
    save_file(tensors, dst / "model.safetensors", metadata={"format": "pt"})
    quant_args = dict(num_bits=8, type="float", symmetric=True, group_size=None, block_structure=None,
                      actorder=None, observer_kwargs={})
    _copy_json(src, dst, {
        "quant_method": "compressed-tensors",
        "format": "float-quantized",
        "quantization_status": "compressed",
        "config_groups": {"group_0": {
            "targets": ["Linear"],
            "weights": dict(quant_args, strategy="channel", dynamic=False, observer="minmax"),
            "input_activations": dict(quant_args, strategy="token", dynamic=True, observer=None),
            "output_activations": None,
            "format": "float-quantized",
        }},
        "ignore": CHANNEL_IGNORE,
        "kv_cache_scheme": None,
        "global_compression_ratio": None,
    })
    return quantized


def block_keeps_bf16(module: str) -> bool:
    return ".visual." in f".{module}." or module.endswith(BLOCK_BF16_SUFFIXES)


def write_block_fp8(src: Path, dst: Path) -> list[str]:
    """"fp8" method, 128x128 weight blocks (spec §5.3, §5.5). Returns the quantized module names."""
    tensors = unfuse_experts(_read_bf16(src))
    modules = linear_modules(tensors)
    quantized = [m for m in modules if not block_keeps_bf16(m)]
    for m in quantized:
        w = tensors[f"{m}.weight"]
        assert w.shape[0] % BLOCK == 0 and w.shape[1] % BLOCK == 0, f"{m} {tuple(w.shape)} is not 128-aligned"
        tensors[f"{m}.weight"], tensors[f"{m}.weight_scale_inv"] = quantize_block(w)
    save_file(tensors, dst / "model.safetensors", metadata={"format": "pt"})
    not_converted = [m for m in modules if block_keeps_bf16(m)]
    _copy_json(src, dst, {
        "quant_method": "fp8",
        "fmt": "e4m3",
        "activation_scheme": "dynamic",
        "weight_block_size": [BLOCK, BLOCK],
        "modules_to_not_convert": BLOCK_GENERIC_NAMES + [m for m in not_converted if m not in BLOCK_GENERIC_NAMES],
    })
    return quantized
