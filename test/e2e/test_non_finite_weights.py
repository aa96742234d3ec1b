"""What happens to a NaN weight that --allow-non-finite-weights lets through (issue 14 row 6).

The compiler refuses non-finite weights by default (test/models/non_finite_weights.test). When they are
allowed, a NaN must stay NaN all the way: the e4m3 NaN codes 0x7F/0xFF decode as NaN in the CPU kernels
(they used to decode as ±480, giving finite but wrong tokens), and a NaN does not set or hide an FP8
scale (std::fmax skipped it silently).
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open

from test_cpu_parity import prompt_ids

ROOT = Path(__file__).resolve().parents[2]
PROMPT = ",".join(map(str, prompt_ids(512, 8, 3)))


def plant(src: Path, dst: Path, *args) -> Path:
    subprocess.run([sys.executable, str(ROOT / "test/models/plant_weight.py"), str(src), str(dst), *args],
                   check=True)
    return dst


def compile_allowed(axe_compile, ckpt: Path, out: Path) -> Path:
    subprocess.run([str(axe_compile), str(ckpt), "-o", str(out), "--allow-non-finite-weights"], check=True,
                   capture_output=True, text=True)
    return out


def generate(axe_run, artifact: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(axe_run), str(artifact), "--prompt-ids", PROMPT, "--max-tokens", "2",
                           "--ignore-eos"], capture_output=True, text=True)


def test_stored_nan_code_decodes_as_nan(axe_compile, axe_run, compiled, models, tmp_path):
    """One 0x7F code in a shared expert's down_proj (a weight every token meets): row 0 of its output is
    NaN for every token, the final norm spreads it, and sampling finds every logit NaN."""
    clean = generate(axe_run, compiled("tiny-fp8-channel", "default"))
    assert clean.returncode == 0, clean.stderr
    for code in ("0x7f", "0xff"):
        ckpt = plant(models / "tiny-fp8-channel", tmp_path / f"ckpt-{code}", "--tensor",
                     "model.language_model.layers.3.mlp.shared_expert.down_proj.weight", "--index", "0",
                     "--code", code)
        result = generate(axe_run, compile_allowed(axe_compile, ckpt, tmp_path / f"{code}.axe"))
        assert result.returncode != 0 and "every logit is NaN" in result.stderr, (code, result.stderr)


def test_allowed_nan_keeps_its_scale_finite(axe_compile, models, tmp_path):
    """A NaN in a BF16 expert weight that the default map quantizes: it is stored as the NaN code, and
    its row's scale comes from the row's finite values (not NaN, not skipped into a wrong value)."""
    ckpt = plant(models / "tiny", tmp_path / "ckpt", "--tensor",
                 "model.language_model.layers.1.mlp.experts.gate_up_proj", "--index", "1000", "--value", "nan")
    artifact = compile_allowed(axe_compile, ckpt, tmp_path / "nan.axe")
    with safe_open(ckpt / "model.safetensors", "pt") as f:
        row = f.get_tensor("model.language_model.layers.1.mlp.experts.gate_up_proj")[0, 15].float()
    with safe_open(artifact / "weights.safetensors", "pt") as f:
        names = [n for n in f.keys() if n.startswith("model.language_model.layers.1.mlp.experts.gate_up_proj#")]
        values = [f.get_tensor(n) for n in names if "#fp8_channel#" in n]
        scales = [f.get_tensor(n) for n in names if "#fp8_channel_scale#" in n]
    assert len(values) == 1 and len(scales) == 1, names
    codes = values[0].view(torch.uint8).reshape(-1).numpy()
    nan_codes = np.flatnonzero((codes & 0x7F) == 0x7F)
    assert nan_codes.tolist() == [1000], nan_codes
    scale = scales[0].reshape(-1)[15].item()
    finite = row[torch.isfinite(row)]
    assert np.isfinite(scale) and scale == (finite.abs().max() / 448.0).item(), scale  # f32 division
