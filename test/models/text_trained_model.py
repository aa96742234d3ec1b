"""`text-trained`: the Qwen3.5-MoE architecture scaled down and trained on real English text.

Precision claims need a model whose weights and activations look like a real one's: peaked routers,
outlier channels, confident predictions where text is predictable. Random weights have none of that,
and `tiny-trained` learned a synthetic language. This model learns the Python documentation.

Text: the reStructuredText sources of the Python 3.11 documentation as Debian's `python3.11-doc`
package ships them (/usr/share/doc/python3.11/html/_sources, ~12 MB of English prose and code; the
Python Software Foundation License, /usr/share/doc/python3.11-doc/copyright). scripts/setup.sh
installs the package. Every tenth file (in sorted order) is held out: `eval_text()` is what the
fidelity tests score, text the model never saw.

Model: every mixer of the real architecture in its 3:1 pattern (three Gated DeltaNet layers, then
gated full attention), 16 routed experts (top 4) plus the gated shared expert, a byte-level BPE
tokenizer of 4,096 tokens trained on the same text with Qwen3.5's pre-tokenizer (NFC, its split
regex, byte-level). 3.2 M text parameters, trained from a fixed seed for STEPS steps of BATCH x LENGTH
tokens (~4 minutes on two cores); saved in BF16 with the multimodal checkpoint layout of the real
release, tokenizer.json alongside.
"""
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

import random_models as rm

CORPUS = Path("/usr/share/doc/python3.11/html/_sources")
VOCAB = 4096
STEPS, BATCH, LENGTH, LEARNING_RATE, WARMUP = 520, 8, 256, 2e-3, 40
SEED = 17

CONFIG = rm.text_config(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                        head_dim=64, linear_num_key_heads=2, linear_num_value_heads=4, linear_key_head_dim=32,
                        linear_value_head_dim=32, num_experts=16, num_experts_per_tok=4, moe_intermediate_size=64,
                        shared_expert_intermediate_size=128, vocab_size=VOCAB, initializer_range=0.03,
                        mrope_section=(3, 3, 2))

# Qwen3.5's pre-tokenizer split (test/models/make_qwen_tokenizer.py converts the real one).
SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|"
         r"\s*[\r\n]+|\s+(?!\S)|\s+")
END_OF_TEXT = "<|endoftext|>"


def corpus_files() -> list[Path]:
    files = sorted(CORPUS.rglob("*.txt"))
    if not files:
        raise SystemExit(f"text-trained: no text under {CORPUS}: install Debian's python3.11-doc "
                         "(scripts/setup.sh does)")
    return files


def corpus_digest() -> str:
    h = hashlib.sha256()
    for f in corpus_files():
        h.update(str(f.relative_to(CORPUS)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _texts(held_out: bool) -> list[str]:
    return [f.read_text(encoding="utf-8", errors="replace") for i, f in enumerate(corpus_files())
            if (i % 10 == 9) == held_out]


def eval_text() -> str:
    """The held-out tenth of the corpus, documents separated by blank lines."""
    return "\n\n".join(_texts(held_out=True))


def train_tokenizer(texts: list[str]):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    tokenizer = Tokenizer(models.BPE(ignore_merges=True))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=[END_OF_TEXT], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer)
    assert tokenizer.get_vocab_size() == VOCAB, tokenizer.get_vocab_size()
    return tokenizer


def train(seed: int = SEED, log=print):
    """(model in BF16, tokenizer), trained from `seed` (the tokenizer does not depend on it)."""
    texts = _texts(held_out=False)
    tokenizer = train_tokenizer(texts)
    eot = tokenizer.token_to_id(END_OF_TEXT)
    ids = []
    for encoding in tokenizer.encode_batch(texts, add_special_tokens=False):
        ids.extend(encoding.ids)
        ids.append(eot)
    stream = torch.tensor(ids, dtype=torch.int64)
    log(f"  corpus: {len(texts)} files, {stream.numel():,} tokens")

    torch.manual_seed(seed)
    model = rm.build(CONFIG, multimodal=True, seed=seed).float().train()
    weights = [p for name, p in model.named_parameters() if ".visual." not in f".{name}"]
    optimizer = torch.optim.AdamW(weights, lr=LEARNING_RATE, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / WARMUP) * 0.5 * (1 + np.cos(np.pi * min(s, STEPS) / STEPS)))
    data = np.random.default_rng(seed)
    for step in range(STEPS):
        starts = data.integers(0, stream.numel() - LENGTH, BATCH)
        batch = torch.stack([stream[s:s + LENGTH] for s in starts])
        loss = model(input_ids=batch, labels=batch).loss  # transformers shifts the labels
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(weights, 1.0)
        optimizer.step()
        schedule.step()
        if step % 100 == 0 or step == STEPS - 1:
            log(f"  step {step}: loss {loss.item():.3f}")
    return model.to(torch.bfloat16).eval(), tokenizer


def save_tokenizer(tokenizer, dst: Path) -> None:
    tokenizer.save(str(dst / "tokenizer.json"))
    (dst / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": END_OF_TEXT, "model_max_length": LENGTH},
        indent=2) + "\n")
