"""A model whose layers are all linear attention (Gated DeltaNet) has no KV cache at all: the compiler
writes `kv_block_size: 0`, and the runtime must load and run it with state slots alone bounding the
batch (issue 14 row 8: the loader used to refuse 0, and the engine would have divided by it).

The model is the `tiny` architecture with every layer linear, made here by transformers; the bound is
test_cpu_parity's f32 one (max |logit - ref| <= 1e-3 * max |ref| at every prefill and decode position).
"""
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import Qwen3_5MoeForCausalLM

import random_models as rm
from test_cpu_parity import prompt_ids, run_axe
from test_serving import run_batch

VOCAB = 512
PROMPT_LEN, DECODE_STEPS = 64, 16


@pytest.fixture(scope="module")
def linear_only(tmp_path_factory, axe_compile) -> tuple[Path, Path]:
    """(checkpoint dir, f32 artifact) of the all-linear tiny model."""
    out = tmp_path_factory.mktemp("linear-only")
    text = dict(rm.TINY, layer_types=["linear_attention"] * rm.TINY["num_hidden_layers"])
    model = rm.build(text, multimodal=False, seed=5)
    ckpt = out / "ckpt"
    model.save_pretrained(ckpt, save_original_format=False)
    config = json.loads((ckpt / "config.json").read_text())
    assert set(config["layer_types"]) == {"linear_attention"}, config["layer_types"]
    artifact = out / "model.axe"
    subprocess.run([str(axe_compile), str(ckpt), "-o", str(artifact), "--precision=f32"], check=True,
                   capture_output=True, text=True)
    return ckpt, artifact


def test_manifest_has_no_kv_cache(linear_only):
    manifest = json.loads((linear_only[1] / "manifest.json").read_text())
    assert manifest["kv_block_size"] == 0
    assert not [b["name"] for b in manifest["buffers"] if b["name"].endswith("_cache")]
    assert [b["name"] for b in manifest["buffers"] if b["name"].endswith("_state")]


def test_logits_match_transformers(axe_run, linear_only, tmp_path):
    ckpt, artifact = linear_only
    prompt = prompt_ids(VOCAB, PROMPT_LEN, 7)
    generated, logits = run_axe(axe_run, artifact, prompt, DECODE_STEPS, tmp_path)
    assert len(generated) == DECODE_STEPS
    fed = prompt + generated[:-1]
    assert logits.shape == (len(fed), VOCAB)
    # use_cache=False: transformers' cache cannot tell a sequence length without an attention layer.
    model = Qwen3_5MoeForCausalLM.from_pretrained(ckpt, dtype=torch.float32).eval()
    with torch.no_grad():
        ref = model(input_ids=torch.tensor([fed]), use_cache=False).logits[0].float().numpy()
    err = np.abs(logits - ref).max(-1) / np.abs(ref).max()
    print(f"all-linear tiny: max relative error {err.max():.2e}")
    assert err.max() <= 1e-3, f"position {err.argmax()} is off by {err.max():.2e} of max |ref|"


def test_batch_of_requests(axe_run, linear_only, tmp_path):
    """Several requests share steps with no KV blocks; each is what it would be alone."""
    artifact = linear_only[1]
    lengths = [64, 3, 130, 17, 1]
    requests = [{"prompt_ids": prompt_ids(VOCAB, n, 200 + i), "max_tokens": 5 + i, "ignore_eos": True}
                for i, n in enumerate(lengths)]
    flags = ["--max-num-seqs", "4", "--max-num-batched-tokens", "96"]
    together, together_logits, summary = run_batch(axe_run, artifact, requests, tmp_path / "together", *flags)
    assert "cache: no KV cache (no full-attention layer), 4 state slots" in summary, summary
    assert [len(o["completions"][0]["tokens"]) for o in together] == [r["max_tokens"] for r in requests], summary
    for i, r in enumerate(requests):
        alone, alone_logits, _ = run_batch(axe_run, artifact, [r], tmp_path / f"alone{i}", *flags)
        assert together[i]["completions"][0]["tokens"] == alone[0]["completions"][0]["tokens"], f"request {i}"
        assert np.array_equal(together_logits[(i, 0)], alone_logits[(0, 0)]), f"request {i}"
