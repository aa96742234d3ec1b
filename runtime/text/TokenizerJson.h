//===- TokenizerJson.h - reading tokenizer.json in one pass ---*- C++ -*-===//
//
// A Qwen tokenizer.json is ~33 MB, nearly all of it model.vocab and model.merges. As a JSON DOM that
// costs seconds and hundreds of MB, so one SAX pass reads those two straight into vectors and builds
// a DOM of the rest only. Shapes are checked by the loader (Tokenizer.cpp); what goes wrong inside
// the vocabulary or the merges is reported here, with the field, in `error`.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_TOKENIZERJSON_H
#define AXE_RUNTIME_TEXT_TOKENIZERJSON_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace axe {

struct TokenizerJson {
  nlohmann::json rest; // the file without model.vocab and model.merges, when those are an object / array
  bool hasVocab = false, hasMerges = false;
  std::vector<std::pair<std::string, int32_t>> vocab;             // in file order
  std::vector<std::pair<std::string, std::string>> merges;        // in rank order
  std::string error; // the first bad vocabulary entry or merge ("model.merges[3]: ..."), if any
};

// Throws axe::Error "SOURCE: not valid JSON: ..." for a syntax error.
TokenizerJson readTokenizerJson(std::string_view text, const std::string &source);

} // namespace axe

#endif // AXE_RUNTIME_TEXT_TOKENIZERJSON_H
