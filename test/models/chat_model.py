"""`tiny-chat`: the tiny architecture with Qwen3.5's real 248,320-token vocabulary, trained to answer
every chat turn with one scripted reply that exercises the server's parsers: reasoning, content, and
a qwen3_coder tool call, then <|im_end|>.

A random model emits random text, which tests nothing about reasoning or tool-call parsing; this one
emits real, deterministic model output through the whole stack (tokenizer, chat format, engine,
detokenizer, parsers). Prompts are varied token sequences wrapped in the ChatML turn the chat format
renders (user turns, optional system turns and tool sections), ending with the thinking-on
generation prompt `<|im_start|>assistant\n<think>\n`; the loss is on the reply only.
"""
import json
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

import random_models as rm

REPLY = ("The user asks about the weather. I will call the tool.\n</think>\n\n"
         "Let me check.\n\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n"
         "<parameter=days>\n3\n</parameter>\n</function>\n</tool_call><|im_end|>")
VOCAB = 248320  # the embedding's padded size (spec §1)
STEPS, BATCH, LEARNING_RATE, MAX_STEPS = 300, 8, 3e-3, 1200
FILLER = (200, 3200)  # ids of ordinary word pieces used as user text in training
CHAT = dict(rm.TINY_TRAINED, vocab_size=VOCAB)


def _ids(tok: Tokenizer, text: str) -> list[int]:
    return tok.encode(text, add_special_tokens=False).ids


SYSTEMS = ["", "You are helpful.", "# Tools\n\nYou may call one or more functions to assist with the user query."]


def _prompt(tok: Tokenizer, rng: np.random.Generator, words: np.ndarray, length: int, system: str) -> list[int]:
    """A rendered conversation: an optional system turn, a user turn of `length` filler tokens, and
    the generation prompt."""
    head = _ids(tok, f"<|im_start|>system\n{system}<|im_end|>\n") if system else []
    filler = rng.choice(words, size=length).tolist()
    return head + _ids(tok, "<|im_start|>user\n") + filler + _ids(tok, "<|im_end|>\n<|im_start|>assistant\n<think>\n")


def generate(model, prompt: list[int], steps: int) -> list[int]:
    ids = torch.tensor([prompt])
    with torch.no_grad():
        for _ in range(steps):
            nxt = model(input_ids=ids, logits_to_keep=1).logits[0, -1].argmax()
            ids = torch.cat([ids, nxt.view(1, 1)], dim=1)
    return ids[0, len(prompt):].tolist()


def train(tokenizer_json: Path, seed: int = 21, log=print) -> torch.nn.Module:
    """Trains on a compact vocabulary (the ids the prompts and the reply use), then spreads the
    weights over the real one: a 248,320-row embedding and head would make every step 100x
    dearer. Unused ids get the embedding of a random filler id (any user text looks like filler)
    and a zero head row (logit 0, below the trained tokens' where the reply is decided)."""
    tok = Tokenizer.from_file(str(tokenizer_json))
    reply = _ids(tok, REPLY)
    words = np.arange(FILLER[0], FILLER[1])
    rng = np.random.default_rng(seed)
    shapes = [(length, system) for length in range(3, 40) for system in SYSTEMS]
    used = sorted(set(words.tolist()) | set(reply) |
                  {i for system in SYSTEMS for i in _prompt(tok, rng, words[:1], 1, system)})
    compact = {v: i for i, v in enumerate(used)}
    to_compact = np.zeros(VOCAB, dtype=np.int64)
    to_compact[used] = np.arange(len(used))

    torch.manual_seed(seed)
    small = rm.build(dict(CHAT, vocab_size=len(used)), multimodal=False, seed=seed).float().train()
    optimizer = torch.optim.AdamW(small.parameters(), lr=LEARNING_RATE, weight_decay=0.0)
    reply_c = [compact[i] for i in reply]
    step = 0
    while True:
        for _ in range(STEPS):
            # One prompt shape per batch, so the rows have one length and need no padding.
            length, system = shapes[int(rng.integers(len(shapes)))]
            rows = [to_compact[_prompt(tok, rng, words, length, system)].tolist() + reply_c for _ in range(BATCH)]
            batch = torch.tensor(rows)
            logits = small(input_ids=batch, logits_to_keep=len(reply) + 1).logits[:, :-1]
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(used)),
                                                     batch[:, -len(reply):].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 100 == 0:
                log(f"  step {step}: reply loss {loss.item():.4f}")
            step += 1
        model = _spread(small, used, words, rng)
        probe = [_prompt(tok, np.random.default_rng(seed + k), np.arange(30000, 60000), 5 + 7 * k, SYSTEMS[k])
                 for k in range(3)]  # fillers never trained on
        if all(generate(model, p, len(reply)) == reply for p in probe):
            log(f"  step {step}: the scripted reply is reproduced greedily")
            return model.to(torch.bfloat16).eval()
        if step >= MAX_STEPS:
            raise SystemExit("tiny-chat: training did not learn the scripted reply")


def _spread(small, used: list, words: np.ndarray, rng: np.random.Generator):
    model = rm.build(CHAT, multimodal=False, seed=0).float()
    state = small.state_dict()
    full = model.state_dict()
    for name, value in state.items():
        if value.shape[0] == len(used) and ("embed_tokens" in name or "lm_head" in name):
            if "embed_tokens" in name:
                pick = torch.from_numpy(rng.choice([used.index(int(w)) for w in words[:512]], size=VOCAB))
                rows = value[pick].clone()
            else:
                rows = torch.zeros(VOCAB, value.shape[1])
            rows[used] = value
            full[name] = rows
        else:
            full[name] = value
    model.load_state_dict(full)
    return model.eval()


def write(dst: Path, tokenizer_dir: Path) -> None:
    model = train(tokenizer_dir / "tokenizer.json")
    model.generation_config.eos_token_id = [248046, 248044]  # <|im_end|>, <|endoftext|> (spec §6)
    model.save_pretrained(dst)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (tokenizer_dir / name).exists():
            (dst / name).write_bytes((tokenizer_dir / name).read_bytes())
    config = json.loads((dst / "config.json").read_text())
    config["eos_token_id"] = 248044
    (dst / "config.json").write_text(json.dumps(config, indent=2) + "\n")
