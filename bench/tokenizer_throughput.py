#!/usr/bin/env python3
"""Encoding speed of axe's C++ tokenizer against Hugging Face's tokenizers (the peer) on the Qwen3.5
tokenizer.json, the same text and machine, one thread each: MB/s, tokens/s and their ratio.

    .venv/bin/python bench/tokenizer_throughput.py [--mb 4] [--repeats 3]   # AXE_BUILD: default build

The text is test/data/tokenizer_corpus.jsonl (many scripts, code, emoji) repeated to about --mb MB, in
two shapes: one document (the lines joined by newlines) and the lines as separate requests. axe is
timed inside axe-tokenize (--stats: the tokenizer only, not its JSON in and out); tokenizers' encode
(one call per document, encode_batch over the lines) with TOKENIZERS_PARALLELISM=false and
RAYON_NUM_THREADS=1. Best of --repeats; both must give the same token count. Loading tokenizer.json is
reported, not counted. The record goes to bench/results/tokenizer_throughput.txt.
"""
import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"  # before tokenizers is imported: one thread
os.environ["RAYON_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import tokenizers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("AXE_BUILD") or ROOT / "build")  # where bin/axe-tokenize is
sys.path.insert(0, str(ROOT / "test/models"))

import make_qwen_tokenizer  # noqa: E402


def axe_encode(tool: Path, tokenizer_json: Path, lines: list[str]) -> tuple[float, int, float]:
    """(seconds encoding, tokens, seconds loading) from axe-tokenize --stats."""
    stdin = "".join(json.dumps(x) + "\n" for x in lines).encode()
    out = subprocess.run([str(tool), str(tokenizer_json), "--stats"], input=stdin, capture_output=True, check=True)
    m = re.search(r"load ([\d.]+) s; encode ([\d.]+) s: (\d+) bytes, (\d+) tokens", out.stderr.decode())
    if not m:
        raise SystemExit(f"axe-tokenize printed no stats:\n{out.stderr.decode()}")
    return float(m.group(2)), int(m.group(4)), float(m.group(1))


def hf_encode(tok: tokenizers.Tokenizer, lines: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    if len(lines) == 1:
        tokens = len(tok.encode(lines[0], add_special_tokens=False).ids)
    else:
        tokens = sum(len(e.ids) for e in tok.encode_batch(lines, add_special_tokens=False))
    return time.perf_counter() - start, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=4.0, help="size of the text in MB (default 4)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each; the best counts (default 3)")
    args = parser.parse_args()
    tool = BUILD / "bin/axe-tokenize"
    if not tool.is_file():
        raise SystemExit(f"{tool} is missing: build it with scripts/build.sh axe-tokenize")
    tokenizer_json = make_qwen_tokenizer.main(["--out", str(ROOT / "build/test-models")]) / "tokenizer.json"

    corpus = [json.loads(x) for x in (ROOT / "test/data/tokenizer_corpus.jsonl").read_text().split("\n") if x]
    size = sum(len(x.encode()) + 1 for x in corpus)
    lines = corpus * max(1, round(args.mb * 1e6 / size))
    document = ["\n".join(lines)]
    nbytes = len(document[0].encode())

    start = time.perf_counter()
    hf = tokenizers.Tokenizer.from_file(str(tokenizer_json))
    hf_load = time.perf_counter() - start
    hf.encode_special_tokens = True  # special-token text as plain text, as axe-tokenize without --special
    rows, axe_load = [], 0.0
    for shape, text in (("one document", document), (f"{len(lines)} lines", lines)):
        axe_runs = [axe_encode(tool, tokenizer_json, text) for _ in range(args.repeats)]
        hf_runs = [hf_encode(hf, text) for _ in range(args.repeats)]
        axe_secs, axe_tokens = min(r[0] for r in axe_runs), axe_runs[0][1]
        hf_secs, hf_tokens = min(r[0] for r in hf_runs), hf_runs[0][1]
        axe_load = min(r[2] for r in axe_runs)
        if axe_tokens != hf_tokens:
            raise SystemExit(f"{shape}: axe made {axe_tokens} tokens, tokenizers {hf_tokens}")
        rows.append((shape, "axe", axe_secs, axe_tokens, axe_secs))
        rows.append((shape, f"tokenizers {tokenizers.__version__}", hf_secs, hf_tokens, axe_secs))

    lines_out = [f"{nbytes / 1e6:.2f} MB of test/data/tokenizer_corpus.jsonl, Qwen3.5 tokenizer.json, "
                 f"1 thread each ({platform.machine()}, {os.cpu_count()} cores), best of {args.repeats}",
                 f"{'':14} {'':18} {'MB/s':>8} {'Mtokens/s':>10} {'vs axe':>8}"]
    for shape, name, secs, tokens, axe_secs in rows:
        lines_out.append(f"{shape:14} {name:18} {nbytes / secs / 1e6:8.2f} {tokens / secs / 1e6:10.3f} "
                         f"{axe_secs / secs:7.2f}x")
    lines_out.append(f"loading tokenizer.json: axe {axe_load:.2f} s, tokenizers {hf_load:.2f} s; "
                     f"load average {os.getloadavg()[0]:.1f} (the machine is shared)")
    print("\n".join(lines_out))
    out = ROOT / "bench/results/tokenizer_throughput.txt"
    out.write_text(f"# {datetime.date.today()} tokenizers {tokenizers.__version__}\n" + "\n".join(lines_out) + "\n")


if __name__ == "__main__":
    main()
