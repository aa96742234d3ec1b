//===- ChatFormatFuzzer.cpp - the chat renderer on any conversation -------===//
//
// The input is JSON text: an object {"messages": [...], "tools": [...]} as a request carries them,
// or a bare messages array. The first byte picks the options. A conversation must render or be
// refused with one axe::Error line; JSON that does not parse is not the renderer's business.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ChatFormat.h"
#include "support/Error.h"
#include "test/fuzz/FuzzCheck.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

using ordered_json = nlohmann::ordered_json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  axe::ChatFormatOptions options;
  options.addGenerationPrompt = data[0] & 1;
  options.enableThinking = data[0] & 2;
  ordered_json doc = ordered_json::parse(data + 1, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return 0;
  ordered_json messages = doc, tools = nullptr;
  if (doc.is_object()) {
    messages = doc.contains("messages") ? doc["messages"] : ordered_json(nullptr);
    tools = doc.contains("tools") ? doc["tools"] : ordered_json(nullptr);
  }
  try {
    std::string prompt = axe::formatChat(messages, tools, options);
    (void)prompt;
  } catch (const axe::Error &) {
  } catch (const std::exception &e) {
    axe::fuzz::unexpected(e);
  }
  return 0;
}
