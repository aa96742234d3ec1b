#!/usr/bin/env python3
"""The serving engine on the CPU: `axe-run bench` on the `large` test model (1024 hidden, 104
experts, top-8; ~3 GB, made if missing), default FP8/BF16 map. Batch-1 prompt processing and
decode, then 1, 16 and 64 concurrent clients, with the weight bytes each decode step reads.

    .venv/bin/python bench/cpu_serving.py [--threads N] [--clients 1,16,64] [--model DIR]

Serving figures: output tokens/s over the whole run (prefill of every prompt included), TTFT and
ITL percentiles, and the decode rate of the batch alone, clients / ITL p50 (every client decodes
one token per step once all prompts are in).

Bytes per decode step at batch B (an estimate from the artifact, not a counter): every weight but
the embedding table, with the routed experts counted at the expected share B tokens touch when
routing spreads evenly, 1 - (1 - k/E)^B (at B = 1: k/E). A decode step that reads each weight once
for the whole batch moves (decode tokens/s / B) x bytes per step; the last column is that, and the
bandwidth a batch-1 decode moves is the reference. The record goes to bench/results/cpu_serving.txt.
"""
import argparse
import datetime
import json
import os
import subprocess
from pathlib import Path

import numpy as np
from safetensors import safe_open

ROOT = Path(__file__).resolve().parents[1]
DTYPE_BYTES = {"F8_E4M3": 1, "BF16": 2, "F16": 2, "F32": 4, "I32": 4, "I64": 8, "U8": 1, "I8": 1}


def weight_bytes(artifact: Path) -> tuple[float, float]:
    """(dense bytes read per step, routed-expert bytes), the embedding table excluded."""
    dense = experts = 0.0
    with safe_open(artifact / "weights.safetensors", "np") as st:
        for name in st.keys():
            t = st.get_slice(name)
            size = float(np.prod(t.get_shape())) * DTYPE_BYTES[t.get_dtype()]
            if "embed_tokens" in name:
                continue
            if ".experts." in name:
                experts += size
            else:
                dense += size
    return dense, experts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--serve-prompt", type=int, default=32)
    parser.add_argument("--serve-tokens", type=int, default=64)
    parser.add_argument("--model", type=Path, default=ROOT / "build/test-models/large")
    args = parser.parse_args()

    subprocess.run([str(ROOT / ".venv/bin/python"), str(ROOT / "test/models/make_test_models.py"),
                    "--out", str(args.model.parent), "--only", args.model.name], check=True)
    artifact = ROOT / "build/bench-artifacts" / f"{args.model.name}-default.axe"
    if not artifact.exists():
        artifact.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(ROOT / "build/bin/axe-compile"), str(args.model), "-o", str(artifact)], check=True,
                       capture_output=True)
    config = json.loads((args.model / "config.json").read_text())
    config = config.get("text_config", config)
    k, experts = config["num_experts_per_tok"], config["num_experts"]
    dense, routed = weight_bytes(artifact)

    out = subprocess.run([str(ROOT / "build/bin/axe-run"), "bench", str(artifact), "-p", "128,512", "-n", "128",
                          "-c", args.clients, "--serve-prompt", str(args.serve_prompt), "--serve-tokens",
                          str(args.serve_tokens), "--rounds", "1", "--threads", str(args.threads), "--format", "json"],
                         check=True, capture_output=True, text=True)
    results = json.loads(out.stdout)["results"]

    def step_bytes(batch: int) -> float:
        return dense + routed * (1 - (1 - k / experts) ** batch)

    lines = [f"# {datetime.date.today()} {os.uname().machine}, {os.cpu_count()} cores, {args.threads} threads; "
             f"{args.model.name} ({(dense + routed) / 1e9:.2f} GB of weights read at most per step), default map",
             f"{'test':<8} {'clients':>7} {'tokens/s':>16} {'TTFT p50/p90/p99 ms':>24} {'ITL p50/p90/p99 ms':>24} "
             f"{'decode tok/s':>12} {'MB/token':>9} {'GB/s of weights':>16}"]
    for r in results:
        if r["test"] == "serve":
            batch = r["clients"]
            per_token = step_bytes(batch) / batch
            decode = batch / (r["itl_ms"][0] / 1e3)
            lines.append(f"{'serve':<8} {batch:>7} {r['tokens_per_s']:>16.1f} "
                         f"{' / '.join(f'{v:.0f}' for v in r['ttft_ms']):>24} "
                         f"{' / '.join(f'{v:.1f}' for v in r['itl_ms']):>24} {decode:>12.1f} {per_token / 1e6:>9.1f} "
                         f"{decode * per_token / 1e9:>16.2f}")
        else:
            rate = f"{r['tokens_per_s']:.1f} ± {r['sd']:.1f}"
            extra = ""
            if r["test"].startswith("tg"):
                extra = (f" {r['tokens_per_s']:>12.1f} {step_bytes(1) / 1e6:>9.1f} "
                         f"{r['tokens_per_s'] * step_bytes(1) / 1e9:>16.2f}")
            lines.append(f"{r['test']:<8} {'':>7} {rate:>16} {'':>24} {'':>24}{extra}")
    text = "\n".join(lines)
    print(text)
    (ROOT / "bench/results").mkdir(exist_ok=True)
    with open(ROOT / "bench/results/cpu_serving.txt", "a") as f:
        f.write(text + "\n\n")


if __name__ == "__main__":
    main()
