#!/usr/bin/env python3
"""Reference logits from Hugging Face transformers, for `axe-run eval --reference-logits`.

    reference_logits.py CHECKPOINT (--text FILE | --ids FILE) --ctx N [--windows N]
                        [--dtype float32|bfloat16] [--device cpu|cuda] -o OUT.safetensors

Cuts the tokens into windows of --ctx exactly as axe-run eval does (the first N * ctx tokens, each
window from an empty cache) and writes a safetensors file with
    input_ids  I32 [windows, ctx]
    logits     F32 [windows, ctx, vocab]
axe-run eval checks the ids against its own tokenization before comparing anything, so a text that
the two tokenizers split differently is an error, not a wrong figure.

Needs torch, transformers, safetensors and tokenizers (the project's .venv has them). The whole
file is built in memory: windows * ctx * vocab * 4 bytes.
"""
import argparse
import re
import sys
from pathlib import Path

import numpy as np


def read_ids(path: Path) -> list:
    items = [t for t in re.split(r"[\s,]+", path.read_text()) if t]
    bad = [t for t in items if not t.isdigit()]
    if bad:
        sys.exit(f"reference_logits: error: --ids: {path}: '{bad[0]}' is not a token id")
    return [int(t) for t in items]


def encode_text(checkpoint: Path, path: Path) -> list:
    from tokenizers import Tokenizer
    tokenizer_file = checkpoint / "tokenizer.json"
    if not tokenizer_file.exists():
        sys.exit(f"reference_logits: error: {checkpoint} has no tokenizer.json: use --ids")
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.encode_special_tokens = True  # special-token text is plain text, as in axe-run eval
    return tokenizer.encode(path.read_bytes().decode("utf-8", errors="replace"), add_special_tokens=False).ids


def load_model(checkpoint: Path, dtype):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    config = AutoConfig.from_pretrained(checkpoint)
    if config.model_type == "qwen3_5_moe":  # the multimodal wrapper; its language model is what runs
        from transformers import Qwen3_5MoeForConditionalGeneration as cls
    else:
        cls = AutoModelForCausalLM
    return cls.from_pretrained(checkpoint, dtype=getattr(torch, dtype)).eval()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint", type=Path)
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", type=Path)
    source.add_argument("--ids", type=Path)
    ap.add_argument("--ctx", type=int, required=True)
    ap.add_argument("--windows", type=int, default=0, help="the first N windows only (default: all)")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where torch runs the model")
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.output.exists():
        sys.exit(f"reference_logits: error: {args.output} already exists")
    if args.ctx < 2:
        sys.exit("reference_logits: error: --ctx must be at least 2")

    import torch
    from safetensors.numpy import save_file
    ids = read_ids(args.ids) if args.ids else encode_text(args.checkpoint, args.text)
    windows = len(ids) // args.ctx
    if args.windows:
        if args.windows > windows:
            sys.exit(f"reference_logits: error: --windows {args.windows}: the input has {windows} windows")
        windows = args.windows
    if windows == 0:
        sys.exit(f"reference_logits: error: {len(ids)} tokens are fewer than one window of {args.ctx}")
    tokens = np.asarray(ids[: windows * args.ctx], dtype=np.int32).reshape(windows, args.ctx)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("reference_logits: error: --device cuda: torch sees no GPU")
    model = load_model(args.checkpoint, args.dtype).to(args.device)
    rows = []
    with torch.no_grad():
        for w in range(windows):
            out = model(input_ids=torch.from_numpy(tokens[w : w + 1].astype(np.int64)).to(args.device))
            rows.append(out.logits[0].float().cpu().numpy())
    save_file({"input_ids": tokens, "logits": np.stack(rows).astype(np.float32)}, str(args.output))
    print(f"{args.output}: {windows} windows of {args.ctx} tokens, vocab {rows[0].shape[-1]}")


if __name__ == "__main__":
    main()
