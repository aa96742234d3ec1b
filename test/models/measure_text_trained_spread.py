"""Measures the figures test_fidelity.py bounds on freshly trained `text-trained` fixtures.

A fresh clone retrains the fixture, so a bound must hold over the spread of fixtures (training seeds)
and of the text scored, not for one tree. This trains `text-trained` with other seeds (same recipe),
compiles the default map and bf16 as the test does, and prints `axe-run eval`'s figures for several
disjoint sets of held-out windows; the test's docstring quotes the results.

    .venv/bin/python test/models/measure_text_trained_spread.py --seeds 17 18 19 [--build build]
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test/models"))

import text_trained_model  # noqa: E402
from make_test_models import save_hf  # noqa: E402

WINDOWS, CTX, SETS = 32, 256, 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[17, 18, 19])
    parser.add_argument("--build", type=Path, default=ROOT / "build")
    args = parser.parse_args()
    axe_compile, axe_run = args.build / "bin/axe-compile", args.build / "bin/axe-run"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        text = tmp / "heldout.txt"
        text.write_text(text_trained_model.eval_text())
        for seed in args.seeds:
            model = tmp / f"text-trained-{seed}"
            trained, tokenizer = text_trained_model.train(seed, log=lambda *a: None)
            save_hf(trained, model, fused_experts=True)
            text_trained_model.save_tokenizer(tokenizer, model)
            artifacts = {}
            for policy in ("bf16", "default"):
                artifacts[policy] = tmp / f"{seed}-{policy}.axe"
                subprocess.run([str(axe_compile), str(model), "-q", "-o", str(artifacts[policy]),
                                f"--precision={policy}"], check=True)
            for s in range(SETS):
                # Disjoint sets: the first WINDOWS * (s + 1) windows, minus the earlier sets' (via an ids file).
                ids = tmp / "ids.txt"
                subprocess.run([str(axe_run), "eval", str(artifacts["bf16"]), "--reference", str(artifacts["bf16"]),
                                "--text", str(text), "--ctx", str(CTX), "--windows", str(WINDOWS * SETS),
                                "--save-logits", str(tmp / "all.safetensors")], check=True, capture_output=True)
                from safetensors.numpy import load_file
                all_ids = load_file(str(tmp / "all.safetensors"))["input_ids"]
                (tmp / "all.safetensors").unlink()
                ids.write_text(" ".join(map(str, all_ids[s * WINDOWS:(s + 1) * WINDOWS].ravel())))
                out = tmp / "eval.json"
                subprocess.run([str(axe_run), "eval", str(artifacts["default"]), "--reference", str(artifacts["bf16"]),
                                "--ids", str(ids), "--ctx", str(CTX), "--json", str(out)], check=True,
                               capture_output=True)
                f = json.loads(out.read_text())
                out.unlink()
                print(f"fixture {seed} windows {s * WINDOWS}..{(s + 1) * WINDOWS - 1}: mean KLD {f['kld']['mean']:.2e} "
                      f"top-1 {f['top1']:.2%} PPL ratio {f['perplexity_ratio']:.5f} PPL(bf16) "
                      f"{f['reference_perplexity']:.1f}", flush=True)


if __name__ == "__main__":
    main()
