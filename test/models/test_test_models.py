"""Checks the test-model makers: layouts, non-flat logits, sharding, FP8 scales, hostile files.

    .venv/bin/python -m pytest -q test/models
    AXE_TEST_MODELS=/tmp/axe-models ...   # reuse (or fill) a model directory instead of a temp one
    AXE_TEST_LARGE=1 ...                  # also make and check the ~3 GB `large` model (minutes)
"""
import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from transformers import Qwen3_5MoeForCausalLM, Qwen3_5MoeForConditionalGeneration

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fp8_checkpoints as fp8  # noqa: E402
import large_model  # noqa: E402
import make_bad_safetensors  # noqa: E402
import make_test_models  # noqa: E402
from synthetic_language import Language  # noqa: E402

TINY_PREFIX = "model.language_model."


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Path:
    out = Path(os.environ.get("AXE_TEST_MODELS") or tmp_path_factory.mktemp("models"))
    make_test_models.main(["--out", str(out)])
    return out


def tensors(path: Path) -> dict[str, torch.Tensor]:
    out = {}
    for f in sorted(path.glob("*.safetensors")):
        out.update(load_file(f))
    return out


def header(path: Path) -> dict[str, tuple[str, list[int]]]:
    out = {}
    for f in sorted(path.glob("*.safetensors")):
        with safe_open(f, "pt") as st:
            for k in st.keys():
                s = st.get_slice(k)
                out[k] = (s.get_dtype(), list(s.get_shape()))
    return out


def load_hf(path: Path):
    config = json.loads((path / "config.json").read_text())
    cls = Qwen3_5MoeForConditionalGeneration if config["model_type"] == "qwen3_5_moe" else Qwen3_5MoeForCausalLM
    model, info = cls.from_pretrained(path, dtype=torch.float32, output_loading_info=True)
    assert not any(info.values()), info  # no missing, unexpected or mismatched keys
    return model.eval()


def prompt(vocab: int, n: int = 24) -> torch.Tensor:
    return torch.randint(0, vocab, (1, n), generator=torch.Generator().manual_seed(123))


def logits(model, ids) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=ids).logits[0]


def test_tiny_layout(models):
    h = header(models / "tiny")
    config = json.loads((models / "tiny/config.json").read_text())
    assert config["model_type"] == "qwen3_5_moe" and config["architectures"] == ["Qwen3_5MoeForConditionalGeneration"]
    text = config["text_config"]
    assert text["model_type"] == "qwen3_5_moe_text" and text["layer_types"] == ["linear_attention"] * 3 + [
        "full_attention"]
    assert {dtype for dtype, _ in h.values()} == {"BF16"}
    assert h["lm_head.weight"][1] == [512, 64]
    assert any(k.startswith("model.visual.") for k in h)
    p = TINY_PREFIX + "layers."
    # Fused experts, no `.weight` suffix (spec §2.1); no per-expert names.
    assert h[p + "0.mlp.experts.gate_up_proj"][1] == [8, 64, 64]
    assert h[p + "0.mlp.experts.down_proj"][1] == [8, 64, 32]
    assert not any(re.search(r"experts\.\d+\.", k) for k in h)
    assert h[p + "0.linear_attn.in_proj_qkv.weight"][1] == [2 * 2 * 16 + 4 * 16, 64]
    assert h[p + "0.linear_attn.conv1d.weight"][1] == [128, 1, 4]
    assert h[p + "0.linear_attn.A_log"][1] == [4]
    assert h[p + "3.self_attn.q_proj.weight"][1] == [2 * 4 * 32, 64]  # query + output gate
    assert not any(k.startswith(p + "3.linear_attn") or k.startswith(p + "0.self_attn") for k in h)


def test_tiny_text_layout(models):
    h = header(models / "tiny-text")
    config = json.loads((models / "tiny-text/config.json").read_text())
    assert config["model_type"] == "qwen3_5_moe_text" and config["architectures"] == ["Qwen3_5MoeForCausalLM"]
    assert all(k.startswith("model.layers.") or k in ("model.embed_tokens.weight", "model.norm.weight",
                                                      "lm_head.weight") for k in h)
    # transformers' default save writes the experts per expert.
    assert h["model.layers.0.mlp.experts.15.gate_proj.weight"][1] == [64, 128]
    assert h["model.layers.0.mlp.experts.15.down_proj.weight"][1] == [128, 64]
    assert not any(k.endswith(("experts.gate_up_proj", "experts.down_proj")) for k in h)
    assert [t for t in config["layer_types"]] == (["linear_attention"] * 3 + ["full_attention"]) * 2


@pytest.mark.parametrize("name", ["tiny", "tiny-text", "tiny-sharded", "tiny-block-base"])
def test_logits_not_flat(models, name):
    model = load_hf(models / name)
    vocab = model.config.get_text_config().vocab_size
    out = logits(model, prompt(vocab))
    assert torch.isfinite(out).all()
    assert (out.std(dim=-1) > 0.5).all(), out.std(dim=-1)
    assert len(set(out.argmax(-1).tolist())) > len(out) // 2  # the prediction depends on the context


def test_trained_model_learned_the_language(models):
    """tiny-trained is confident and uses the token two back: a model that ignored it would see three
    equally likely successors, i.e. a loss of at least ln 3 nats and a top-1 probability of 1/3.
    Measured: loss 1.05 nats (floor 0.94), mean top-1 probability 0.59."""
    import numpy as np
    model = load_hf(models / "tiny-trained")
    text = torch.from_numpy(Language(512).sample(8, 64, np.random.default_rng(7)))
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=text).logits[:, 1:-1].float(), -1)  # predicts tokens 2..63
    loss = -logp.gather(-1, text[:, 2:, None]).mean().item()
    confidence = logp.exp().max(-1).values.mean().item()
    print(f"tiny-trained: loss {loss:.3f} nats (floor {Language.entropy():.3f}), mean top-1 probability {confidence:.2f}")
    assert loss < np.log(3) - 0.02, loss
    assert confidence > 0.5, confidence


def test_text_class_reads_the_multimodal_packaging(models):
    # The reference (DESIGN §7) is Qwen3_5MoeForCausalLM; it must read `tiny` as the CG class does.
    ids = prompt(512)
    text, info = Qwen3_5MoeForCausalLM.from_pretrained(models / "tiny", dtype=torch.float32, output_loading_info=True)
    assert not info["missing_keys"] and not info["mismatched_keys"]
    assert torch.equal(logits(text.eval(), ids), logits(load_hf(models / "tiny"), ids))


def test_sharded_equals_unsharded(models):
    shards = sorted((models / "tiny-sharded").glob("*.safetensors"))
    assert len(shards) >= 3
    index = json.loads((models / "tiny-sharded/model.safetensors.index.json").read_text())
    assert set(index["weight_map"].values()) == {f.name for f in shards}
    whole, sharded = tensors(models / "tiny"), tensors(models / "tiny-sharded")
    assert whole.keys() == sharded.keys() == index["weight_map"].keys()
    assert all(torch.equal(whole[k], sharded[k]) for k in whole)
    ids = prompt(512)
    assert torch.equal(logits(load_hf(models / "tiny"), ids), logits(load_hf(models / "tiny-sharded"), ids))


def check_fp8_weight(w: torch.Tensor, q: torch.Tensor, scale: torch.Tensor, groups: tuple[int, int]) -> None:
    """`scale` has one value per (groups[0] x groups[1]) block of `w`."""
    assert q.dtype == torch.float8_e4m3fn and scale.dtype == torch.float32 and (scale > 0).all()
    w, qf = w.float(), q.float()
    full = scale.repeat_interleave(groups[0], 0).repeat_interleave(groups[1], 1)
    # e4m3 keeps 3 mantissa bits: error <= 2^-4 relative, or half the subnormal step 2^-9 * scale.
    assert ((qf * full - w).abs() <= w.abs() / 16 + full / 1024 + 1e-6 * w.abs()).all()
    # The amax of each group maps to 448 exactly.
    rows, cols = w.shape[0] // groups[0], w.shape[1] // groups[1]
    amax = qf.abs().view(rows, groups[0], cols, groups[1]).amax(dim=(1, 3))
    assert (amax == fp8.FP8_MAX).all()


def quantized_expected(modules: list[str], block: bool) -> set[str]:
    kinds = [r"self_attn\.[qkvo]_proj", r"mlp\.experts\.\d+\.(gate|up|down)_proj",
             r"mlp\.shared_expert\.(gate|up|down)_proj"]
    if block:
        kinds += [r"linear_attn\.(in_proj_qkv|in_proj_z|out_proj)"]
    return {m for m in modules if re.fullmatch(TINY_PREFIX + r"layers\.\d+\.(" + "|".join(kinds) + ")", m)}


@pytest.mark.parametrize("name,base,block", [("tiny-fp8-channel", "tiny", False),
                                             ("tiny-fp8-block", "tiny-block-base", True)])
def test_fp8(models, name, base, block):
    bf16 = fp8.unfuse_experts(tensors(models / base))
    q = tensors(models / name)
    modules = fp8.linear_modules(bf16)
    quantized = {m for m in modules if q[f"{m}.weight"].dtype == torch.float8_e4m3fn}
    assert quantized == quantized_expected(modules, block)
    scale_suffix = "weight_scale_inv" if block else "weight_scale"
    assert set(q) == set(bf16) | {f"{m}.{scale_suffix}" for m in quantized}
    for k, w in bf16.items():
        module = k.removesuffix(".weight")
        if module not in quantized:
            assert q[k].dtype == torch.bfloat16 and torch.equal(q[k], w), k
            continue
        scale = q[f"{module}.{scale_suffix}"]
        out, inp = w.shape
        if block:
            assert scale.shape == (out // 128, inp // 128)
            check_fp8_weight(w, q[k], scale, (128, 128))
        else:
            assert scale.shape == (out, 1)
            check_fp8_weight(w, q[k], scale, (1, inp))

    qc = json.loads((models / name / "config.json").read_text())["quantization_config"]
    if block:
        assert qc["quant_method"] == "fp8" and qc["weight_block_size"] == [128, 128]
        assert qc["activation_scheme"] == "dynamic" and qc["fmt"] == "e4m3"
        # vLLM skips by exact module name: every BF16 Linear must be listed, no quantized one.
        assert set(modules) - quantized <= set(qc["modules_to_not_convert"])
        assert not quantized & set(qc["modules_to_not_convert"])
    else:
        assert qc["quant_method"] == "compressed-tensors" and qc["format"] == "float-quantized"
        group = qc["config_groups"]["group_0"]
        assert group["weights"]["strategy"] == "channel" and group["input_activations"]["strategy"] == "token"
        # The ignore list, read with vLLM's rule, selects exactly the modules left in BF16.
        assert {m for m in modules if not fp8.ct_ignored(m, qc["ignore"])} == quantized


def test_fp8_loads_in_transformers(models):
    # Optional: the FP8 loaders of transformers need packages the project does not pin.
    pytest.importorskip("accelerate")
    pytest.importorskip("compressed_tensors")
    for name, base in (("tiny-fp8-channel", "tiny"), ("tiny-fp8-block", "tiny-block-base")):
        ref, fp8_model = load_hf(models / base), load_hf(models / name)
        logits(fp8_model, prompt(512))  # compressed-tensors decompresses on the first forward
        sd_ref, sd_fp8 = ref.state_dict(), fp8_model.state_dict()
        for k, w in sd_ref.items():
            rel = ((sd_fp8[k] - w).norm() / w.norm()).item() if w.norm() > 0 else 0.0
            assert rel < 0.04, (name, k, rel)


def test_deterministic(tmp_path):
    for run in ("a", "b"):
        make_test_models.main(["--out", str(tmp_path / run), "--only", "tiny", "tiny-fp8-channel"])
    for name in ("tiny/model.safetensors", "tiny-fp8-channel/model.safetensors", "tiny/config.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_skip_and_recover(tmp_path, capsys):
    out = tmp_path / "m"
    make_test_models.main(["--out", str(out), "--only", "tiny"])
    make_test_models.main(["--out", str(out), "--only", "tiny"])
    assert "tiny: up to date, skipped" in capsys.readouterr().out
    (out / "tiny.tmp").mkdir()  # an interrupted run
    (out / "tiny" / "model.safetensors").write_bytes(b"")  # a damaged model
    make_test_models.main(["--out", str(out), "--only", "tiny"])
    assert "skipped" not in capsys.readouterr().out
    assert not (out / "tiny.tmp").exists() and (out / "tiny" / "model.safetensors").stat().st_size > 0
    make_test_models.main(["--out", str(out), "--only", "tiny", "--force"])
    assert "skipped" not in capsys.readouterr().out


def test_bad_safetensors(tmp_path):
    make_bad_safetensors.main(["--out", str(tmp_path)])
    expected = json.loads((tmp_path / "expected.json").read_text())
    files = [k for k in expected if k.endswith(".safetensors")]
    assert {f.name for f in tmp_path.glob("*.safetensors")} == set(files)
    for name in files:
        def read():
            with safe_open(tmp_path / name, "pt") as st:
                return {k: st.get_tensor(k) for k in st.keys()}, st.metadata()
        if expected[name] is None:
            got, metadata = read()
            assert {t.dtype for t in got.values()} == {torch.bfloat16, torch.float32, torch.float8_e4m3fn,
                                                       torch.int32}
            assert metadata["format"] == "pt"
        else:  # the reference (Rust) reader must reject every hostile file too
            with pytest.raises(Exception):
                read()

    missing = header(tmp_path / "missing-tensor")
    assert TINY_PREFIX + "layers.1.linear_attn.in_proj_z.weight" not in missing
    assert TINY_PREFIX + "layers.0.linear_attn.in_proj_z.weight" in missing
    _, info = Qwen3_5MoeForConditionalGeneration.from_pretrained(tmp_path / "missing-tensor",
                                                                 output_loading_info=True)
    assert info["missing_keys"] == {TINY_PREFIX + "layers.1.linear_attn.in_proj_z.weight"}
    assert json.loads((tmp_path / "bad-model-type/config.json").read_text())["model_type"] == "llama"
    with pytest.raises(json.JSONDecodeError):
        json.loads((tmp_path / "malformed-config/config.json").read_text())


@pytest.mark.skipif(not os.environ.get("AXE_TEST_LARGE"), reason="set AXE_TEST_LARGE=1 to make the ~3 GB model")
def test_large(models):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, str(HERE / "make_test_models.py"), "--out", str(models), "--only", "large"],
                   check=True)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kib > before:  # otherwise the model was already there and nothing ran
        assert peak_kib < 2 * 1024 * 1024, f"maker peak RSS {peak_kib / 1024:.0f} MiB"
    path = models / "large"
    index = json.loads((path / "model.safetensors.index.json").read_text())
    shapes = large_model.parameter_shapes(large_model.LARGE)
    h = header(path)
    assert {k: v[1] for k, v in h.items()} == {k: list(v) for k, v in shapes.items()}
    assert index["weight_map"].keys() == h.keys()
    sizes = [f.stat().st_size for f in path.glob("*.safetensors")]
    assert len(sizes) >= 3 and max(sizes) < 1.1e9 and 2.8e9 < sum(sizes) < 3.3e9
