"""Shared fixtures of the end-to-end tests: the build tree, the test models, axe's FP8 library.

    AXE_BUILD=build              # where bin/axe-compile and lib/libaxe_fp8.so are (default: build)
    AXE_TEST_MODELS=/tmp/models  # reuse (or fill) a model directory instead of a temp one
"""
import ctypes
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test/models"))

import make_test_models  # noqa: E402

BUILD = Path(os.environ.get("AXE_BUILD") or ROOT / "build")


class Fp8Lib:
    """numpy front end of the C entry points in support/Fp8.h."""

    def __init__(self, path: Path):
        # A missing library is a broken build, not a reason to skip: fail loudly.
        assert path.is_file(), f"{path} is missing: build it with scripts/build.sh axe_fp8"
        self.lib = ctypes.CDLL(str(path))
        p, n = ctypes.c_void_p, ctypes.c_int64
        self.lib.axe_f32_to_e4m3.argtypes = [p, p, n]
        self.lib.axe_quantize_rows.argtypes = [p, n, n, p, p]
        self.lib.axe_dequantize_rows.argtypes = [p, p, n, n, p]

    def f32_to_e4m3(self, x) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.empty(x.shape, np.uint8)
        self.lib.axe_f32_to_e4m3(x.ctypes.data, out.ctypes.data, x.size)
        return out

    def quantize_rows(self, w) -> tuple[np.ndarray, np.ndarray]:
        w = np.ascontiguousarray(w, dtype=np.float32)
        values, scales = np.empty(w.shape, np.uint8), np.empty(w.shape[0], np.float32)
        self.lib.axe_quantize_rows(w.ctypes.data, *w.shape, values.ctypes.data, scales.ctypes.data)
        return values, scales

    def dequantize_rows(self, values, scales) -> np.ndarray:
        values = np.ascontiguousarray(values, dtype=np.uint8)
        scales = np.ascontiguousarray(scales, dtype=np.float32).reshape(-1)
        assert scales.size == values.shape[0]
        out = np.empty(values.shape, np.float32)
        self.lib.axe_dequantize_rows(values.ctypes.data, scales.ctypes.data, *values.shape, out.ctypes.data)
        return out


@pytest.fixture(scope="session")
def fp8lib() -> Fp8Lib:
    return Fp8Lib(BUILD / "lib/libaxe_fp8.so")


def _tool(name: str) -> Path:
    path = BUILD / "bin" / name
    assert path.is_file(), f"{path} is missing: build it with scripts/build.sh {name}"
    return path


@pytest.fixture(scope="session")
def axe_compile() -> Path:
    return _tool("axe-compile")


@pytest.fixture(scope="session")
def axe_run() -> Path:
    return _tool("axe-run")


@pytest.fixture(scope="session")
def axe_chat_template() -> Path:
    return _tool("axe-chat-template")


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Path:
    out = Path(os.environ.get("AXE_TEST_MODELS") or tmp_path_factory.mktemp("models"))
    make_test_models.main(["--out", str(out), "--only", "tiny", "tiny-text", "tiny-trained", "tiny-fp8-channel",
                           "tiny-block-base", "tiny-fp8-block", "tiny-chat", "text-trained"])
    return out


@pytest.fixture(scope="session")
def compiled(axe_compile, models, tmp_path_factory):
    """artifact(model, policy[, kv_cache]) -> path of model.axe, compiled once per session."""
    out = tmp_path_factory.mktemp("artifacts")
    cache = {}

    def artifact(model: str, policy: str, kv_cache: str = "bf16") -> Path:
        path = out / f"{model}-{policy}-kv{kv_cache}.axe"
        if path not in cache:
            subprocess.run([str(axe_compile), str(models / model), "-o", str(path), f"--precision={policy}",
                            f"--kv-cache={kv_cache}"], check=True, capture_output=True, text=True)
            cache[path] = path
        return path

    return artifact
