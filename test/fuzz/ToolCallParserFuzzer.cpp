//===- ToolCallParserFuzzer.cpp - qwen3_coder tool calls, streamed against whole ===//
//
// The first bytes pick the tools (none, or a fixed schema set that exercises value conversion)
// and where the output is cut into deltas; the rest is the model's output, made valid UTF-8 as
// the streaming decoder hands it over. Streaming must give
// the content and, per complete call, the name and arguments that parse() gives for the whole
// text; every call's arguments must be a JSON object as Python's json.loads reads it (vLLM writes
// arguments with json.dumps, so a float beyond double's range in the model's output becomes
// Infinity, as it does there).
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ToolCallParser.h"
#include "runtime/text/Utf8.h"
#include "support/Error.h"
#include "test/fuzz/FuzzCheck.h"

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

using json = nlohmann::json;

namespace {

const json &schemaTools() {
  static const json tools = json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
      "properties": {"city": {"type": "string"}, "days": {"type": "integer"},
                     "celsius": {"type": "boolean"}, "ratio": {"type": "number"},
                     "tags": {"type": "array"}, "opts": {"type": "object"},
                     "any": {}, "either": {"type": ["integer", "null"]}}}}},
    {"type": "function", "function": {"name": "run", "parameters": {"type": "object",
      "properties": {"cmd": {"type": "string"}}}}}
  ])");
  return tools;
}

// `text` with the bare tokens Python's json module adds to JSON (NaN, Infinity, -Infinity) outside
// strings replaced by 0, so that a strict parser reads what json.loads would.
std::string withoutPythonConstants(const std::string &text) {
  std::string out;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      out += c;
      if (c == '\\' && i + 1 < text.size())
        out += text[++i];
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    bool replaced = false;
    for (const char *token : {"-Infinity", "Infinity", "NaN"}) {
      std::string t = token;
      if (text.compare(i, t.size(), t) == 0) {
        out += '0';
        i += t.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced)
      out += c;
  }
  return out;
}

struct Streamed {
  std::string content;
  std::vector<std::pair<std::string, std::string>> calls; // name, arguments
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  json tools = in.ConsumeBool() ? schemaTools() : json(nullptr);
  std::vector<size_t> cuts;
  for (int n = in.ConsumeIntegralInRange(0, 8); n > 0; --n)
    cuts.push_back(in.ConsumeIntegralInRange<size_t>(0, 64));
  std::string text = axe::repairUtf8(in.ConsumeRemainingBytesAsString());

  try {
    axe::ToolCallResult whole = axe::ToolCallParser::parse(text, tools);
    axe::ToolCallParser parser(tools);
    Streamed s;
    auto add = [&](const axe::ToolCallStreamDelta &d) {
      s.content += d.content;
      for (const axe::ToolCallDelta &c : d.calls) {
        if (c.index == int(s.calls.size())) {
          axe::fuzz::check(!c.id.empty() && !c.name.empty(), "a call's first delta lacks id or name");
          s.calls.push_back({c.name, ""});
        } else {
          axe::fuzz::check(c.index == int(s.calls.size()) - 1, "a delta of an earlier call");
        }
        s.calls.back().second += c.arguments;
      }
    };
    axe::fuzz::feedInPieces(parser, text, cuts, add);

    axe::fuzz::check(s.content == whole.content, "streamed content differs from parse()");
    axe::fuzz::check(parser.calls().size() == whole.calls.size(), "streamed call count differs");
    axe::fuzz::check(s.calls.size() == whole.calls.size() + (parser.unfinishedCall() >= 0 ? 1 : 0),
                     "streamed call headers differ from the complete calls");
    for (size_t i = 0; i < whole.calls.size(); ++i) {
      axe::fuzz::check(s.calls[i].first == whole.calls[i].name, "streamed call name differs");
      axe::fuzz::check(s.calls[i].second == whole.calls[i].arguments, "streamed arguments differ");
      json args = json::parse(withoutPythonConstants(whole.calls[i].arguments), nullptr,
                              /*allow_exceptions=*/false);
      axe::fuzz::check(args.is_object(), "a call's arguments are not a JSON object");
    }
  } catch (const axe::Error &) {
  } catch (const std::exception &e) {
    axe::fuzz::unexpected(e);
  }
  return 0;
}
