#!/usr/bin/env python3
"""CPU decode against the machine's read bandwidth: decode reads every active weight once per
token, so its ceiling is (read bandwidth) / (bytes per token). Measures both in one run on the
`large` test model (1024 hidden, 104 experts, top-8; ~3 GB, made if missing), default map.

    .venv/bin/python bench/cpu_decode_roofline.py [--threads N] [--model DIR] [--against BUILD]
                                                  [--cpu-kernels-ab]

With --against BUILD (another build tree, e.g. of an older commit: its bin/axe-compile and
bin/axe-run) both builds compile and decode the same model in this one run, alternating
(this, other, this, other, ...) for --rounds rounds, and the record gives each one's best and the
ratio; that is how a change is checked not to slow decode down.

With --cpu-kernels-ab the one artifact runs with its x86-64-v3 and its x86-64-v4 (AVX-512) CPU
kernels, alternating the same way, and the record gives each one's decode and prefill and the ratio.

Bandwidth: a torch sum over 1 GiB of f32 with the same thread count, best of 5. Bytes per token:
every weight in the artifact except the embedding table (one row is read) and the routed experts
not chosen (top-k of E). The record goes to bench/results/cpu_decode_roofline.txt
(with --against: cpu_decode_roofline-against.txt).
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open

ROOT = Path(__file__).resolve().parents[1]
DTYPE_BYTES = {"F8_E4M3": 1, "BF16": 2, "F16": 2, "F32": 4, "I32": 4, "I64": 8, "U8": 1, "I8": 1}


def read_bandwidth(threads: int) -> float:
    torch.set_num_threads(threads)
    a = torch.ones(2**28, dtype=torch.float32)
    a.sum()
    best = 0.0
    for _ in range(5):
        start = time.perf_counter()
        a.sum()
        best = max(best, a.numel() * 4 / (time.perf_counter() - start))
    return best


def source_commit(build: Path) -> str:
    """The commit a build tree was configured from (its CMake source directory's HEAD)."""
    cache = build / "CMakeCache.txt"
    found = re.search(r"^CMAKE_HOME_DIRECTORY:INTERNAL=(.*)$", cache.read_text(), re.M) if cache.exists() else None
    if not found:
        return "unknown"
    source = found.group(1)
    return subprocess.run(["git", "-C", source, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "unknown"


def bytes_per_token(artifact: Path, model_dir: Path) -> tuple[int, int]:
    """(bytes read per decode token, all weight bytes)."""
    config = json.loads((model_dir / "config.json").read_text())
    config = config.get("text_config", config)
    chosen = config["num_experts_per_tok"] / config["num_experts"]
    total = active = 0.0
    with safe_open(artifact / "weights.safetensors", "np") as st:
        for name in st.keys():
            t = st.get_slice(name)
            size = int(np.prod(t.get_shape())) * DTYPE_BYTES[t.get_dtype()]
            total += size
            if "embed_tokens" in name:
                continue
            active += size * (chosen if ".experts." in name else 1.0)
    return int(active), int(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--model", type=Path, default=ROOT / "build/test-models/large")
    parser.add_argument("--against", type=Path, help="another build tree to measure in the same run")
    parser.add_argument("--rounds", type=int, default=3, help="decode runs of each build with --against")
    parser.add_argument("--cpu-kernels-ab", action="store_true",
                        help="compare the artifact's x86-64-v3 and x86-64-v4 CPU kernels instead")
    args = parser.parse_args()
    if args.cpu_kernels_ab:
        return cpu_kernels_ab(args)
    if not (args.model / "config.json").exists():
        subprocess.run([str(ROOT / ".venv/bin/python"), str(ROOT / "test/models/make_test_models.py"),
                        "--out", str(args.model.parent), "--only", "large"], check=True)
    builds = [("this tree", ROOT / "build")] + ([("--against", args.against)] if args.against else [])
    decodes: dict[str, list[float]] = {name: [] for name, _ in builds}
    with tempfile.TemporaryDirectory() as tmp:
        artifacts = {}
        for i, (name, build) in enumerate(builds):
            artifacts[name] = Path(tmp) / f"large{i}.axe"
            subprocess.run([str(build / "bin/axe-compile"), str(args.model), "-o", str(artifacts[name])],
                           check=True, capture_output=True)
        active, total = bytes_per_token(artifacts[builds[0][0]], args.model)
        prompt = ",".join(str(i * 7 % 60000) for i in range(256))
        for round_ in range(args.rounds if args.against else 1):
            # Alternating which goes first removes an order bias (a warm page cache, a cooler CPU).
            for name, build in (builds if round_ % 2 == 0 else builds[::-1]):
                out = subprocess.run([str(build / "bin/axe-run"), str(artifacts[name]), "--prompt-ids", prompt,
                                      "--max-tokens", "64", "--ignore-eos", "--threads", str(args.threads)],
                                     check=True, capture_output=True, text=True).stdout
                decodes[name].append(float(re.search(r"decode: .*?([\d.]+) tok/s", out).group(1)))
    decode = max(decodes[builds[0][0]])
    bandwidth = read_bandwidth(args.threads)
    achieved = decode * active
    lines = [f"{args.model.name}, default map, {args.threads} threads ({os.cpu_count()} cores)",
             f"weights {total / 1e6:.0f} MB, read per decode token {active / 1e6:.0f} MB",
             f"read bandwidth (torch sum, 1 GiB, best of 5): {bandwidth / 1e9:.1f} GB/s "
             f"-> ceiling {bandwidth / active:.1f} tok/s",
             f"axe decode: {decode:.1f} tok/s = {achieved / 1e9:.1f} GB/s = {achieved / bandwidth:.0%} of the read roofline"]
    if args.against:
        other = max(decodes["--against"])
        mean = {name: sum(d) / len(d) for name, d in decodes.items()}
        lines += [f"this tree ({source_commit(ROOT / 'build')}), {args.rounds} runs: "
                  + ", ".join(f"{d:.1f}" for d in decodes["this tree"]) + " tok/s",
                  f"--against {args.against} ({source_commit(args.against)}), {args.rounds} runs: "
                  + ", ".join(f"{d:.1f}" for d in decodes["--against"]) + " tok/s",
                  f"this tree / --against: best {decode:.1f} / {other:.1f} = {decode / other:.3f}, "
                  f"mean {mean['this tree']:.1f} / {mean['--against']:.1f} = {mean['this tree'] / mean['--against']:.3f}"]
    print("\n".join(lines))
    record = "cpu_decode_roofline-against.txt" if args.against else "cpu_decode_roofline.txt"
    (ROOT / "bench/results" / record).write_text(
        f"# {datetime.date.today()} torch {torch.__version__}\n" + "\n".join(lines) + "\n")


def cpu_kernels_ab(args) -> None:
    """One artifact, its two CPU libraries, alternating runs: decode and prefill tok/s of each."""
    runs = {"x86-64-v3": [], "x86-64-v4": []}
    prompt = ",".join(str(i * 7 % 60000) for i in range(256))
    with tempfile.TemporaryDirectory() as tmp:
        artifact = Path(tmp) / "large.axe"
        subprocess.run([str(ROOT / "build/bin/axe-compile"), str(args.model), "-q", "-o", str(artifact)],
                       check=True, capture_output=True)
        for round_ in range(args.rounds):
            for target in (list(runs) if round_ % 2 == 0 else list(runs)[::-1]):
                out = subprocess.run([str(ROOT / "build/bin/axe-run"), str(artifact), "--prompt-ids", prompt,
                                      "--max-tokens", "64", "--ignore-eos", "--threads", str(args.threads),
                                      "--cpu-kernels", target], check=True, capture_output=True, text=True).stdout
                found = re.search(r"prefill: .*?([\d.]+) tok/s; decode: .*?([\d.]+) tok/s", out)
                runs[target].append((float(found.group(1)), float(found.group(2))))
    lines = [f"{args.model.name}, default map, {args.threads} threads, {args.rounds} alternating runs of each "
             f"CPU library (prefill 256 tokens, decode 64)"]
    for target, r in runs.items():
        lines.append(f"{target}: prefill " + ", ".join(f"{p:.1f}" for p, _ in r) + " tok/s; decode "
                     + ", ".join(f"{d:.1f}" for _, d in r) + " tok/s")
    best = {t: (max(p for p, _ in r), max(d for _, d in r)) for t, r in runs.items()}
    mean = {t: (sum(p for p, _ in r) / len(r), sum(d for _, d in r) / len(r)) for t, r in runs.items()}
    for i, what in enumerate(["prefill", "decode"]):
        lines.append(f"v4 / v3 {what}: best {best['x86-64-v4'][i]:.1f} / {best['x86-64-v3'][i]:.1f} = "
                     f"{best['x86-64-v4'][i] / best['x86-64-v3'][i]:.3f}, mean {mean['x86-64-v4'][i]:.1f} / "
                     f"{mean['x86-64-v3'][i]:.1f} = {mean['x86-64-v4'][i] / mean['x86-64-v3'][i]:.3f}")
    print("\n".join(lines))
    with open(ROOT / "bench/results/cpu_kernels_v3_v4.txt", "a") as f:
        f.write(f"# {datetime.date.today()}\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
