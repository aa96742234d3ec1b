//===- TokenizerTest.cpp - BPE, added tokens, streaming, bad files --------===//
//
// On a tiny hand-made tokenizer.json: the 256 byte tokens (id = byte) plus a few merges, Qwen's
// split regex and NFC. The real Qwen3.5 vocabulary is checked against Hugging Face's tokenizers in
// test/e2e/test_tokenizer.py.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ByteLevel.h"
#include "runtime/text/SplitRegex.h"
#include "runtime/text/StreamingDecoder.h"
#include "runtime/text/Tokenizer.h"

#include "support/Error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <climits>
#include <random>
#include <string>
#include <vector>

namespace {

using axe::Tokenizer;
using nlohmann::json;
using Ids = std::vector<int32_t>;

const char *kQwenSplit = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| "
                         "?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

std::string bl(const std::string &bytes) { return axe::bytesToByteLevel(bytes); }

// Ids 0..255: the bytes; 256..: the merges' results, in this order.
const std::vector<std::pair<std::string, std::string>> kMerges = {
    {"h", "e"},     // 256 he
    {"l", "l"},     // 257 ll
    {"he", "ll"},   // 258 hell
    {"hell", "o"},  // 259 hello
    {" ", "w"},     // 260 " w"
    {"a", "a"},     // 261 aa
    {"aa", "aa"},   // 262 aaaa
    {"b", "c"},     // 263 bc
    {"a", "b"},     // 264 ab
    {"\xC3", "\xA9"}, // 265 é (U+00E9)
};
constexpr int32_t kHello = 259, kSpaceW = 260, kAa = 261, kAaaa = 262, kBc = 263, kAb = 264, kEAcute = 265;
constexpr int32_t kAbc = 266; // in the vocabulary, but no merge makes it
constexpr int32_t kImStart = 300, kThink = 301, kThinkLong = 302, kPlainAdded = 303;

json tinyTokenizer() {
  json vocab = json::object(), merges = json::array();
  for (int b = 0; b < 256; ++b)
    vocab[bl(std::string(1, char(b)))] = b;
  int32_t next = 256;
  for (const auto &[l, r] : kMerges) {
    vocab[bl(l + r)] = next++;
    merges.push_back(json::array({bl(l), bl(r)}));
  }
  vocab[bl("abc")] = kAbc;
  auto added = [](int32_t id, const char *content, bool special) {
    return json{{"id", id},         {"content", content}, {"single_word", false}, {"lstrip", false},
                {"rstrip", false}, {"normalized", false}, {"special", special}};
  };
  return json{
      {"version", "1.0"},
      {"added_tokens", json::array({added(kImStart, "<|im_start|>", true), added(kThink, "<think>", true),
                                    added(kThinkLong, "<think>>", true), added(kPlainAdded, "<plain>", false)})},
      {"normalizer", {{"type", "NFC"}}},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers", json::array({{{"type", "Split"},
                                        {"pattern", {{"Regex", kQwenSplit}}},
                                        {"behavior", "Isolated"},
                                        {"invert", false}},
                                       {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model",
       {{"type", "BPE"}, {"ignore_merges", false}, {"vocab", vocab}, {"merges", merges}, {"dropout", nullptr}}},
  };
}

Tokenizer tiny(const json &j = tinyTokenizer()) { return Tokenizer::parse(j.dump(), "tiny.json"); }

Ids bytesOf(const std::string &s) {
  Ids ids;
  for (unsigned char c : s)
    ids.push_back(c);
  return ids;
}

TEST(Tokenizer, MergesByRank) {
  Tokenizer t = tiny();
  EXPECT_EQ(t.encode("hello"), Ids{kHello});
  EXPECT_EQ(t.encode("hell"), (Ids{258}));
  EXPECT_EQ(t.encode("helo"), (Ids{256, 'l', 'o'}));
  // b+c (rank 7) comes before a+b (rank 8), though a+b is further left.
  EXPECT_EQ(t.encode("abc"), (Ids{'a', kBc}));
  EXPECT_EQ(t.encode("abd"), (Ids{kAb, 'd'}));
}

TEST(Tokenizer, EqualRanksMergeLeftmostFirst) {
  Tokenizer t = tiny();
  EXPECT_EQ(t.encode("aaa"), (Ids{kAa, 'a'}));
  EXPECT_EQ(t.encode("aaaa"), Ids{kAaaa});
  EXPECT_EQ(t.encode("aaaaa"), (Ids{kAaaa, 'a'}));
  EXPECT_EQ(t.encode("aaaaaa"), (Ids{kAaaa, kAa}));
}

// The textbook algorithm: merge the lowest-ranked adjacent pair, leftmost first, until none is left.
Ids referenceBpe(const std::string &piece) {
  Ids ids = bytesOf(piece);
  for (;;) {
    size_t best = ids.size();
    int32_t bestRank = INT32_MAX;
    for (size_t i = 0; i + 1 < ids.size(); ++i)
      for (size_t rank = 0; rank < kMerges.size(); ++rank) {
        const auto &[l, r] = kMerges[rank];
        auto idOf = [](const std::string &s) { return s.size() == 1 ? int32_t(uint8_t(s[0])) : -1; };
        // Merge results are 256 + rank; single bytes are their own ids.
        int32_t left = idOf(l), right = idOf(r);
        for (size_t k = 0; k < rank; ++k) {
          if (kMerges[k].first + kMerges[k].second == l)
            left = 256 + int32_t(k);
          if (kMerges[k].first + kMerges[k].second == r)
            right = 256 + int32_t(k);
        }
        if (ids[i] == left && ids[i + 1] == right && int32_t(rank) < bestRank) {
          best = i;
          bestRank = int32_t(rank);
        }
      }
    if (best == ids.size())
      return ids;
    ids[best] = 256 + bestRank;
    ids.erase(ids.begin() + best + 1);
  }
}

TEST(Tokenizer, ShortAndLongPiecesMergeAlike) {
  // Pieces up to 64 bytes are merged by a scan, longer ones through a priority queue.
  Tokenizer t = tiny();
  std::mt19937 rng(3);
  for (int trial = 0; trial < 400; ++trial) {
    std::string piece(1 + rng() % 150, 'a');
    for (char &c : piece)
      c = "aabchello"[rng() % 9];
    ASSERT_EQ(t.encode(piece), referenceBpe(piece)) << piece;
  }
}

TEST(Tokenizer, IgnoreMergesTakesWholeTokens) {
  EXPECT_EQ(tiny().encode("abc"), (Ids{'a', kBc}));
  json j = tinyTokenizer();
  j["model"]["ignore_merges"] = true;
  Tokenizer t = tiny(j);
  EXPECT_EQ(t.encode("abc"), Ids{kAbc}); // in the vocabulary: taken whole, as tiktoken does
  EXPECT_EQ(t.encode("abcd"), (Ids{'a', kBc, 'd'}));
}

TEST(Tokenizer, SplitsBeforeMerging) {
  Tokenizer t = tiny();
  // "hello", " w" "orld": the space joins the following word, never the previous one.
  EXPECT_EQ(t.encode("hello world"), (Ids{kHello, kSpaceW, 'o', 'r', 'l', 'd'}));
  // Digits one by one; contractions case-insensitively.
  EXPECT_EQ(t.encode("12"), (Ids{'1', '2'}));
  EXPECT_EQ(t.encode("HE'LL"), (Ids{'H', 'E', '\'', 'L', 'L'}));
  EXPECT_EQ(t.encode(""), Ids{});
}

std::vector<std::string_view> splitWith(const char *pattern, std::string_view text) {
  axe::SplitRegex split(pattern);
  std::vector<std::string_view> pieces;
  split.split(text, pieces);
  return pieces;
}

TEST(SplitRegex, WhiteSpaceIsUnicodeWhiteSpace) {
  // U+180E is no longer White_Space (PCRE2's UCP \s would still take it); U+0085 is.
  EXPECT_EQ(splitWith("\\s+|\\S+", "a\xE1\xA0\x8E" "b\xC2\x85" "c"),
            (std::vector<std::string_view>{"a\xE1\xA0\x8E" "b", "\xC2\x85", "c"}));
  EXPECT_EQ(splitWith("[^\\s]+", "x\xE1\xA0\x8Ey z"), (std::vector<std::string_view>{"x\xE1\xA0\x8Ey", " ", "z"}));
  EXPECT_THROW(axe::translateForPcre2("[\\S]"), axe::Error);
  EXPECT_THROW(axe::translateForPcre2("[\\P{L}]"), axe::Error);
}

TEST(SplitRegex, ClassesAsHfKnowsThem) {
  // U+31350 (CJK Extension H) and U+1E4D0 (Nag Mundari) are letters since Unicode 15, U+1E4F0 a
  // digit: PCRE2 10.42 (Unicode 14) alone would not know them.
  EXPECT_EQ(splitWith("\\p{L}+|\\pN|.", "a\xF0\xB1\x8D\x90\xF0\x9E\x93\x90" "b\xF0\x9E\x93\xB0"),
            (std::vector<std::string_view>{"a\xF0\xB1\x8D\x90\xF0\x9E\x93\x90" "b", "\xF0\x9E\x93\xB0"}));
  EXPECT_EQ(splitWith("[^\\p{L}]+|\\P{L}", "\xF0\xB1\x8D\x90!"),
            (std::vector<std::string_view>{"\xF0\xB1\x8D\x90", "!"}));
  EXPECT_NE(axe::translateForPcre2("\\p{L}").find("\\x{31350}-\\x{323AF}"), std::string::npos);
  EXPECT_EQ(axe::translateForPcre2("\\p{Lu}\\p{Han}"), "\\p{Lu}\\p{Han}"); // no other class changes
}

TEST(Tokenizer, NormalizesToNfc) {
  Tokenizer t = tiny();
  EXPECT_EQ(t.encode("\xC3\xA9"), Ids{kEAcute});    // precomposed U+00E9
  EXPECT_EQ(t.encode("e\xCC\x81"), Ids{kEAcute});   // e + U+0301 composes to it
  EXPECT_EQ(t.decode(t.encode("e\xCC\x81")), "\xC3\xA9");
  // HF's Unicode 9.0 tables: U+11A99 (Soyombo, Unicode 10, class 9) is not moved before U+0301.
  EXPECT_EQ(t.decode(t.encode("x\xCC\x81\xF0\x91\xAA\x99")), "x\xCC\x81\xF0\x91\xAA\x99");
  EXPECT_EQ(t.decode(t.encode("x\xCC\x81\xE0\xA5\x8D")), "x\xE0\xA5\x8D\xCC\x81"); // U+094D is
}

TEST(Tokenizer, SpecialTokensOnlyWhenAllowed) {
  Tokenizer t = tiny();
  std::string text = "a<|im_start|>b";
  EXPECT_EQ(t.encode(text, true), (Ids{'a', kImStart, 'b'}));
  Ids plain = t.encode(text, false);
  EXPECT_EQ(t.decode(plain), text);
  for (int32_t id : plain)
    EXPECT_FALSE(t.isSpecial(id));
  EXPECT_EQ(t.encode(text), plain); // not allowed by default
  // Longest match at the leftmost position; the rest goes through the pipeline.
  EXPECT_EQ(t.encode("<think>>>", true), (Ids{kThinkLong, '>'}));
  EXPECT_EQ(t.encode("x<think>", true), (Ids{'x', kThink}));
  // Non-special added tokens are always recognized (as in HF).
  EXPECT_EQ(t.encode("<plain>", false), Ids{kPlainAdded});
  EXPECT_EQ(t.addedTokenId("<think>"), kThink);
  EXPECT_EQ(t.addedTokenId("<nope>"), std::nullopt);
  EXPECT_TRUE(t.isSpecial(kImStart));
  EXPECT_FALSE(t.isSpecial(kPlainAdded));
  EXPECT_FALSE(t.isSpecial('a'));
}

TEST(Tokenizer, SpecialTokensAreNotNormalizedAcross) {
  // e, <|im_start|>, U+0301: the added token keeps e and the accent apart, so nothing composes.
  Tokenizer t = tiny();
  Ids ids = t.encode("e<|im_start|>\xCC\x81", true);
  EXPECT_EQ(ids, (Ids{'e', kImStart, 0xCC, 0x81}));
}

TEST(Tokenizer, InvalidUtf8BecomesReplacementCharacters) {
  Tokenizer t = tiny();
  Ids fffd = bytesOf("\xEF\xBF\xBD");
  EXPECT_EQ(t.encode("\xFF"), fffd);
  Ids expected = {'a'};
  expected.insert(expected.end(), fffd.begin(), fffd.end());
  EXPECT_EQ(t.encode("a\xE2\x82"), expected); // a truncated sequence: one U+FFFD
  EXPECT_EQ(t.encode(std::string("a\0b", 3)), (Ids{'a', 0, 'b'}));
}

TEST(Tokenizer, Decode) {
  Tokenizer t = tiny();
  EXPECT_EQ(t.decode({kHello, kSpaceW, 'o'}), "hello wo");
  EXPECT_EQ(t.decode({kImStart, 'x'}), "<|im_start|>x");
  EXPECT_EQ(t.decode({0xE2, 0x82}), "\xEF\xBF\xBD"); // half a character
  EXPECT_EQ(t.tokenBytes(kEAcute), "\xC3\xA9");
  EXPECT_EQ(t.idCount(), 304);
  EXPECT_THROW(t.decode({304}), axe::Error);
  EXPECT_THROW(t.decode({-1}), axe::Error);
  EXPECT_THROW(t.decode({290}), axe::Error); // a gap between the vocabulary and the added tokens
}

TEST(StreamingDecoder, HoldsBackSplitCharacters) {
  axe::StreamingDecoder s(tiny());
  // U+20AC (E2 82 AC), one byte per id.
  EXPECT_EQ(s.push(0xE2), "");
  EXPECT_EQ(s.push(0x82), "");
  EXPECT_EQ(s.pending(), 2u);
  EXPECT_EQ(s.push(0xAC), "\xE2\x82\xAC");
  // U+1F600 (F0 9F 98 80) over two ids with text around it.
  EXPECT_EQ(s.push('x'), "x");
  EXPECT_EQ(s.push(0xF0), "");
  EXPECT_EQ(s.push(0x9F), "");
  EXPECT_EQ(s.push(0x98), "");
  EXPECT_EQ(s.push(0x80), "\xF0\x9F\x98\x80");
  EXPECT_EQ(s.finish(), "");
}

TEST(StreamingDecoder, ReplacesWhatCannotBeCompleted) {
  axe::StreamingDecoder s(tiny());
  EXPECT_EQ(s.push(0xFF), "\xEF\xBF\xBD");        // never starts a sequence: replaced at once
  EXPECT_EQ(s.push(0xE2), "");
  EXPECT_EQ(s.push('A'), "\xEF\xBF\xBD" "A");      // 'A' cannot continue E2
  EXPECT_EQ(s.push(0xE2), "");
  EXPECT_EQ(s.push(0x82), "");
  EXPECT_EQ(s.finish(), "\xEF\xBF\xBD");          // the end: one U+FFFD for E2 82
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_EQ(s.push('b'), "b");                    // ready for a new stream
  EXPECT_THROW(s.push(304), axe::Error);
}

TEST(StreamingDecoder, PiecesAddUpToDecode) {
  Tokenizer t = tiny();
  std::mt19937 rng(7);
  // Random byte ids, biased towards UTF-8 lead and continuation bytes, and a few merged tokens.
  const int32_t pool[] = {0x41, 0x80, 0x8F, 0x9F, 0xA0, 0xBF, 0xC2, 0xC3, 0xE0, 0xE2, 0xED,
                          0xF0, 0xF4, 0xF5, 0xFF, kHello, kEAcute, kImStart};
  for (int trial = 0; trial < 2000; ++trial) {
    Ids ids(rng() % 12);
    for (int32_t &id : ids)
      id = pool[rng() % (sizeof pool / sizeof pool[0])];
    axe::StreamingDecoder s(t);
    std::string streamed;
    for (int32_t id : ids)
      streamed += s.push(id);
    streamed += s.finish();
    ASSERT_EQ(streamed, t.decode(ids)) << "trial " << trial;
  }
}

// A broken file names its field in one line.
void expectError(const json &j, const std::string &needle) {
  try {
    tiny(j);
    ADD_FAILURE() << "accepted; expected an error about " << needle;
  } catch (const axe::Error &e) {
    std::string what = e.what();
    EXPECT_NE(what.find("tiny.json: "), std::string::npos) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(Tokenizer, MalformedFiles) {
  EXPECT_THROW(Tokenizer::parse("{\"model\": ", "tiny.json"), axe::Error);
  EXPECT_THROW(Tokenizer::parse("[]", "tiny.json"), axe::Error);
  EXPECT_THROW(Tokenizer::load("/nonexistent/tokenizer.json"), axe::Error);
  json j = tinyTokenizer();
  j.erase("model");
  expectError(j, "model: missing");
  j = tinyTokenizer();
  j["model"]["type"] = "WordPiece";
  expectError(j, "model.type");
  j = tinyTokenizer();
  j["model"]["vocab"] = json::array();
  expectError(j, "model.vocab: must be an object");
  j = tinyTokenizer();
  j["model"]["vocab"][bl("zz")] = -3;
  expectError(j, "model.vocab[\"zz\"]");
  j = tinyTokenizer();
  j["model"]["vocab"][bl("zz")] = 5;
  expectError(j, "id 5 is given to two tokens");
  j = tinyTokenizer();
  j["model"].erase("merges");
  expectError(j, "model.merges: missing");
  j = tinyTokenizer();
  j["model"]["merges"].push_back(json::array({"q", "zz"}));
  expectError(j, "model.merges[10]: \"zz\" is not in model.vocab");
  j = tinyTokenizer();
  j["model"]["merges"].push_back("x y z");
  expectError(j, "model.merges[10]");
  j = tinyTokenizer();
  j["model"]["merges"].push_back(json::array({"x", "y"})); // "xy" is not a token
  expectError(j, "\"xy\" is not in model.vocab");
  j = tinyTokenizer();
  j["model"]["merges"].push_back(42);
  expectError(j, "model.merges[10]");
  j = tinyTokenizer();
  j["model"]["vocab"].erase(bl("\n"));
  expectError(j, "no token for byte 0x0A");
  j = tinyTokenizer();
  j["model"]["byte_fallback"] = true;
  expectError(j, "model.byte_fallback");
  j = tinyTokenizer();
  j["normalizer"] = {{"type", "NFKC"}};
  expectError(j, "normalizer");
  j = tinyTokenizer();
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  expectError(j, "pre_tokenizer");
  j = tinyTokenizer();
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
  expectError(j, "PCRE2 rejects the split regex");
  j = tinyTokenizer();
  j["decoder"] = nullptr;
  expectError(j, "decoder");
  j = tinyTokenizer();
  j["added_tokens"][0]["lstrip"] = true;
  expectError(j, "added_tokens[0].lstrip");
  j = tinyTokenizer();
  j["added_tokens"][1]["id"] = kImStart;
  expectError(j, "given to two added tokens");
  j = tinyTokenizer();
  j["added_tokens"][0]["id"] = 'a';
  expectError(j, "already a different token");
  j = tinyTokenizer();
  j["added_tokens"][0]["content"] = "";
  expectError(j, "added_tokens[0].content");
}

TEST(Tokenizer, AcceptsOlderMergeStrings) {
  json j = tinyTokenizer();
  for (auto &m : j["model"]["merges"])
    m = m[0].get<std::string>() + " " + m[1].get<std::string>();
  EXPECT_EQ(tiny(j).encode("hello world"), (Ids{kHello, kSpaceW, 'o', 'r', 'l', 'd'}));
}

} // namespace
