"""Synthetic weights (axe-compile --config-only CONFIG --synthetic-weights SEED): an artifact without
a weights file whose weights axe-run makes from the seed at load, for timing a model at its real
widths where its weights cannot travel (scripts/gpu-check.sh, decode part). And --profile-json,
the per-dispatch times that timing reads.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "--prompt-ids=3,17,250,4,88,9,301,42"


@pytest.fixture(scope="module")
def config(models) -> Path:
    return models / "tiny-trained" / "config.json"


@pytest.fixture(scope="module")
def synthetic(axe_compile, config, tmp_path_factory):
    made = {}

    def make(seed: int) -> Path:
        if seed not in made:
            out = tmp_path_factory.mktemp("synthetic") / f"seed{seed}.axe"
            r = subprocess.run([str(axe_compile), "--config-only", str(config), f"--synthetic-weights={seed}",
                                "--cpu-targets=x86-64-v3", "-o", str(out)], capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            assert "synthetic weights (seed" in r.stderr
            made[seed] = out
        return made[seed]
    return make


def run(axe_run, artifact, *extra):
    return subprocess.run([str(axe_run), str(artifact), PROMPT, "--max-tokens=6", *extra],
                          capture_output=True, text=True)


def test_the_artifact_has_a_seed_and_no_weights_file(synthetic):
    artifact = synthetic(7)
    manifest = json.loads((artifact / "manifest.json").read_text())
    assert manifest["files"]["weights"] == {"synthetic_seed": 7}
    assert not list(artifact.glob("*.safetensors"))
    assert any(b["kind"] == "weight" and b["dtype"] == "f8e4m3" for b in manifest["buffers"])


def test_the_weights_are_made_from_the_seed(axe_run, synthetic, tmp_path):
    """Same seed: the same logits bit for bit, on any thread count (each element is a hash of seed,
    buffer and index); another seed: other logits. All finite: the values are tame by design."""
    logits = {}
    for name, seed, threads in [("a", 7, "1"), ("b", 7, "2"), ("c", 8, "2")]:
        dump = tmp_path / f"{name}.npy"
        r = run(axe_run, synthetic(seed), "--threads", threads, "--dump-logits", str(dump))
        assert r.returncode == 0, r.stderr
        assert "weights: synthetic (seed" in r.stderr and "mean nothing" in r.stderr
        logits[name] = np.load(dump)
    assert np.isfinite(logits["a"]).all()
    assert np.array_equal(logits["a"], logits["b"])
    assert np.abs(logits["a"] - logits["c"]).max() > 1e-3 * np.abs(logits["a"]).max()


def test_an_edited_seed_is_refused(axe_run, synthetic, tmp_path):
    """The seed is part of the manifest the kernels' digest covers: changing it is caught at load."""
    src = synthetic(7)
    edited = tmp_path / "edited.axe"
    subprocess.run(["cp", "-r", str(src), str(edited)], check=True)
    manifest = json.loads((edited / "manifest.json").read_text())
    manifest["files"]["weights"]["synthetic_seed"] = 9
    (edited / "manifest.json").write_text(json.dumps(manifest))
    r = run(axe_run, edited)
    assert r.returncode != 0
    assert "digest" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_seed_with_a_file_is_refused(axe_run, synthetic, tmp_path):
    src = synthetic(7)
    edited = tmp_path / "both.axe"
    subprocess.run(["cp", "-r", str(src), str(edited)], check=True)
    manifest = json.loads((edited / "manifest.json").read_text())
    manifest["files"]["weights"]["path"] = "weights.safetensors"
    (edited / "manifest.json").write_text(json.dumps(manifest))
    r = run(axe_run, edited)
    assert r.returncode != 0 and "synthetic weights have a seed and nothing else" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["MODEL", "--synthetic-weights=1", "-o", "OUT"], "--synthetic-weights goes with --config-only"),
    (["--config-only", "CONFIG", "--synthetic-weights=1", "--emit=axe", "-o", "-"],
     "--synthetic-weights goes with --config-only"),
    (["--config-only", "CONFIG", "-o", "OUT"], "needs MODEL_DIR (or --config-only with --synthetic-weights)"),
])
def test_misuse_is_refused(axe_compile, models, config, tmp_path, args, message):
    subs = {"MODEL": str(models / "tiny-trained"), "CONFIG": str(config), "OUT": str(tmp_path / "x.axe")}
    r = subprocess.run([str(axe_compile), *[subs.get(a, a) for a in args]], capture_output=True, text=True)
    assert r.returncode != 0 and message in r.stderr, r.stderr
    assert not (tmp_path / "x.axe").exists()


def test_profile_json_times_every_dispatch(axe_run, synthetic, tmp_path):
    artifact = synthetic(7)
    manifest = json.loads((artifact / "manifest.json").read_text())
    out = tmp_path / "profile.json"
    r = run(axe_run, artifact, "--profile-json", str(out))
    assert r.returncode == 0, r.stderr
    profile = json.loads(out.read_text())
    program, kernels = profile["program"], profile["kernels"]
    assert len(program) == len(manifest["program"]) and len(kernels) == len(manifest["kernels"])
    steps = max(p["calls"] for p in program)
    assert steps == 6  # one prefill step (8 tokens) and five decode steps
    assert all(p["calls"] in (0, steps) and p["seconds"] >= 0 for p in program)
    # The two views are the same times: each kernel's are the sum of its dispatches'.
    for i, k in enumerate(kernels):
        mine = [p for p, e in zip(program, manifest["program"]) if e["kernel"] == i]
        assert k["calls"] == sum(p["calls"] for p in mine)
        assert k["seconds"] == pytest.approx(sum(p["seconds"] for p in mine), rel=1e-9, abs=1e-12)
    # An existing file is not overwritten.
    r = run(axe_run, artifact, "--profile-json", str(out))
    assert r.returncode != 0 and "--profile-json" in r.stderr


def test_the_decode_report_of_the_gpu_check(axe_run, synthetic, config, tmp_path):
    """scripts/gpu_check_decode.py on a CPU run of the synthetic tiny model: per-layer times that add
    up to the kernels' time, a roofline, and torch's bf16 linear beside axe's."""
    artifact = synthetic(7)
    runs = []
    for batch in [1, 4]:
        profile, bench = tmp_path / f"p{batch}.json", tmp_path / f"b{batch}.json"
        r = subprocess.run([str(axe_run), "bench", str(artifact), "-p", "0", "-n", "0", "-c", str(batch),
                            "--serve-prompt", "1", "--serve-tokens", "6", "--rounds", "1", "--format", "json",
                            "--profile-json", str(profile), "--threads", "1"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        bench.write_text(r.stdout)
        runs += ["--run", f"{batch}:{profile}:{bench}"]
    r = subprocess.run([sys.executable, str(ROOT / "scripts/gpu_check_decode.py"), "--artifact", str(artifact),
                        "--full-config", str(config), *runs, "--device", "cpu", "--peers", "--bandwidth", "1e10"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if line.startswith("| 1 |") or line.startswith("| 4 |")]
    assert len(rows) == 2, r.stdout
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        kernels_ms, full_attn, linear_attn, outside, full_ms = map(float, cells[2:7])
        # tiny-trained has 4 layers, the config is its own full model: the extrapolation is the sum.
        # (figures printed to 4 significant digits)
        assert full_ms == pytest.approx(outside + full_attn + 3 * linear_attn, rel=3e-3)
        assert full_ms == pytest.approx(kernels_ms, rel=3e-3)
        assert cells[-1].endswith("%")
    assert "torch bf16 linear" in r.stdout
