"""`tiny-trained`: the tiny architecture trained briefly on the synthetic language.

Random weights make a poor fixture for precision comparisons: their next-token distribution is
nearly flat (mean top-1 probability ~0.13 over 512 tokens), so the top two logits are often within
BF16 rounding of each other and a correct BF16 implementation still flips 2-4 % of greedy choices
against fp32. A trained model is confident where its data is predictable, as real checkpoints are:
after 500 steps this one gives the top token ~0.6 probability and every layer carries information.
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
