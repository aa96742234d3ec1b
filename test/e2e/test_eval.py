"""`axe-run eval`: a model against a reference artifact or transformers' logits, position by position.

The figures are checked against numpy computing the same definitions from the logits axe saved
(--save-logits), the two kinds of reference against each other, axe's f32 artifact against
transformers (the fidelity tool's own floor), and every kind of bad input against its message."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from synthetic_language import Language

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_LOGITS = ROOT / "tools/reference-logits/reference_logits.py"
CTX = 128


def write_ids(path: Path, vocab: int, n: int, seed: int) -> Path:
    """n tokens of the language `tiny-trained` learned, as axe-run eval --ids reads them."""
    ids = Language(vocab).sample(1, n, np.random.default_rng(seed))[0]
    path.write_text(" ".join(map(str, ids)) + "\n")
    return path


def transformers_logits(model_dir: Path, out: Path, *source: str, ctx: int = CTX) -> Path:
    subprocess.run([sys.executable, str(REFERENCE_LOGITS), str(model_dir), *source, "--ctx", str(ctx), "-o", str(out)],
                   check=True, capture_output=True, text=True)
    return out


def run_eval(axe_run, artifact: Path, tmp_path: Path, *args: str) -> dict:
    out = tmp_path / f"eval-{len(list(tmp_path.glob('eval-*.json')))}.json"
    run = subprocess.run([str(axe_run), "eval", str(artifact), *args, "--json", str(out)], capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    print(run.stdout)
    return json.loads(out.read_text())


def eval_error(axe_run, *args: str) -> str:
    run = subprocess.run([str(axe_run), "eval", *map(str, args)], capture_output=True, text=True)
    assert run.returncode == 1 and run.stderr.startswith("axe-run: error: "), (run.returncode, run.stderr)
    assert run.stderr.count("\n") == 1, run.stderr
    return run.stderr


def log_softmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


@pytest.mark.parametrize("model,seed", [("tiny-trained", 3), ("tiny", 4)])
def test_f32_artifact_against_transformers(axe_run, compiled, models, tmp_path, model, seed):
    """axe's f32 artifact against transformers' fp32 logits on the same windows: KLD <= 1e-6 at every
    scored position (measured on tiny-trained: mean 5.7e-13, max 6.5e-12), every top-1 the same on
    the trained model (a random-init one has near-ties)."""
    ids = write_ids(tmp_path / "ids.txt", 512, 4 * CTX, seed)
    reference = transformers_logits(models / model, tmp_path / "hf.safetensors", "--ids", str(ids))
    figures = run_eval(axe_run, compiled(model, "f32"), tmp_path, "--reference-logits", str(reference), "--ids",
                       str(ids))
    assert figures["windows"] == 4 and figures["ctx"] == CTX and figures["positions"] == 4 * (CTX - 1 - CTX // 2)
    assert figures["kld"]["max"] <= 1e-6 and figures["kld"]["mean"] <= 1e-6
    assert abs(figures["perplexity_ratio"] - 1) <= 1e-5
    if model == "tiny-trained":
        assert figures["top1"] == 1.0


def test_figures_match_their_definitions(axe_run, compiled, models, tmp_path):
    """Every reported figure, recomputed in numpy from the logits axe saved and the reference's."""
    ids = write_ids(tmp_path / "ids.txt", 512, 3 * CTX + 17, 5)  # a partial last window is left out
    reference = transformers_logits(models / "tiny-trained", tmp_path / "hf.safetensors", "--ids", str(ids))
    saved = tmp_path / "axe.safetensors"
    figures = run_eval(axe_run, compiled("tiny-trained", "default"), tmp_path, "--reference-logits", str(reference),
                       "--ids", str(ids), "--score-from", "40", "--save-logits", str(saved))
    mine, ref = load_file(str(saved)), load_file(str(reference))
    assert mine["logits"].shape == ref["logits"].shape == (3, CTX, 512)
    assert (mine["input_ids"] == ref["input_ids"]).all()
    lm = log_softmax(mine["logits"][:, 40:CTX - 1])
    lr = log_softmax(ref["logits"][:, 40:CTX - 1])
    nxt = mine["input_ids"][:, 41:CTX]
    kld = (np.exp(lr) * (lr - lm)).sum(-1).clip(min=0).ravel()
    nll = -np.take_along_axis(lm, nxt[..., None], -1).ravel()
    nll_ref = -np.take_along_axis(lr, nxt[..., None], -1).ravel()
    dp = np.exp(-nll) - np.exp(-nll_ref)
    assert figures["positions"] == kld.size == 3 * (CTX - 41)
    assert figures["kld"]["mean"] == pytest.approx(kld.mean(), rel=1e-9)
    assert figures["kld"]["max"] == pytest.approx(kld.max(), rel=1e-9)
    assert figures["kld"]["median"] == pytest.approx(np.sort(kld)[round(0.5 * (kld.size - 1))], rel=1e-9)
    assert figures["top1"] == pytest.approx((lm.argmax(-1) == lr.argmax(-1)).mean(), abs=1e-12)
    assert figures["perplexity"] == pytest.approx(np.exp(nll.mean()), rel=1e-9)
    assert figures["reference_perplexity"] == pytest.approx(np.exp(nll_ref.mean()), rel=1e-9)
    assert figures["perplexity_ratio"] == pytest.approx(np.exp((nll - nll_ref).mean()), rel=1e-9)
    assert figures["delta_p"]["mean"] == pytest.approx(dp.mean(), rel=1e-6, abs=1e-12)
    assert figures["delta_p"]["rms"] == pytest.approx(np.sqrt((dp ** 2).mean()), rel=1e-9)
    assert figures["nll_correlation"] == pytest.approx(np.corrcoef(nll, nll_ref)[0, 1], rel=1e-9)


def test_artifact_reference_equals_its_saved_logits(axe_run, compiled, tmp_path):
    """--reference REF.axe and --reference-logits of REF's own saved logits give the same figures, and
    the FP8 default map against BF16 on the trained model stays inside the precision tests' budget
    (test_cpu_parity.test_fp8_against_bf16: KL <= 1e-3)."""
    ids = write_ids(tmp_path / "ids.txt", 512, 4 * CTX, 6)
    bf16, default = compiled("tiny-trained", "bf16"), compiled("tiny-trained", "default")
    saved = tmp_path / "bf16.safetensors"
    run_eval(axe_run, bf16, tmp_path, "--reference", str(bf16), "--ids", str(ids), "--ctx", str(CTX), "--save-logits",
             str(saved))
    by_artifact = run_eval(axe_run, default, tmp_path, "--reference", str(bf16), "--ids", str(ids), "--ctx", str(CTX))
    by_file = run_eval(axe_run, default, tmp_path, "--reference-logits", str(saved), "--ids", str(ids))
    for key in ("kld", "delta_p"):
        assert by_artifact[key] == by_file[key]
    assert by_artifact["top1"] == by_file["top1"] and by_artifact["perplexity"] == by_file["perplexity"]
    assert by_artifact["kld"]["mean"] <= 1e-3


def test_text_is_tokenized_as_transformers_does(axe_run, compiled, models, tmp_path):
    """--text on a model with the Qwen3.5 tokenizer: the reference file written from the same text by
    tools/reference-logits holds the same ids (eval checks them), and f32 stays at transformers'."""
    text = tmp_path / "text.txt"
    text.write_text("The quick brown fox jumps over the lazy dog. Naïve café owners überraschen Grüße! "
                    "数学 is mathematics; <|im_start|> here is plain text.\n" * 3)
    reference = transformers_logits(models / "tiny-chat", tmp_path / "hf.safetensors", "--text", str(text), ctx=16)
    figures = run_eval(axe_run, compiled("tiny-chat", "f32"), tmp_path, "--reference-logits", str(reference), "--text",
                       str(text))
    assert figures["windows"] >= 2 and figures["kld"]["max"] <= 1e-6


def test_f32_on_real_text_against_transformers(axe_run, compiled, models, tmp_path):
    """The fidelity tool's floor on the model trained on real text, over held-out text tokenized by each
    side's own tokenizer (eval checks the ids agree): KLD <= 1e-6 at every scored position."""
    import text_trained_model
    text = tmp_path / "heldout.txt"
    text.write_text(text_trained_model.eval_text()[:60000])
    reference = transformers_logits(models / "text-trained", tmp_path / "hf.safetensors", "--text", str(text),
                                    "--windows", "4", ctx=256)
    figures = run_eval(axe_run, compiled("text-trained", "f32"), tmp_path, "--reference-logits", str(reference),
                       "--text", str(text), "--windows", "4")
    assert figures["windows"] == 4 and figures["kld"]["max"] <= 1e-6 and figures["top1"] == 1.0


def test_bad_input_is_refused_with_a_message(axe_run, compiled, tmp_path):
    tiny = compiled("tiny-trained", "default")
    ids = write_ids(tmp_path / "ids.txt", 512, 2 * CTX, 7)
    other = write_ids(tmp_path / "other.txt", 512, 2 * CTX, 8)
    saved = tmp_path / "saved.safetensors"
    run_eval(axe_run, tiny, tmp_path, "--reference", str(tiny), "--ids", str(ids), "--ctx", str(CTX), "--save-logits",
             str(saved))
    assert "other tokens: window 0, position" in eval_error(axe_run, tiny, "--reference-logits", saved, "--ids", other)
    assert "differs from the reference file's windows of 128" in eval_error(
        axe_run, tiny, "--reference-logits", saved, "--ids", ids, "--ctx", "64")
    assert "holds 2 windows, the input has 4" in eval_error(
        axe_run, tiny, "--reference-logits", saved, "--ids", write_ids(tmp_path / "long.txt", 512, 4 * CTX, 7))
    assert "fewer than one window of 512" in eval_error(axe_run, tiny, "--reference", tiny, "--ids", ids)
    assert "give either --reference" in eval_error(axe_run, tiny, "--ids", ids)
    assert "give either --text FILE or --ids FILE" in eval_error(axe_run, tiny, "--reference", tiny)
    assert "already exists" in eval_error(axe_run, tiny, "--reference", tiny, "--ids", ids, "--json", ids)
    assert "leaves no position to score" in eval_error(
        axe_run, tiny, "--reference", tiny, "--ids", ids, "--ctx", "64", "--score-from", "63")
    assert "no tokenizer.json" in eval_error(axe_run, tiny, "--reference", tiny, "--text", ids)
    (tmp_path / "bad.txt").write_text("1 2 x3")
    assert "'x3' (token 2) is not a token id" in eval_error(axe_run, tiny, "--reference", tiny, "--ids",
                                                            tmp_path / "bad.txt")
    (tmp_path / "big.txt").write_text("1 512")
    assert "id 512 (token 1) is not below the vocabulary size 512" in eval_error(
        axe_run, tiny, "--reference", tiny, "--ids", tmp_path / "big.txt")
    chat = compiled("tiny-chat", "default")
    assert "has a vocabulary of 248320 tokens" in eval_error(axe_run, tiny, "--reference", chat, "--ids", ids)
    wrong = load_file(str(saved))
    save_file({"input_ids": wrong["input_ids"], "logits": wrong["logits"][..., :100].copy()},
              str(tmp_path / "narrow.safetensors"))
    assert "has rows of 100 logits" in eval_error(axe_run, tiny, "--reference-logits", tmp_path / "narrow.safetensors",
                                                  "--ids", ids)
    save_file({"logits": wrong["logits"]}, str(tmp_path / "noids.safetensors"))
    assert "needs tensors 'input_ids'" in eval_error(axe_run, tiny, "--reference-logits",
                                                     tmp_path / "noids.safetensors", "--ids", ids)
    nan = wrong["logits"].copy()
    nan[1, 100, 7] = np.nan
    save_file({"input_ids": wrong["input_ids"], "logits": nan}, str(tmp_path / "nan.safetensors"))
    assert "the reference's logits are not finite at window 1, position 100 (token 7" in eval_error(
        axe_run, tiny, "--reference-logits", tmp_path / "nan.safetensors", "--ids", ids, "--save-logits",
        tmp_path / "partial.safetensors")
    assert not (tmp_path / "partial.safetensors").exists()  # a failed run leaves no half-written file
    assert not list(tmp_path.glob("*.tmp*"))
