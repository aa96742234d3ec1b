"""llama.cpp as a CPU peer: built here from the llama-cpp-python sdist (PyPI), which carries
llama.cpp's sources and its convert_hf_to_gguf.py; a Hugging Face checkpoint converted to GGUF;
llama-bench timed with a given thread count.

Everything lands under build/peers/ and is reused by later runs: the sdist, the llama-bench build
(native: the instructions of this CPU, as a llama.cpp user builds it), and the GGUF files (made
again when the checkpoint is newer).
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "build/peers"
SDIST_VERSION = "0.3.36"  # the llama-cpp-python release whose llama.cpp these figures come from


def source_dir() -> Path:
    """The llama.cpp sources, from the llama-cpp-python sdist (downloaded once)."""
    src = PEERS / f"llama_cpp_python-{SDIST_VERSION}/vendor/llama.cpp"
    if (src / "CMakeLists.txt").exists():
        return src
    PEERS.mkdir(parents=True, exist_ok=True)
    sdist = PEERS / f"llama_cpp_python-{SDIST_VERSION}.tar.gz"
    if not sdist.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
                        f"llama-cpp-python=={SDIST_VERSION}", "-d", str(PEERS)], check=True)
    with tarfile.open(sdist) as tar:
        tar.extractall(PEERS, filter="data")
    return src


NO_AMX = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"


def llama_bench() -> Path:
    """llama-bench built for this CPU (GGML_NATIVE), with CMake and Ninja as the sdist would, but
    without AMX: on a host whose CPU reports AMX but whose kernel or hypervisor does not grant the
    tile state (as on the 2026-12-02 machine), its AMX kernels die on SIGILL (tilezero)."""
    build = PEERS / "llama-build"
    binary = build / "bin/llama-bench"
    if binary.exists():
        return binary
    src = source_dir()
    subprocess.run(["cmake", "-G", "Ninja", "-S", str(src), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                    "-DGGML_NATIVE=ON", "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
                    "-DLLAMA_BUILD_SERVER=OFF", f"-DCMAKE_C_FLAGS={NO_AMX}", f"-DCMAKE_CXX_FLAGS={NO_AMX}"],
                   check=True, capture_output=True)
    subprocess.run(["ninja", "-C", str(build), f"-j{os.cpu_count()}", "llama-bench"], check=True)
    return binary


def _byte_tokenizer(dst: Path) -> None:
    """A byte-level BPE tokenizer of the 256 bytes, one merge (llama.cpp refuses a BPE vocabulary
    without merges) and an end token. llama-bench times random token ids, so the tokenizer's content
    does not matter; the converter only needs one that loads."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    vocab = {ch: i for i, ch in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    vocab["\u0120t"] = len(vocab)  # "Ġt": a space and a t
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[("\u0120", "t")]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(["<|endoftext|>"])
    tok.save(str(dst / "tokenizer.json"))
    (dst / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "<|endoftext|>"}))


def _convertible_copy(model: Path) -> Path:
    """The checkpoint as the converter wants it: the same safetensors (linked), a config naming its
    architecture, and a tokenizer. axe's test checkpoints have neither of the last two."""
    dst = PEERS / f"{model.name}-hf"
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for f in model.iterdir():
        if f.suffix == ".safetensors" or f.name == "model.safetensors.index.json":
            (dst / f.name).symlink_to(f.resolve())
    config = json.loads((model / "config.json").read_text())
    config.setdefault("architectures", ["Qwen3_5MoeForCausalLM"])
    (dst / "config.json").write_text(json.dumps(config, indent=2))
    _byte_tokenizer(dst)
    return dst


# Run in a child Python: the converter with its pre-tokenizer check answered, since that check
# hashes how a known model's tokenizer splits a test text and the byte tokenizer above is none.
_CONVERT = """
import sys
sys.argv = ["convert_hf_to_gguf.py"] + sys.argv[1:]
import convert_hf_to_gguf
from conversion.base import TextModel
TextModel.get_vocab_base_pre = lambda self, tokenizer: "qwen35"
convert_hf_to_gguf.main()
"""


def gguf(model: Path, outtype: str) -> Path:
    """The checkpoint as GGUF (outtype bf16 or q8_0), converted once per checkpoint version."""
    out = PEERS / f"{model.name}-{outtype}.gguf"
    newest = max(f.stat().st_mtime for f in model.iterdir())
    if out.exists() and out.stat().st_mtime > newest:
        return out
    src = source_dir()
    hf = _convertible_copy(model)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(src), str(src / "gguf-py")]))
    tmp = out.with_suffix(".partial")
    # --no-mtp: axe's test checkpoints have no multi-token-prediction layers to export.
    done = subprocess.run([sys.executable, "-c", _CONVERT, str(hf), "--outtype", outtype, "--no-mtp",
                           "--outfile", str(tmp)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"convert_hf_to_gguf failed on {model.name} ({outtype}):\n{done.stderr[-3000:]}")
    tmp.rename(out)
    return out


def bench(model_gguf: Path, threads: int, prompt: int, tokens: int, repetitions: int) -> tuple[float, float]:
    """(prefill tok/s over `prompt` tokens, decode tok/s over `tokens` tokens), as llama-bench's
    pp and tg tests report them (mean over the repetitions)."""
    out = subprocess.run([str(llama_bench()), "-m", str(model_gguf), "-t", str(threads), "-p", str(prompt),
                          "-n", str(tokens), "-r", str(repetitions), "-o", "json"],
                         check=True, capture_output=True, text=True).stdout
    rows = json.loads(out)
    pp = next(r["avg_ts"] for r in rows if r["n_prompt"] == prompt and r["n_gen"] == 0)
    tg = next(r["avg_ts"] for r in rows if r["n_gen"] == tokens and r["n_prompt"] == 0)
    return pp, tg
