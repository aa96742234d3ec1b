"""Measures the figures that test_cpu_parity.py bounds, on freshly trained `tiny-trained` fixtures.

A fresh clone retrains every fixture, so a bound must hold for the fixture's spread, not for one tree. This trains
`tiny-trained` with other seeds (same recipe), compiles it as the tests do, and prints each test's figure per
fixture and prompt; the tests' docstrings quote the results.

    .venv/bin/python test/models/measure_bound_spread.py --seeds 11 21 31 41 [--build build]
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test/models"))
sys.path.insert(0, str(ROOT / "test/e2e"))

import random_models as rm  # noqa: E402
import trained_model  # noqa: E402
from make_test_models import save_hf  # noqa: E402
from test_cpu_parity import DECODE_STEPS, PROMPT_LEN, hf_logits, kl_and_top1, language_ids, run_axe  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 21, 31, 41])
    parser.add_argument("--build", type=Path, default=ROOT / "build")
    args = parser.parse_args()
    axe_compile, axe_run = args.build / "bin/axe-compile", args.build / "bin/axe-run"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for seed in args.seeds:
            model = tmp / f"tiny-trained-{seed}"
            save_hf(trained_model.train(rm.TINY_TRAINED, multimodal=True, seed=seed, log=lambda *a: None), model,
                    fused_experts=True)
            artifacts = {}
            for policy, kv in (("bf16", "bf16"), ("default", "bf16"), ("default", "fp8")):
                artifacts[policy, kv] = tmp / f"{seed}-{policy}-{kv}.axe"
                subprocess.run([str(axe_compile), str(model), "-q", "-o", str(artifacts[policy, kv]),
                                f"--precision={policy}", f"--kv-cache={kv}"], check=True)

            def report(test: str, prompt: int, kl: float, top1: float) -> None:
                print(f"fixture {seed} {test} prompt {prompt}: mean KL {kl:.2e} top-1 {top1:.1%}", flush=True)

            for p in range(11, 19):  # test_bf16_policy_against_fp32_reference
                prompt = language_ids(512, PROMPT_LEN, p)
                generated, logits = run_axe(axe_run, artifacts["bf16", "bf16"], prompt, DECODE_STEPS, tmp)
                ref = hf_logits(model, prompt + generated[:-1])
                report("bf16-vs-fp32", p, *kl_and_top1(logits[PROMPT_LEN - 1:], ref[PROMPT_LEN - 1:]))
            for p in (11, 12):  # test_fp8_against_bf16, test_fp8_kv_cache
                prompt = language_ids(512, PROMPT_LEN, p)
                generated, _ = run_axe(axe_run, artifacts["bf16", "bf16"], prompt, DECODE_STEPS, tmp)
                sequence = prompt + generated[:-1]
                _, bf16 = run_axe(axe_run, artifacts["bf16", "bf16"], sequence, 1, tmp)
                _, fp8 = run_axe(axe_run, artifacts["default", "bf16"], sequence, 1, tmp)
                report("fp8-vs-bf16", p, *kl_and_top1(fp8[PROMPT_LEN - 1:], bf16[PROMPT_LEN - 1:]))
                one_prefill = {}
                for kv in ("fp8", "bf16"):
                    generated, stepwise = run_axe(axe_run, artifacts["default", kv], prompt, DECODE_STEPS, tmp)
                    seq = prompt + generated[:-1]
                    _, one_prefill[kv] = run_axe(axe_run, artifacts["default", kv], seq, 1, tmp)
                    report(f"{kv}-cache-stepwise-vs-prefill", p, *kl_and_top1(stepwise, one_prefill[kv]))
                    if kv == "fp8":
                        fp8_sequence = seq
                _, on_fp8_tokens = run_axe(axe_run, artifacts["default", "bf16"], fp8_sequence, 1, tmp)
                report("fp8-cache-vs-bf16-cache", p,
                       *kl_and_top1(one_prefill["fp8"][PROMPT_LEN - 1:], on_fp8_tokens[PROMPT_LEN - 1:]))


if __name__ == "__main__":
    main()
