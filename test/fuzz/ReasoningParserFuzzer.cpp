//===- ReasoningParserFuzzer.cpp - <think> splitting, streamed against whole ===//
//
// The first byte picks the options, the next ones where the output is cut into deltas; the rest is
// the model's output. Streaming the deltas must route the same reasoning and content as parse()
// over the whole text (the unit tests check this on fixed outputs; here on any).
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ReasoningParser.h"
#include "test/fuzz/FuzzCheck.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  axe::ReasoningOptions options;
  options.startsInReasoning = in.ConsumeBool();
  options.toolCallEndsReasoning = in.ConsumeBool();
  std::vector<size_t> cuts;
  for (int n = in.ConsumeIntegralInRange(0, 8); n > 0; --n)
    cuts.push_back(in.ConsumeIntegralInRange<size_t>(0, 64));
  std::string text = in.ConsumeRemainingBytesAsString();

  axe::ReasoningResult whole = axe::ReasoningParser::parse(text, options);
  axe::ReasoningParser parser(options);
  std::string reasoning, content;
  auto add = [&](const axe::ReasoningDelta &d) {
    reasoning += d.reasoning;
    content += d.content;
  };
  axe::fuzz::feedInPieces(parser, text, cuts, add);
  axe::fuzz::check(reasoning == whole.reasoning, "streamed reasoning differs from parse()");
  axe::fuzz::check(content == whole.content, "streamed content differs from parse()");
  return 0;
}
