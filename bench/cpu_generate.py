#!/usr/bin/env python3
"""CPU generation speed of axe against transformers (the peer) on the same model, prompt and
machine, in one run: prefill and decode tokens per second, and their ratio.

    .venv/bin/python bench/cpu_generate.py [--model tiny-text] [--prompt 128] [--tokens 128] [--threads N]

axe runs the artifact under the bf16 and default (FP8) policies; transformers runs the checkpoint in
bf16 and fp32 with the same thread count (torch.set_num_threads), greedy, KV cache on. The record
goes to bench/results/cpu_generate-MODEL-pPROMPT-tTOKENS.txt.
"""
import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def axe_speed(model: Path, policy: str, prompt: list, tokens: int, threads: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        artifact = Path(tmp) / "model.axe"
        subprocess.run([str(ROOT / "build/bin/axe-compile"), str(model), "-o", str(artifact), f"--precision={policy}"],
                       check=True, capture_output=True)
        out = subprocess.run([str(ROOT / "build/bin/axe-run"), str(artifact), "--prompt-ids", ",".join(map(str, prompt)),
                              "--max-tokens", str(tokens), "--ignore-eos", "--threads", str(threads)],
                             check=True, capture_output=True, text=True).stdout
    m = re.search(r"prefill: .*?([\d.]+) tok/s; decode: .*?([\d.]+) tok/s", out)
    if not m:
        raise SystemExit(f"axe-run printed no speeds:\n{out}")
    return float(m.group(1)), float(m.group(2))


def transformers_speed(model: Path, dtype: torch.dtype, prompt: list, tokens: int) -> tuple[float, float]:
    from transformers import AutoConfig, Qwen3_5MoeForCausalLM, Qwen3_5MoeForConditionalGeneration
    cls = (Qwen3_5MoeForConditionalGeneration if AutoConfig.from_pretrained(model).model_type == "qwen3_5_moe"
           else Qwen3_5MoeForCausalLM)
    lm = cls.from_pretrained(model, dtype=dtype).eval()
    ids = torch.tensor([prompt])
    with torch.no_grad():
        lm(input_ids=ids)  # warm-up
        start = time.perf_counter()
        out = lm(input_ids=ids, use_cache=True)
        prefill = time.perf_counter() - start
        cache, token = out.cache, out.logits[:, -1:].argmax(-1)
        start = time.perf_counter()
        for _ in range(tokens - 1):
            out = lm(input_ids=token, cache=cache, use_cache=True)
            cache, token = out.cache, out.logits[:, -1:].argmax(-1)
        decode = time.perf_counter() - start
    return len(prompt) / prefill, (tokens - 1) / decode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny-text", help="a model under build/test-models, or a path")
    parser.add_argument("--prompt", type=int, default=128)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    model = Path(args.model) if Path(args.model).is_dir() else ROOT / "build/test-models" / args.model
    torch.set_num_threads(args.threads)
    vocab = int(re.search(r'"vocab_size": (\d+)', (model / "config.json").read_text()).group(1))
    prompt = np.random.default_rng(0).integers(0, vocab, args.prompt).tolist()

    rows = [(f"axe {p}", *axe_speed(model, p, prompt, args.tokens, args.threads)) for p in ("bf16", "default")]
    rows += [(f"transformers {name}", *transformers_speed(model, dtype, prompt, args.tokens))
             for name, dtype in (("bf16", torch.bfloat16), ("fp32", torch.float32))]
    peer = {name: (p, d) for name, p, d in rows}["transformers bf16"]
    lines = [f"{args.model}, prompt {args.prompt}, {args.tokens} tokens, {args.threads} threads "
             f"({platform.machine()}, {os.cpu_count()} cores)",
             f"{'':22} {'prefill tok/s':>14} {'decode tok/s':>13} {'vs transformers bf16':>22}"]
    for name, p, d in rows:
        lines.append(f"{name:22} {p:14.1f} {d:13.1f} {p / peer[0]:9.2f}x / {d / peer[1]:.2f}x")
    print("\n".join(lines))
    out = ROOT / f"bench/results/cpu_generate-{model.name}-p{args.prompt}-t{args.tokens}.txt"
    out.write_text(f"# {datetime.date.today()} torch {torch.__version__}\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
