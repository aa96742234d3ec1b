"""The serving engine end to end, on compiled test models (axe-run batch drives it).

Batch invariance: a request's logits are the same bits whatever shares its steps. 16 requests of
different prompt lengths (1 to 200 tokens, so prompts are split into several 64-aligned pieces
under a 144-token step budget) arrive over the first steps and run together; then each runs alone.
Tokens and every sampled logits row must be identical (np.array_equal: no tolerance), for the f32
policy and the bf16 policy, greedy and seeded sampling alike.

Preemption: with a KV pool far too small for the load, requests are preempted and recomputed;
every output (tokens and logits rows) must equal the run with an ample pool.
"""
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from test_cpu_parity import prompt_ids

VOCAB = 512  # the tiny models' vocabulary


def run_batch(axe_run, artifact: Path, requests: list, out: Path, *flags) -> tuple[list, dict, str]:
    """Runs `requests` through one engine; returns the outputs, the logits rows by (request,
    completion) and the summary line."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in requests))
    result = subprocess.run([str(axe_run), "batch", str(artifact), "--requests", str(out / "requests.jsonl"),
                             "--output", str(out / "out.jsonl"), "--dump-logits-dir", str(out), "--threads", "2",
                             *flags], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    outputs = [json.loads(line) for line in (out / "out.jsonl").read_text().splitlines()]
    logits = {}
    for o in outputs:
        for j, _ in enumerate(o["completions"]):
            logits[(o["index"], j)] = np.load(out / f"{o['index']}_{j}.npy")
    return outputs, logits, result.stderr


def mixed_requests() -> list:
    lengths = [3, 17, 64, 65, 100, 130, 5, 200, 1, 33, 77, 128, 150, 9, 90, 40]
    requests = []
    for i, n in enumerate(lengths):
        r = {"prompt_ids": prompt_ids(VOCAB, n, 100 + i), "max_tokens": 6 + i % 5, "arrival_step": i // 3,
             "ignore_eos": True}
        if i % 4 == 1:  # seeded sampling: the same draws whatever the batch
            r.update(temperature=0.9, top_p=0.95, seed=1000 + i)
        if i == 6:
            r["n"] = 2
        requests.append(r)
    return requests


@pytest.mark.parametrize("model,policy", [("tiny", "f32"), ("tiny-trained", "bf16")])
def test_concurrent_requests_equal_each_alone(axe_run, compiled, tmp_path, model, policy):
    artifact = compiled(model, policy)
    flags = ["--max-num-seqs", "16", "--max-num-batched-tokens", "144"]
    requests = mixed_requests()
    together, together_logits, summary = run_batch(axe_run, artifact, requests, tmp_path / "together", *flags)
    steps = int(re.search(r"(\d+) steps", summary).group(1))
    assert steps < sum(r["max_tokens"] for r in requests), summary  # requests did share steps
    for i, r in enumerate(requests):
        alone, alone_logits, _ = run_batch(axe_run, artifact, [dict(r, arrival_step=0)], tmp_path / f"alone{i}", *flags)
        got = together[i]["completions"]
        assert [c["tokens"] for c in got] == [c["tokens"] for c in alone[0]["completions"]], f"request {i}"
        for j in range(len(got)):
            a, b = together_logits[(i, j)], alone_logits[(0, j)]
            assert a.shape == b.shape and np.array_equal(a, b), \
                f"request {i} completion {j}: max |diff| {np.abs(a - b).max()}"


def test_preemption_by_recompute_changes_nothing(axe_run, compiled, tmp_path):
    artifact = compiled("tiny-trained", "default")
    requests = [{"prompt_ids": prompt_ids(VOCAB, 30 + 7 * i, 200 + i), "max_tokens": 40, "ignore_eos": True,
                 "arrival_step": i % 4} for i in range(16)]
    flags = ["--max-num-seqs", "16", "--max-num-batched-tokens", "256"]
    ample, ample_logits, ample_summary = run_batch(axe_run, artifact, requests, tmp_path / "ample", *flags)
    # 16 blocks of 16 positions: room for about two of these sequences at a time.
    tight, tight_logits, tight_summary = run_batch(axe_run, artifact, requests, tmp_path / "tight", *flags,
                                                   "--num-kv-blocks", "16")
    assert " 0 preemptions" in ample_summary, ample_summary
    preemptions = int(re.search(r"(\d+) preemptions", tight_summary).group(1))
    assert preemptions > 0, tight_summary
    assert [o["completions"] for o in tight] == [o["completions"] for o in ample]
    for key, rows in ample_logits.items():
        assert np.array_equal(rows, tight_logits[key]), key
