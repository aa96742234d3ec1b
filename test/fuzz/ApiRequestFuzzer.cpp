//===- ApiRequestFuzzer.cpp - the server's request bodies, as the handlers read them ===//
//
// The input is an HTTP request body. It goes the way /v1/completions and /v1/chat/completions take
// it before the engine: JSON, the request checks, and for chat the ordered re-read and the chat
// format. A client's body must give an ApiError (a 4xx with one message) or a request; anything
// else escaping is what the server would answer with a 500, so it is a finding.
//
//===----------------------------------------------------------------------===//

#include "runtime/server/ApiRequest.h"
#include "runtime/text/ChatFormat.h"
#include "support/Error.h"
#include "test/fuzz/FuzzCheck.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

using json = nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bodyText(reinterpret_cast<const char *>(data), size);
  json body = json::parse(bodyText, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return 0; // the server answers 400 before these checks
  axe::ApiLimits limits;
  limits.modelName = "axe-test";
  limits.maxN = 4;
  limits.vocabSize = 1000;
  try {
    axe::CompletionApiRequest c = axe::parseCompletionRequest(body, limits);
    for (const auto &ids : c.idPrompts)
      for (int32_t id : ids)
        axe::fuzz::check(id >= 0 && id < limits.vocabSize, "an accepted prompt id is out of range");
    axe::fuzz::check(c.gen.n >= 1 && c.gen.n <= limits.maxN, "an accepted n is out of range");
  } catch (const axe::ApiError &e) {
    axe::fuzz::check(e.status >= 400 && e.status < 500, "a client's body gave a non-4xx error");
  } catch (const std::exception &e) {
    axe::fuzz::unexpected(e);
  }
  try {
    axe::ChatApiRequest chat = axe::parseChatRequest(body, limits);
    nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(bodyText);
    bool withTools = !chat.tools.is_null() && !chat.tools.empty() && chat.toolChoice != "none";
    axe::ChatFormatOptions format;
    format.enableThinking = chat.enableThinking;
    try {
      std::string prompt = axe::formatChat(ordered["messages"],
                                           withTools ? ordered["tools"] : nlohmann::ordered_json(nullptr), format);
      (void)prompt;
    } catch (const axe::Error &) {
    }
  } catch (const axe::ApiError &e) {
    axe::fuzz::check(e.status >= 400 && e.status < 500, "a client's body gave a non-4xx error");
  } catch (const std::exception &e) {
    axe::fuzz::unexpected(e);
  }
  return 0;
}
