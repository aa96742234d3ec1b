"""Two CPU kernel libraries in one artifact: x86-64-v3 (AVX2, every machine's fallback) and x86-64-v4
(AVX-512), the loader taking v4 where the CPU has it. Both are compiled from the same kernels, so
they must compute the same function: tokens equal, f32 logits equal to rounding.
"""
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

MODEL = "tiny-trained"
PROMPT = "--prompt-ids=3,17,250,4,88,9,301,42"


def cpu_has_v4() -> bool:
    flags = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    return {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"} <= flags


def run(axe_run, artifact, *extra):
    return subprocess.run([str(axe_run), str(artifact), PROMPT, "--max-tokens=12", *extra],
                          capture_output=True, text=True)


def test_the_artifact_records_both_libraries(compiled):
    artifact = compiled(MODEL, "default")
    files = json.loads((artifact / "manifest.json").read_text())["files"]
    for key, path, target in [("cpu_kernels", "cpu/kernels.so", "x86-64-v3"),
                              ("cpu_kernels_v4", "cpu/kernels-x86-64-v4.so", "x86-64-v4")]:
        data = (artifact / path).read_bytes()
        assert files[key]["path"] == path and files[key]["target"] == target
        assert files[key]["bytes"] == len(data) and files[key]["sha256"] == hashlib.sha256(data).hexdigest()


def test_the_default_is_the_best_this_cpu_runs(axe_run, compiled):
    out = run(axe_run, compiled(MODEL, "default"))
    assert out.returncode == 0, out.stderr
    want = "x86-64-v4" if cpu_has_v4() else "x86-64-v3"
    assert f"kernels: cpu {want}" in out.stdout.splitlines()


@pytest.mark.skipif(not cpu_has_v4(), reason="this CPU has no AVX-512: only x86-64-v3 runs here")
@pytest.mark.parametrize("policy", ["f32", "default"])
def test_v3_and_v4_compute_the_same_function(axe_run, compiled, tmp_path, policy):
    """Measured on tiny-trained (8-token prompt, 12 tokens), f32 and default maps: the logits of the
    two libraries are bit for bit equal. The bound, 1e-5 of the largest logit, leaves room for a
    reduction order LLVM may one day choose differently for 512-bit vectors."""
    artifact = compiled(MODEL, policy)
    logits, tokens = {}, {}
    for target in ["x86-64-v3", "x86-64-v4"]:
        dump = tmp_path / f"{target}.npy"
        out = run(axe_run, artifact, "--cpu-kernels", target, "--dump-logits", str(dump))
        assert out.returncode == 0, out.stderr
        assert f"kernels: cpu {target}" in out.stdout.splitlines()
        tokens[target], logits[target] = out.stdout.splitlines()[0], np.load(dump)
    assert tokens["x86-64-v3"] == tokens["x86-64-v4"]
    a, b = logits["x86-64-v3"], logits["x86-64-v4"]
    assert a.shape == b.shape
    assert np.abs(a - b).max() <= 1e-5 * np.abs(a).max()


def test_an_artifact_with_v3_only(axe_compile, axe_run, models, tmp_path):
    artifact = tmp_path / "v3.axe"
    subprocess.run([str(axe_compile), str(models / MODEL), "--cpu-targets=x86-64-v3", "-q", "-o", str(artifact)],
                   check=True, capture_output=True)
    assert not (artifact / "cpu/kernels-x86-64-v4.so").exists()
    assert "cpu_kernels_v4" not in json.loads((artifact / "manifest.json").read_text())["files"]
    out = run(axe_run, artifact)
    assert out.returncode == 0 and "kernels: cpu x86-64-v3" in out.stdout.splitlines()
    out = run(axe_run, artifact, "--cpu-kernels", "x86-64-v4")
    assert out.returncode == 1
    assert "the artifact has no x86-64-v4 CPU kernels (compile it with --cpu-targets x86-64-v3,x86-64-v4)" in out.stderr


@pytest.mark.parametrize("targets,message", [
    ("x86-64-v4", "--cpu-targets=x86-64-v4: x86-64-v3 is required"),
    ("x86-64-v3,znver9", "CPU target 'znver9' is not supported (x86-64-v3, x86-64-v4)"),
])
def test_bad_cpu_targets(axe_compile, models, tmp_path, targets, message):
    out = subprocess.run([str(axe_compile), str(models / MODEL), f"--cpu-targets={targets}", "-o",
                          str(tmp_path / "x.axe")], capture_output=True, text=True)
    assert out.returncode == 1 and message in out.stderr
    assert not (tmp_path / "x.axe").exists()


def test_a_corrupt_v4_library_is_refused_and_v3_still_runs(axe_run, compiled, tmp_path):
    broken = tmp_path / "broken.axe"
    shutil.copytree(compiled(MODEL, "default"), broken)
    library = broken / "cpu/kernels-x86-64-v4.so"
    data = bytearray(library.read_bytes())
    data[len(data) // 3] ^= 0x01
    library.write_bytes(bytes(data))
    out = run(axe_run, broken, "--cpu-kernels", "x86-64-v4")
    assert out.returncode == 1 and "does not match the manifest's files.cpu_kernels_v4.sha256" in out.stderr
    assert run(axe_run, broken, "--cpu-kernels", "x86-64-v3").returncode == 0
    out = run(axe_run, broken, "--cpu-kernels", "avx9")
    assert out.returncode == 1 and "--cpu-kernels avx9 is not supported (x86-64-v3, x86-64-v4)" in out.stderr
