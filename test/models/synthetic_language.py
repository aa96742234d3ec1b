"""A small synthetic language for training the `tiny-trained` test model.

Each token has three possible successors with probabilities 0.6, 0.25 and 0.15; which successor gets
which probability rotates with the token two positions back. A model has to carry that earlier token
through its mixers (convolution, delta rule or attention) to reach the entropy floor, so training
exercises every layer, not only the embedding and the head.
"""
import math

import numpy as np

SUCCESSOR_PROBS = np.array([0.6, 0.25, 0.15])


class Language:
    def __init__(self, vocab: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.vocab = vocab
        self.successors = np.stack([rng.choice(vocab, len(SUCCESSOR_PROBS), replace=False) for _ in range(vocab)])

    def sample(self, count: int, length: int, rng: np.random.Generator) -> np.ndarray:
        """`count` sequences of `length` tokens; the first token is uniform."""
        out = np.empty((count, length), dtype=np.int64)
        out[:, 0] = rng.integers(0, self.vocab, count)
        cumulative = np.cumsum(SUCCESSOR_PROBS)
        for t in range(1, length):
            rank = (rng.random(count)[:, None] > cumulative[None, :]).sum(1)
            before = out[:, t - 2] if t >= 2 else np.zeros(count, dtype=np.int64)
            out[:, t] = self.successors[out[:, t - 1], (rank + before) % len(SUCCESSOR_PROBS)]
        return out

    @staticmethod
    def entropy() -> float:
        """Nats per token of every token after the second: the loss a perfect model reaches."""
        return -sum(p * math.log(p) for p in SUCCESSOR_PROBS)
