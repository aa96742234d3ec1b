"""axe on the CPU against Hugging Face transformers (fp32, CPU), end to end: axe-compile writes the
artifact, axe-run generates and dumps its logits, transformers scores the same token sequence.

Bounds:
  f32 policy   max |logit - ref| <= 1e-3 * max |ref| at every prefill and decode position;
  bf16 policy  mean KL <= 1e-3 per prompt and at most 7 greedy flips in 8 x 64 decode steps, on
               `tiny-trained` (trained on a synthetic language; prompts drawn from it). A
               random model is no fixture for top-1: BF16 rounding alone (transformers' own model
               with every activation rounded to BF16) flips 1.5 % of a flat random model's greedy
               choices and 13 % of `tiny`'s, against 0.2 % of tiny-trained's
               (bench/bf16_rounding_floor.py);
  FP8 (default) against axe's bf16 on the same tokens: see test_fp8_against_bf16; the FP8 KV cache
               against the BF16 one: see test_fp8_kv_cache.
"""
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from synthetic_language import Language


PROMPT_LEN, DECODE_STEPS = 64, 64
# The f32 prompts cross the CPU GEMMs' 64-token cache tile and end in a partial one.
F32_PROMPT_LEN = 150


def run_axe(axe_run, artifact: Path, prompt, steps: int, tmp_path: Path, *extra) -> tuple[list, np.ndarray]:
    """Greedy generation; returns the generated ids and one logits row per token fed."""
    dump = tmp_path / f"logits-{os.getpid()}-{len(list(tmp_path.iterdir()))}.npy"
    result = subprocess.run([str(axe_run), str(artifact), "--prompt-ids", ",".join(map(str, prompt)),
                             "--max-tokens", str(steps), "--ignore-eos", "--dump-logits", str(dump), *extra],
                            check=True, capture_output=True, text=True)
    generated = [int(t) for t in result.stdout.split("\n")[0].replace(",", " ").split()]
    return generated, np.load(dump)


def hf_logits(model_dir: Path, ids) -> np.ndarray:
    """transformers' fp32 logits of every position of `ids`, in one forward."""
    from transformers import AutoConfig, Qwen3_5MoeForCausalLM, Qwen3_5MoeForConditionalGeneration
    cls = (Qwen3_5MoeForConditionalGeneration if AutoConfig.from_pretrained(model_dir).model_type == "qwen3_5_moe"
           else Qwen3_5MoeForCausalLM)
    model = cls.from_pretrained(model_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        return model(input_ids=torch.tensor([list(ids)])).logits[0].float().numpy()


def prompt_ids(vocab: int, n: int, seed: int) -> list:
    return np.random.default_rng(seed).integers(0, vocab, n).tolist()


def language_ids(vocab: int, n: int, seed: int) -> list:
    """A prompt in the language `tiny-trained` learned."""
    return Language(vocab).sample(1, n, np.random.default_rng(seed))[0].tolist()


def kl_and_top1(logits, ref) -> tuple[float, float]:
    p = torch.log_softmax(torch.from_numpy(ref).double(), -1)
    q = torch.log_softmax(torch.from_numpy(logits).double(), -1)
    kl = (p.exp() * (p - q)).sum(-1).mean().item()
    top1 = (logits.argmax(-1) == ref.argmax(-1)).mean()
    return kl, float(top1)


@pytest.mark.parametrize("model,seed", [("tiny", 0), ("tiny", 1), ("tiny-text", 2)])
def test_f32_policy_matches_transformers(axe_run, compiled, models, tmp_path, model, seed):
    vocab = 512 if model == "tiny" else 768
    prompt = prompt_ids(vocab, F32_PROMPT_LEN, seed)
    generated, logits = run_axe(axe_run, compiled(model, "f32"), prompt, DECODE_STEPS, tmp_path)
    assert len(generated) == DECODE_STEPS
    fed = prompt + generated[:-1]
    assert logits.shape == (len(fed), vocab)
    ref = hf_logits(models / model, fed)
    # axe's greedy choices are transformers' own (ties aside): the sequences agree.
    assert (logits.argmax(-1) == ref.argmax(-1)).mean() > 0.99
    err = np.abs(logits - ref).max(-1) / np.abs(ref).max()
    print(f"{model} seed {seed}: max relative error {err.max():.2e} (prefill {err[:F32_PROMPT_LEN].max():.2e}, "
          f"decode {err[F32_PROMPT_LEN:].max():.2e})")
    assert err.max() <= 1e-3, f"position {err.argmax()} is off by {err.max():.2e} of max |ref|"


def test_bf16_policy_against_fp32_reference(axe_run, compiled, models, tmp_path):
    """tiny-trained under the bf16 policy against transformers in fp32, on the decode steps of axe's
    own greedy generation (transformers scores the same sequence), for 8 prompts: 512 decode steps.
    The greedy path meets a near-tie now and then, so top-1 agreement is taken over all 512 steps.
    Measured on four freshly trained fixtures (seeds 11, 21, 31, 41; 11 is the test's) with
    test/models/measure_bound_spread.py: mean KL per prompt 4.0e-6..2.3e-4 (bound 1e-3, 4.4x the
    largest); 0, 0, 2 and 3 flips in 512 steps (bound: 7, agreement >= 98.6 %)."""
    flips = steps = 0
    kls = []
    for seed in range(11, 19):
        prompt = language_ids(512, PROMPT_LEN, seed)
        generated, logits = run_axe(axe_run, compiled("tiny-trained", "bf16"), prompt, DECODE_STEPS, tmp_path)
        ref = hf_logits(models / "tiny-trained", prompt + generated[:-1])
        kl, top1 = kl_and_top1(logits[PROMPT_LEN - 1:], ref[PROMPT_LEN - 1:])
        print(f"tiny-trained bf16 vs fp32, prompt {seed}, {DECODE_STEPS} decode steps: mean KL {kl:.2e}, top-1 {top1:.1%}")
        assert kl <= 1e-3, f"prompt {seed}: mean KL {kl:.2e}"
        kls.append(kl)
        flips += round((1 - top1) * DECODE_STEPS)
        steps += DECODE_STEPS
    agreement = 1 - flips / steps
    print(f"tiny-trained bf16 vs fp32 over {steps} decode steps: mean KL {np.mean(kls):.2e}, top-1 {agreement:.1%}")
    assert flips <= 7, f"{flips} of {steps} greedy choices differ"


@pytest.mark.parametrize("seed", [11, 12])
def test_fp8_against_bf16(axe_run, compiled, tmp_path, seed):
    """The default FP8 map against axe's bf16 policy on the same 64 positions (teacher-forced: both
    prefill the bf16 run's own sequence). FP8 E4M3 keeps 3 mantissa bits, so each FP8 GEMM adds
    ~2^-5 relative noise per element (averaged down over K) on top of BF16's. On a trained model
    that stays within the bf16 policy's own KL budget (1e-3), while a near-tie or two of the 64 may
    flip (top-1 >= 90 %). Measured on four freshly trained fixtures (seeds 11, 21, 31, 41) for the
    test's prompts 11 and 12: mean KL 5.1e-5..4.7e-4 (bound 2.1x the largest), top-1 >= 98.4 %; on
    the test's fixture prompts 13 and 14 gave 2.3e-4 and 9.2e-4. The bound is not loose, so it is
    kept at 1e-3 rather than tightened (how much FP8 costs per prompt is measured on a model
    trained on real text, not here)."""
    prompt = language_ids(512, PROMPT_LEN, seed)
    generated, _ = run_axe(axe_run, compiled("tiny-trained", "bf16"), prompt, DECODE_STEPS, tmp_path)
    sequence = prompt + generated[:-1]
    _, bf16 = run_axe(axe_run, compiled("tiny-trained", "bf16"), sequence, 1, tmp_path)
    _, fp8 = run_axe(axe_run, compiled("tiny-trained", "default"), sequence, 1, tmp_path)
    kl, top1 = kl_and_top1(fp8[PROMPT_LEN - 1:], bf16[PROMPT_LEN - 1:])
    print(f"tiny-trained FP8 (default map) vs bf16 over {DECODE_STEPS} positions: mean KL {kl:.2e}, top-1 {top1:.1%}")
    assert kl <= 1e-3 and top1 >= 0.90


def test_fp8_kv_cache(axe_run, compiled, tmp_path):
    """--kv-cache fp8 (e4m3 keys and values, no scales) against the BF16 cache, default map,
    teacher-forced on 64 positions (one layer in four is full attention); bounds at the end.

    With either cache, prefill then decode must agree with one prefill of the whole sequence. They
    are not bit-equal under BF16/FP8 activations: the chunked and the recurrent delta rule differ in
    f32 rounding, which now and then flips a BF16 rounding or an e4m3 code and moves the logits in
    a discrete jump (max |diff| / max |logit| measured 0 or 2.4e-3..4.3e-3 over 8 prompts, either
    cache; comparing the two caches' jumps, as this test once did, compares two noisy figures). The
    bound is on the distributions instead. Measured on four freshly trained fixtures (seeds 11, 21,
    31, 41) x prompts 11, 12 x both caches with test/models/measure_bound_spread.py: mean KL 0 or
    4.3e-7..1.3e-6, bound 1e-5 (7.9x); top-1 100 %, bound 98 % (one near-tie in 64). The FP8 cache
    against the BF16 cache on the same tokens: mean KL 2.8e-6..6.0e-6, bound 5e-5 (8.4x); top-1
    >= 98.4 %, bound 95 %."""
    for seed in (11, 12):
        prompt = language_ids(512, PROMPT_LEN, seed)
        one_prefill = {}
        for kv in ("fp8", "bf16"):
            artifact = compiled("tiny-trained", "default", kv)
            generated, stepwise = run_axe(axe_run, artifact, prompt, DECODE_STEPS, tmp_path)
            sequence = prompt + generated[:-1]
            _, one_prefill[kv] = run_axe(axe_run, artifact, sequence, 1, tmp_path)
            kl, top1 = kl_and_top1(stepwise, one_prefill[kv])
            print(f"tiny-trained, {kv} KV cache, prompt {seed}: prefill+decode vs one prefill: mean KL {kl:.2e}, "
                  f"top-1 {top1:.1%}")
            assert kl <= 1e-5 and top1 >= 0.98
            if kv == "fp8":
                fp8_sequence = sequence
        # The two caches on the same tokens (the FP8 run's).
        _, bf16_on_fp8_tokens = run_axe(axe_run, compiled("tiny-trained", "default"), fp8_sequence, 1, tmp_path)
        kl, top1 = kl_and_top1(one_prefill["fp8"][PROMPT_LEN - 1:], bf16_on_fp8_tokens[PROMPT_LEN - 1:])
        print(f"tiny-trained FP8 KV cache vs BF16, prompt {seed}: mean KL {kl:.2e}, top-1 {top1:.1%}")
        assert kl <= 5e-5 and top1 >= 0.95


def test_prefill_then_decode_equals_one_longer_prefill(axe_run, compiled, tmp_path):
    """N prompt tokens then k decode steps give the logits of one prefill of N + k tokens, with
    prompts longer than a delta-rule chunk (64): the decode steps run the delta rule as chunks of
    one (its recurrent form), the prefills as chunks of 64 (spec §3.6: equal up to f32 rounding,
    tolerance 1e-5). A prefill in 48-token steps moves every chunk boundary; its rounding
    differences grow through the layers to ~7e-5, hence 1e-4 there."""
    artifact = compiled("tiny", "f32")
    prompt = prompt_ids(512, 200, 5)
    generated, stepwise = run_axe(axe_run, artifact, prompt, 56, tmp_path)
    full = prompt + generated[:-1]
    _, one_prefill = run_axe(axe_run, artifact, full, 1, tmp_path)
    _, chunked = run_axe(axe_run, artifact, full, 1, tmp_path, "--prefill-chunk", "48")
    scale = np.abs(one_prefill).max()
    assert np.abs(stepwise - one_prefill[: len(full)]).max() <= 1e-5 * scale
    assert np.abs(chunked - one_prefill).max() <= 1e-4 * scale


def test_axe_fp8_against_transformers_on_the_exported_checkpoint(axe_run, axe_compile, compiled, models, tmp_path):
    """axe's FP8 path (the default map) against transformers running the FP8 checkpoint axe
    exports (compressed-tensors) over 128 positions. Both use the same e4m3 weights and scales;
    transformers quantizes the attention inputs per token but runs the experts on dequantized
    weights with unquantized activations, while axe quantizes the expert activations too, so the
    bounds are the FP8-vs-BF16 ones of test_fp8_against_bf16 (measured: KL 4.6e-5, top-1 100%)."""
    export = tmp_path / "tiny-trained-fp8"
    subprocess.run([str(axe_compile), str(models / "tiny-trained"), "--export-checkpoint", str(export)],
                   check=True, capture_output=True, text=True)
    prompt = language_ids(512, 128, 21)
    _, axe_logits = run_axe(axe_run, compiled("tiny-trained", "default"), prompt, 1, tmp_path)
    ref = hf_logits(export, prompt)
    kl, top1 = kl_and_top1(axe_logits, ref)
    print(f"axe FP8 vs transformers on axe's FP8 export over 128 positions: mean KL {kl:.2e}, top-1 {top1:.1%}")
    assert kl <= 1e-3 and top1 >= 0.90
