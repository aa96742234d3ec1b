#!/usr/bin/env python3
"""How many greedy choices BF16 rounding alone flips, with no axe code involved: transformers runs a
test model in fp32 twice, once as is and once with every module output rounded to BF16 (what a BF16
engine stores between kernels), over 8 prompts of 128 tokens. This is the floor under the bf16
policy's top-1 agreement, and why its parity test uses a trained model (test/e2e/test_cpu_parity.py).

    .venv/bin/python bench/bf16_rounding_floor.py [MODELS_DIR]   # default build/test-models

Prints one line per model; the record goes to bench/results/bf16_rounding_floor.txt.
"""
import datetime
import platform
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "test/models"))

import random_models as rm  # noqa: E402
from synthetic_language import Language  # noqa: E402
from transformers import Qwen3_5MoeForConditionalGeneration  # noqa: E402


def round_outputs(module, inputs, output):
    def bf16(t):
        return t.to(torch.bfloat16).float() if isinstance(t, torch.Tensor) and t.is_floating_point() else t
    return tuple(bf16(o) for o in output) if isinstance(output, tuple) else bf16(output)


def measure(model, prompts) -> tuple[float, int, int, float]:
    """(mean KL, flips, positions, mean top-1 probability) of the BF16-rounded run against fp32."""
    def logits(ids):
        with torch.no_grad():
            return model(input_ids=torch.tensor([ids])).logits[0].double()
    refs = [logits(p) for p in prompts]
    text = model.model.language_model
    hooks = [m.register_forward_hook(round_outputs) for name, m in text.named_modules()
             if name and not list(m.children()) and "rotary" not in name]
    kl = flips = positions = 0
    confidence = 0.0
    for ids, ref in zip(prompts, refs):
        got = logits(ids)
        p, q = torch.log_softmax(ref, -1), torch.log_softmax(got, -1)
        kl += (p.exp() * (p - q)).sum(-1).mean().item()
        flips += (got.argmax(-1) != ref.argmax(-1)).sum().item()
        positions += len(ids)
        confidence += p.exp().max(-1).values.mean().item()
    for h in hooks:
        h.remove()
    return kl / len(prompts), flips, positions, confidence / len(prompts)


def main() -> None:
    models = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build/test-models"
    random_model = rm.build(rm.TINY_TRAINED, multimodal=True, seed=11).float().eval()  # tiny-trained's start
    tiny = Qwen3_5MoeForConditionalGeneration.from_pretrained(models / "tiny", dtype=torch.float32).eval()
    trained = Qwen3_5MoeForConditionalGeneration.from_pretrained(models / "tiny-trained", dtype=torch.float32).eval()
    rng = np.random.default_rng(0)
    uniform = [rng.integers(0, 512, 128).tolist() for _ in range(8)]
    language = Language(512).sample(8, 128, rng).tolist()
    lines = []
    for name, model, prompts in [("random (tiny-trained's init), uniform prompts", random_model, uniform),
                                 ("tiny (random, init std 0.15), uniform prompts", tiny, uniform),
                                 ("tiny-trained, uniform prompts", trained, uniform),
                                 ("tiny-trained, prompts in its language", trained, language)]:
        kl, flips, positions, confidence = measure(model, prompts)
        lines.append(f"{name}: mean top-1 probability {confidence:.2f}; BF16-rounded vs fp32: mean KL {kl:.2e}, "
                     f"{flips} of {positions} greedy choices flip ({1 - flips / positions:.1%} agree)")
        print(lines[-1], flush=True)
    out = ROOT / "bench/results/bf16_rounding_floor.txt"
    out.write_text(f"# {datetime.date.today()} {platform.machine()}, torch {torch.__version__}\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
