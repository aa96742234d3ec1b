//===- axe-tokenize.cpp - text to token ids and back, line by line --------===//
//
//   axe-tokenize TOKENIZER.json [--special] [--stats] < texts.jsonl > ids.jsonl
//   axe-tokenize TOKENIZER.json --decode [--stream] < ids.jsonl > texts.jsonl
//
// Encoding reads one JSON value per line: a string, or {"hex": "..."} for bytes that need not be
// UTF-8; it writes one JSON array of ids per line. --special lets special-token text such as
// "<|im_start|>" become its id (otherwise it is tokenized as plain text). --stats prints the load and
// encode times to stderr (the encode time covers only the tokenizer, not the JSON in and out).
// Decoding reads one JSON array of ids per line and writes one JSON string; with --stream it writes
// the array of pieces that the streaming decoder handed out, one per id, then the final flush.
//
// The tests compare it with Hugging Face's tokenizers, the benchmark times it. Bad input ends with
// one line "axe-tokenize: error: ..." and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/StreamingDecoder.h"
#include "runtime/text/Tokenizer.h"
#include "support/Error.h"
#include "tools/common/Version.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

const char *kUsage = "usage: axe-tokenize TOKENIZER.json [--special] [--stats] < texts.jsonl\n"
                     "       axe-tokenize TOKENIZER.json --decode [--stream] < ids.jsonl\n";

struct Options {
  std::string tokenizer;
  bool special = false, stats = false, decode = false, stream = false;
};

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--special")
      o.special = true;
    else if (a == "--stats")
      o.stats = true;
    else if (a == "--decode")
      o.decode = true;
    else if (a == "--stream")
      o.stream = true;
    else if (a == "--version") {
      std::puts(axe::versionLine("axe-tokenize").c_str());
      std::exit(0);
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a.rfind("--", 0) == 0 || !o.tokenizer.empty())
      throw axe::Error("unexpected argument '" + a + "'\n" + kUsage);
    else
      o.tokenizer = a;
  }
  if (o.tokenizer.empty())
    throw axe::Error(std::string("no tokenizer.json given\n") + kUsage);
  if (o.stream && !o.decode)
    throw axe::Error("--stream goes with --decode");
  if (o.decode && (o.special || o.stats))
    throw axe::Error("--special and --stats go with encoding, not --decode");
  return o;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// The bytes a line stands for: a JSON string, or {"hex": "..."}.
std::string inputText(const nlohmann::json &v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_object() && v.size() == 1 && v.contains("hex") && v["hex"].is_string()) {
    const std::string &hex = v["hex"].get_ref<const std::string &>();
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      int hi = hexDigit(hex[i]), lo = hexDigit(hex[i + 1]);
      if (hi < 0 || lo < 0)
        break;
      bytes.push_back(char(hi * 16 + lo));
    }
    if (bytes.size() * 2 != hex.size())
      throw axe::Error("\"hex\" must be an even number of hex digits");
    return bytes;
  }
  throw axe::Error("expected a JSON string or {\"hex\": \"...\"}");
}

std::vector<int32_t> inputIds(const nlohmann::json &v) {
  if (!v.is_array())
    throw axe::Error("expected a JSON array of ids");
  std::vector<int32_t> ids;
  for (const auto &x : v) {
    if (!x.is_number_integer() || x.get<int64_t>() < INT32_MIN || x.get<int64_t>() > INT32_MAX)
      throw axe::Error("expected a JSON array of ids, found " + x.dump());
    ids.push_back(int32_t(x.get<int64_t>()));
  }
  return ids;
}

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

int run(const Options &o) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  axe::Tokenizer tokenizer = axe::Tokenizer::load(o.tokenizer);
  double loadSecs = seconds(Clock::now() - start), encodeSecs = 0;
  size_t bytesIn = 0, tokensOut = 0;

  std::ios::sync_with_stdio(false);
  std::string line, out;
  for (size_t lineNo = 1; std::getline(std::cin, line); ++lineNo) {
    try {
      nlohmann::json v;
      try {
        v = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception &e) {
        throw axe::Error(std::string("not JSON: ") + e.what());
      }
      out.clear();
      if (!o.decode) {
        std::string text = inputText(v);
        auto t0 = Clock::now();
        std::vector<int32_t> ids = tokenizer.encode(text, o.special);
        encodeSecs += seconds(Clock::now() - t0);
        bytesIn += text.size();
        tokensOut += ids.size();
        out += '[';
        for (size_t i = 0; i < ids.size(); ++i) {
          if (i)
            out += ',';
          out += std::to_string(ids[i]);
        }
        out += ']';
      } else if (!o.stream) {
        out = nlohmann::json(tokenizer.decode(inputIds(v))).dump();
      } else {
        axe::StreamingDecoder stream(tokenizer);
        nlohmann::json pieces = nlohmann::json::array();
        for (int32_t id : inputIds(v))
          pieces.push_back(stream.push(id));
        pieces.push_back(stream.finish());
        out = pieces.dump();
      }
      out += '\n';
      std::fwrite(out.data(), 1, out.size(), stdout);
    } catch (const axe::Error &e) {
      throw axe::Error("line " + std::to_string(lineNo) + ": " + e.what());
    }
  }
  std::fflush(stdout);
  if (o.stats)
    std::fprintf(stderr,
                 "axe-tokenize: load %.3f s; encode %.3f s: %zu bytes, %zu tokens, %.2f MB/s, %.0f tokens/s\n",
                 loadSecs, encodeSecs, bytesIn, tokensOut, encodeSecs > 0 ? bytesIn / encodeSecs / 1e6 : 0.0,
                 encodeSecs > 0 ? tokensOut / encodeSecs : 0.0);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(parseArgs(argc, argv));
  } catch (const std::exception &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "axe-tokenize: error: %s\n", e.what());
    return 1;
  }
}
