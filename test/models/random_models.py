"""Tiny random Qwen3.5-MoE models built by transformers itself, so that tensor names, layouts and
config fields are exactly those of real checkpoints (spec §1, §2).

transformers' default init (std 0.02, zero norms) gives near-flat logits and lets whole parameter
groups (norms, A_log, dt_bias) sit at constants where a wrong implementation would not show. We
re-draw every text parameter from one deterministic generator so every parameter changes the output.
"""
import math

import torch
from transformers import (Qwen3_5MoeConfig, Qwen3_5MoeForCausalLM,
                          Qwen3_5MoeForConditionalGeneration, Qwen3_5MoeTextConfig)


def layer_types(num_layers: int, interval: int = 4) -> list[str]:
    # The real config carries both the explicit list and the interval (spec §1).
    return ["full_attention" if (i + 1) % interval == 0 else "linear_attention" for i in range(num_layers)]


def text_config(*, hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim,
                linear_num_key_heads, linear_num_value_heads, linear_key_head_dim, linear_value_head_dim,
                num_experts, num_experts_per_tok, moe_intermediate_size, shared_expert_intermediate_size,
                vocab_size, initializer_range, mrope_section) -> dict:
    """A `text_config` dict with the fixed fields of the real Qwen3.5-MoE config (spec §1)."""
    rotary_dim = int(head_dim * 0.25)
    # M-RoPE splits rotary_dim/2 frequencies into (t, h, w) sections; they must add up.
    assert rotary_dim % 2 == 0 and sum(mrope_section) == rotary_dim // 2, (head_dim, mrope_section)
    return dict(
        model_type="qwen3_5_moe_text",
        vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=num_hidden_layers,
        layer_types=layer_types(num_hidden_layers), full_attention_interval=4,
        num_attention_heads=num_attention_heads, num_key_value_heads=num_key_value_heads, head_dim=head_dim,
        attn_output_gate=True, attention_bias=False,
        linear_num_key_heads=linear_num_key_heads, linear_num_value_heads=linear_num_value_heads,
        linear_key_head_dim=linear_key_head_dim, linear_value_head_dim=linear_value_head_dim,
        linear_conv_kernel_dim=4,
        num_experts=num_experts, num_experts_per_tok=num_experts_per_tok,
        moe_intermediate_size=moe_intermediate_size,
        shared_expert_intermediate_size=shared_expert_intermediate_size,
        hidden_act="silu", rms_norm_eps=1e-6, tie_word_embeddings=False, max_position_embeddings=4096,
        rope_parameters=dict(rope_type="default", rope_theta=10000000.0, partial_rotary_factor=0.25,
                             mrope_interleaved=True, mrope_section=list(mrope_section)),
        mamba_ssm_dtype="float32", router_aux_loss_coef=0.001,
        initializer_range=initializer_range, dtype="bfloat16",
    )


def tiny_vision_config(out_hidden_size: int) -> dict:
    # As small as the class allows; the grid of position embeddings must be square.
    return dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, patch_size=16, temporal_patch_size=2,
                spatial_merge_size=2, out_hidden_size=out_hidden_size, num_position_embeddings=16)


# Text configs of the test models. initializer_range ~ 1.2/sqrt(hidden) keeps logit std near 1.
TINY = text_config(hidden_size=64, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2, head_dim=32,
                   linear_num_key_heads=2, linear_num_value_heads=4, linear_key_head_dim=16,
                   linear_value_head_dim=16, num_experts=8, num_experts_per_tok=2, moe_intermediate_size=32,
                   shared_expert_intermediate_size=32, vocab_size=512, initializer_range=0.15,
                   mrope_section=(2, 1, 1))
TINY_TEXT = text_config(hidden_size=128, num_hidden_layers=8, num_attention_heads=4, num_key_value_heads=2,
                        head_dim=64, linear_num_key_heads=4, linear_num_value_heads=8, linear_key_head_dim=32,
                        linear_value_head_dim=32, num_experts=16, num_experts_per_tok=4, moe_intermediate_size=64,
                        shared_expert_intermediate_size=64, vocab_size=768, initializer_range=0.1,
                        mrope_section=(3, 3, 2))
# Every FP8-quantized dimension is a multiple of 128 (spec §5.3 block constraint).
TINY_BLOCK = text_config(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                         head_dim=64, linear_num_key_heads=2, linear_num_value_heads=4, linear_key_head_dim=64,
                         linear_value_head_dim=64, num_experts=8, num_experts_per_tok=2, moe_intermediate_size=128,
                         shared_expert_intermediate_size=128, vocab_size=512, initializer_range=0.075,
                         mrope_section=(3, 3, 2))


# For precision comparisons (trained_model): the tiny architecture with a gentle init, so that
# training starts where rounding errors are not amplified layer after layer.
TINY_TRAINED = dict(TINY, initializer_range=0.03)


def multimodal_config(text: dict) -> Qwen3_5MoeConfig:
    return Qwen3_5MoeConfig(text_config=dict(text), vision_config=tiny_vision_config(text["hidden_size"]),
                            tie_word_embeddings=False)


def text_only_config(text: dict) -> Qwen3_5MoeTextConfig:
    return Qwen3_5MoeTextConfig(**{k: v for k, v in text.items() if k != "model_type"})


def init_tensor(name: str, shape, std: float, gen: torch.Generator) -> torch.Tensor:
    """Draw a float32 value for the text parameter `name` (a checkpoint-style name, any prefix).

    Zero-centred RMSNorms get small values around 0 (the model adds 1), the GDN gated norm is raw so it
    sits around 1, decays are kept in a range where the recurrent state both remembers and forgets.
    """
    shape = tuple(shape)
    if name.endswith("linear_attn.norm.weight"):
        return 1.0 + 0.1 * torch.randn(shape, generator=gen)
    if name.endswith("norm.weight"):  # input/post_attention layernorm, q_norm, k_norm, final norm
        return 0.1 * torch.randn(shape, generator=gen)
    if name.endswith("linear_attn.A_log"):
        # decay exp(-A * softplus(a + dt_bias)) stays between ~0.02 and ~0.97 for typical a
        return torch.empty(shape).uniform_(0.05, 2.0, generator=gen).log_()
    if name.endswith("linear_attn.dt_bias"):
        return 0.5 * torch.randn(shape, generator=gen)
    if name.endswith("linear_attn.conv1d.weight"):
        # depthwise: unit gain over the kernel taps, so the conv neither vanishes nor explodes
        return torch.randn(shape, generator=gen) / math.sqrt(shape[-1])
    if name.endswith((".weight", "gate_up_proj", "down_proj")):  # embeddings, Linears, routers, fused experts
        return std * torch.randn(shape, generator=gen)
    raise ValueError(f"no init rule for text parameter {name!r}; add one")


@torch.no_grad()
def randomize_text(model: torch.nn.Module, seed: int, std: float) -> None:
    """Re-draw every text parameter (in name order, so the result is independent of module order)."""
    gen = torch.Generator().manual_seed(seed)
    for name, param in sorted(model.named_parameters()):
        if ".visual." in f".{name}":
            continue  # the vision tower keeps transformers' own (seeded) init; the text path never reads it
        param.copy_(init_tensor(name, param.shape, std, gen))


def build(text: dict, *, multimodal: bool, seed: int) -> torch.nn.Module:
    """A BF16 model with deterministic random weights."""
    torch.manual_seed(seed)
    if multimodal:
        model = Qwen3_5MoeForConditionalGeneration(multimodal_config(text))
    else:
        model = Qwen3_5MoeForCausalLM(text_only_config(text))
    randomize_text(model, seed, text["initializer_range"])
    return model.to(torch.bfloat16).eval()
