"""An artifact with both targets (axe-compile --target cpu,sm_90a), checked where there is no GPU.

The GPU side itself runs in scripts/gpu-check.sh on a Hopper machine (results in bench/results/).
Here: the artifact records its cubin and PTX like its other files, they hold a kernel for every
kernel of the manifest, the CPU path is unchanged by them, and `axe-run --device cuda` refuses a
CPU-only artifact, a corrupt cubin, and a machine without a driver, each in one line.
"""
import ctypes
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

MODEL = "tiny"
PROMPT = "--prompt-ids=1,2,3,4,5,6,7,8"


@pytest.fixture(scope="module")
def gpu_artifact(axe_compile, models, tmp_path_factory):
    if not shutil.which("ptxas") and not Path("/usr/local/cuda/bin/ptxas").exists():
        pytest.skip("no ptxas (CUDA toolkit): the sm_90a kernels cannot be assembled here")
    out = tmp_path_factory.mktemp("gpu") / "tiny.axe"
    run = subprocess.run([str(axe_compile), str(models / MODEL), "--target", "cpu,sm_90a", "-o", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    # FP8 ops that do not reach the tensor cores are never silent.
    assert "reach sm_90a as generic kernels on CUDA cores, not the FP8 tensor cores" in run.stderr
    return out


def has_cuda_driver() -> bool:
    try:
        ctypes.CDLL("libcuda.so.1")  # what axe's runtime dlopens
        return True
    except OSError:
        return False


def run_axe(axe_run, artifact, *extra):
    return subprocess.run([str(axe_run), str(artifact), PROMPT, "--max-tokens=6", *extra],
                          capture_output=True, text=True)


def test_the_manifest_records_both_gpu_files(gpu_artifact):
    manifest = json.loads((gpu_artifact / "manifest.json").read_text())
    for key, name in [("gpu_kernels", "kernels.cubin"), ("gpu_ptx", "kernels.ptx")]:
        record = manifest["files"][key]
        data = (gpu_artifact / record["path"]).read_bytes()
        assert record["path"] == f"nvvm/{name}" and record["target"] == "sm_90a"
        assert record["bytes"] == len(data) and record["sha256"] == hashlib.sha256(data).hexdigest()
    assert (gpu_artifact / "nvvm/kernels.cubin").read_bytes()[:4] == b"\x7fELF"
    entries = re.findall(r"\.entry (\w+)\(", (gpu_artifact / "nvvm/kernels.ptx").read_text())
    assert entries == [k["name"] for k in manifest["kernels"]]


def test_the_cubin_is_the_recorded_ptx_assembled(gpu_artifact, tmp_path):
    """axe-compile lowers the kernels to PTX once and assembles that text with ptxas (-arch sm_90a
    -O3): assembling nvvm/kernels.ptx again gives nvvm/kernels.cubin byte for byte (ptxas is
    deterministic), so the PTX in the artifact is exactly the code that runs."""
    ptxas = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"
    out = tmp_path / "again.cubin"
    run = subprocess.run([ptxas, "-arch", "sm_90a", "--opt-level", "3", str(gpu_artifact / "nvvm/kernels.ptx"),
                          "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == (gpu_artifact / "nvvm/kernels.cubin").read_bytes()


def test_the_cpu_path_is_unchanged(axe_run, compiled, gpu_artifact):
    cpu_only = run_axe(axe_run, compiled(MODEL, "default"))
    both = run_axe(axe_run, gpu_artifact, "--device", "cpu")
    assert cpu_only.returncode == 0 and both.returncode == 0, both.stderr
    assert both.stdout.splitlines()[0] == cpu_only.stdout.splitlines()[0]


def test_cuda_refuses_a_cpu_only_artifact(axe_run, compiled):
    run = run_axe(axe_run, compiled(MODEL, "default"), "--device", "cuda")
    assert run.returncode == 1
    assert "holds no GPU kernels; compile it with axe-compile --target cpu,sm_90a" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_cuda_refuses_a_corrupt_cubin(axe_run, gpu_artifact, tmp_path):
    broken = tmp_path / "broken.axe"
    shutil.copytree(gpu_artifact, broken)
    cubin = broken / "nvvm/kernels.cubin"
    data = bytearray(cubin.read_bytes())
    data[len(data) // 2] ^= 0x40
    cubin.write_bytes(bytes(data))
    run = run_axe(axe_run, broken, "--device", "cuda")
    assert run.returncode == 1
    assert "does not match the manifest's files.gpu_kernels.sha256" in run.stderr
    # The CPU never reads the cubin.
    assert run_axe(axe_run, broken, "--device", "cpu").returncode == 0


def test_the_gpu_records_are_bound_to_the_cpu_kernels(axe_run, gpu_artifact, tmp_path):
    """cpu/kernels.so embeds the digest of the rest of the manifest, GPU records included: an
    edited record (say, to pass off another cubin) stops the load on either device."""
    edited = tmp_path / "edited.axe"
    shutil.copytree(gpu_artifact, edited)
    manifest = json.loads((edited / "manifest.json").read_text())
    manifest["files"]["gpu_kernels"]["sha256"] = "0" * 64
    (edited / "manifest.json").write_text(json.dumps(manifest, indent=1))
    for device in ["cpu", "cuda"]:
        run = run_axe(axe_run, edited, "--device", device)
        assert run.returncode == 1
        assert "was not compiled for this manifest.json" in run.stderr


@pytest.mark.skipif(has_cuda_driver(), reason="a CUDA driver is installed here")
def test_cuda_without_a_driver_says_so_in_one_line(axe_run, gpu_artifact):
    run = run_axe(axe_run, gpu_artifact, "--device", "cuda")
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "axe-run: error: no CUDA driver: cannot load libcuda.so.1 (libcuda.so.1: cannot open shared object file: "
        "No such file or directory); the GPU path needs an NVIDIA driver and GPU"]


@pytest.mark.parametrize("args,message", [
    (["--target", "cpu,sm_80"], "--target=cpu,sm_80 is not supported for an artifact (supported: cpu, cpu,sm_90a"),
    (["--target", "sm_90a", "--emit=dispatches"], "--target CHIP goes with --emit=ptx or --emit=cubin"),
])
def test_bad_targets(axe_compile, models, tmp_path, args, message):
    run = subprocess.run([str(axe_compile), str(models / MODEL), "-o", str(tmp_path / "x.axe"), *args],
                         capture_output=True, text=True)
    assert run.returncode == 1 and message in run.stderr
    assert not (tmp_path / "x.axe").exists()


def test_unknown_device(axe_run, compiled):
    run = run_axe(axe_run, compiled(MODEL, "default"), "--device", "tpu")
    assert run.returncode == 1 and "--device tpu is not supported (cpu, cuda)" in run.stderr
