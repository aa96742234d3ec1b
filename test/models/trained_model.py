"""`tiny-trained`: the tiny architecture trained briefly on the synthetic language.

Random weights make a poor fixture for precision comparisons: their next-token distribution is
flat, or, with a larger init, chaotic, so BF16 rounding alone flips 1.5-13 % of greedy choices
against fp32 (bench/bf16_rounding_floor.py) however exact the implementation. A trained model is
confident where its data is predictable, as real checkpoints are: after 500 steps this one gives
the top token ~0.6 probability, uses context, and BF16 rounding flips 0.2-0.5 % of its choices.
"""
import numpy as np
import torch

import random_models as rm
from synthetic_language import Language

STEPS, BATCH, LENGTH, LEARNING_RATE = 500, 16, 64, 3e-3


def train(text: dict, *, multimodal: bool, seed: int, log=print) -> torch.nn.Module:
    """A model of `text` (random_models init with `seed`) trained on Language(vocab) (its default
    seed, so tests can draw prompts from the same language); returned in BF16."""
    torch.manual_seed(seed)
    model = rm.build(text, multimodal=multimodal, seed=seed).float().train()
    language = Language(text["vocab_size"])
    data = np.random.default_rng(seed)
    weights = [p for name, p in model.named_parameters() if ".visual." not in f".{name}"]
    optimizer = torch.optim.AdamW(weights, lr=LEARNING_RATE, weight_decay=0.0)
    for step in range(STEPS):
        batch = torch.from_numpy(language.sample(BATCH, LENGTH, data))
        loss = model(input_ids=batch, labels=batch).loss  # transformers shifts the labels
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0 or step == STEPS - 1:
            log(f"  step {step}: loss {loss.item():.3f} (entropy floor {Language.entropy():.3f})")
    return model.to(torch.bfloat16).eval()
