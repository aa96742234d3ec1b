#!/usr/bin/env python3
"""axe on the CPU against the peers users pick, in one run on one checkpoint: llama.cpp (GGUF BF16
and Q8_0, built here from the llama-cpp-python sdist) and transformers (fp32, bf16), with the same
thread counts; and axe against the machine's read bandwidth measured in the same run.

    .venv/bin/python bench/cpu_peers.py [--threads 1,2] [--model DIR] [--rounds N]
                                        [--no-llama-cpp] [--no-transformers]

The model defaults to the `large` test checkpoint (made if missing): 8 layers with the real layer
pattern (3 Gated DeltaNet + 1 gated attention, twice), hidden 1024, 104 experts of 512, top-8,
vocab 64K: 1.5 B parameters, 1.3 GB of FP8 expert weights under axe's default map.

Per thread count:
  - read bandwidth: a torch sum over 1 GiB of f32, best of 5; the decode roofline is that divided
    by the bytes one decode token reads (every weight but the embedding table and the unchosen
    routed experts);
  - prefill: 512 random prompt tokens, tokens/s (axe-run bench pp512, llama-bench pp512,
    transformers one forward);
  - decode: 64 tokens after a short prompt, tokens/s (axe-run bench tg64, llama-bench tg64,
    transformers greedy with its KV cache);
  - axe's batched decode: --clients 1, 16 and 64 clients through one engine (16-token prompts, 32
    tokens out each), output tokens/s.
Each engine runs --rounds times per thread count, alternating the order, and the best is kept.
The table goes to bench/results/cpu_peers.md with the date.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import llama_cpp_peer as llama_cpp  # noqa: E402
from cpu_decode_roofline import bytes_per_token, read_bandwidth  # noqa: E402
from cpu_generate import transformers_speed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROMPT, TOKENS = 512, 64
CLIENTS = (1, 16, 64)


def axe_bench(artifact: Path, threads: int, args: list) -> dict:
    out = subprocess.run([str(ROOT / "build/bin/axe-run"), "bench", str(artifact), "--threads", str(threads),
                          "--format", "json", *args], check=True, capture_output=True, text=True).stdout
    return {(r["test"], r.get("clients", 0)): r["tokens_per_s"] for r in json.loads(out)["results"]}


def axe_speed(artifact: Path, threads: int) -> tuple[float, float]:
    r = axe_bench(artifact, threads, ["-p", str(PROMPT), "-n", str(TOKENS), "-c", "0", "-r", "2", "--warmup", "1"])
    return r[(f"pp{PROMPT}", 0)], r[(f"tg{TOKENS}", 0)]


def axe_batched(artifact: Path, threads: int) -> dict:
    r = axe_bench(artifact, threads, ["-p", "0", "-n", "0", "-c", ",".join(map(str, CLIENTS)),
                                      "--serve-prompt", "16", "--serve-tokens", "32", "--rounds", "1"])
    return {c: r[("serve", c)] for c in CLIENTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default=f"1,{os.cpu_count()}" if os.cpu_count() > 1 else "1",
                        help="comma-separated thread counts (default: 1 and every core)")
    parser.add_argument("--model", type=Path, default=ROOT / "build/test-models/large")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each engine per thread count")
    parser.add_argument("--no-llama-cpp", action="store_true")
    parser.add_argument("--no-transformers", action="store_true")
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    if not (args.model / "config.json").exists():
        subprocess.run([sys.executable, str(ROOT / "test/models/make_test_models.py"),
                        "--out", str(args.model.parent), "--only", args.model.name], check=True)

    engines = {}  # name -> callable(threads) -> (prefill tok/s, decode tok/s)
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        artifacts = {}
        for policy in ("default", "bf16"):
            artifacts[policy] = Path(tmp) / f"{policy}.axe"
            subprocess.run([str(ROOT / "build/bin/axe-compile"), str(args.model), "-q", f"--precision={policy}",
                            "-o", str(artifacts[policy])], check=True)
            engines[f"axe {policy}"] = lambda t, a=artifacts[policy]: axe_speed(a, t)
        if not args.no_llama_cpp:
            try:
                for outtype, name in (("q8_0", "Q8_0"), ("bf16", "BF16")):
                    g = llama_cpp.gguf(args.model, outtype)
                    engines[f"llama.cpp {name}"] = lambda t, g=g: llama_cpp.bench(g, t, PROMPT, TOKENS, 2)
                llama_cpp.llama_bench()
            except (RuntimeError, subprocess.CalledProcessError) as e:
                notes.append(f"llama.cpp could not run this model: {str(e).splitlines()[0]}")
        if not args.no_transformers:
            vocab = json.loads((args.model / "config.json").read_text())["vocab_size"]
            prompt = np.random.default_rng(0).integers(0, vocab, PROMPT).tolist()
            for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
                engines[f"transformers {name}"] = (
                    lambda t, d=dtype: transformers_speed(args.model, d, prompt, TOKENS))

        active, total = bytes_per_token(artifacts["default"], args.model)
        results, bandwidth, batched = {}, {}, {}
        for t in threads:
            torch.set_num_threads(t)
            bandwidth[t] = read_bandwidth(t)
            for round_ in range(args.rounds):
                order = list(engines) if round_ % 2 == 0 else list(engines)[::-1]
                for name in order:
                    print(f"[{t} threads, round {round_ + 1}] {name}", file=sys.stderr, flush=True)
                    p, d = engines[name](t)
                    best = results.get((name, t), (0.0, 0.0))
                    results[(name, t)] = (max(best[0], p), max(best[1], d))
                got = axe_batched(artifacts["default"], t)
                batched[t] = {c: max(batched.get(t, {}).get(c, 0.0), r) for c, r in got.items()}

    lines = table(args, threads, engines, results, bandwidth, batched, active, total) + [f"- {n}" for n in notes]
    print("\n".join(lines))
    (ROOT / "bench/results/cpu_peers.md").write_text("\n".join(lines) + "\n")


def cpu_name() -> str:
    """The CPU's model name and its widest vector instructions: runs on different hosts differ."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                platform.processor() or platform.machine())
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    have = [f for f in ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16") if f in flags]
    return f"{name} ({', '.join(have) or 'no AVX2'})"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def table(args, threads, engines, results, bandwidth, batched, active, total) -> list:
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    lines = [f"# CPU peers, {datetime.date.today()}",
             "",
             f"`bench/cpu_peers.py`, axe {commit}, llama.cpp from llama-cpp-python {llama_cpp.SDIST_VERSION}, "
             f"torch {torch.__version__}; {cpu_name()}, {os.cpu_count()} cores; "
             f"model `{args.model.name}`: {total / 1e6:.0f} MB of weights under axe's default map, "
             f"{active / 1e6:.0f} MB read per decode token; prefill {PROMPT} tokens, decode {TOKENS} tokens; "
             f"best of {args.rounds} round(s).",
             "",
             "| engine / format | threads | prefill tok/s | decode tok/s |",
             "|---|---:|---:|---:|"]
    for t in threads:
        for name in engines:
            p, d = results[(name, t)]
            lines.append(f"| {name} | {t} | {p:.1f} | {d:.1f} |")
    lines += ["", "| threads | read GB/s | decode roofline tok/s | axe default decode: share of roofline | "
              "axe default / llama.cpp Q8_0 (prefill, decode) | axe bf16 / llama.cpp BF16 (prefill, decode) | "
              "axe default / transformers fp32 prefill | axe batched decode c=1 / c=16 / c=64 tok/s | c=64 / c=1 |",
              "|---:|---:|---:|---:|---|---|---:|---|---:|"]
    for t in threads:
        roof = bandwidth[t] / active
        axe_default, axe_bf16 = results[("axe default", t)], results[("axe bf16", t)]
        q8, bf16 = results.get(("llama.cpp Q8_0", t), (0, 0)), results.get(("llama.cpp BF16", t), (0, 0))
        fp32 = results.get(("transformers fp32", t), (0, 0))
        b = batched[t]
        lines.append(f"| {t} | {bandwidth[t] / 1e9:.1f} | {roof:.1f} | {axe_default[1] / roof:.0%} | "
                     f"{ratio(axe_default[0], q8[0])}, {ratio(axe_default[1], q8[1])} | "
                     f"{ratio(axe_bf16[0], bf16[0])}, {ratio(axe_bf16[1], bf16[1])} | "
                     f"{ratio(axe_default[0], fp32[0])} | "
                     + " / ".join(f"{b[c]:.1f}" for c in CLIENTS) + f" | {ratio(b[CLIENTS[-1]], b[CLIENTS[0]])} |")
    return lines


if __name__ == "__main__":
    main()
