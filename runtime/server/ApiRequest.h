//===- ApiRequest.h - OpenAI request bodies, checked ----------*- C++ -*-===//
//
// Turns the JSON body of /v1/completions or /v1/chat/completions into what the engine runs, or
// an ApiError that the server answers with a 4xx and OpenAI's error object. Every field is
// type-checked and range-checked (the ranges are vLLM's: temperature and penalties, top_p in
// (0, 1], n bounded, logprobs <= 20, max_tokens >= 1, no empty stop strings); unknown fields are
// ignored, as OpenAI does, but fields axe cannot honour (logit_bias, suffix, best_of > n, a
// response_format other than text) are refused rather than silently dropped.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVER_APIREQUEST_H
#define AXE_RUNTIME_SERVER_APIREQUEST_H

#include "runtime/Sampler.h"
#include "runtime/serve/Request.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace axe {

// An error the client caused (4xx) or one of the server's (5xx), in OpenAI's shape.
struct ApiError : std::runtime_error {
  int status;
  std::string type;  // invalid_request_error, authentication_error, not_found_error, ...
  std::string param; // the offending field, if any
  ApiError(int status, const std::string &message, std::string param = "",
           std::string type = "invalid_request_error")
      : std::runtime_error(message), status(status), type(std::move(type)), param(std::move(param)) {}
  nlohmann::json body() const;
};

// What both endpoints share.
struct GenerationParams {
  SamplingParams sampling;
  StopConditions stop;          // maxTokens -1: the context that is left
  std::vector<std::string> stopStrings;
  int64_t n = 1;
  bool stream = false;
  bool includeUsage = false;    // stream_options.include_usage
  bool seeded = false;          // the client gave a seed
};

struct CompletionApiRequest {
  // Either text prompts or token-id prompts (one request per prompt).
  std::vector<std::string> textPrompts;
  std::vector<std::vector<int32_t>> idPrompts;
  GenerationParams gen;
  bool echo = false;
  int64_t logprobs = -1;        // top logprobs per token (0..20), -1: none
};

struct ChatApiRequest {
  nlohmann::json messages;      // an array, checked further by the chat format
  nlohmann::json tools;         // null or an array of function tools
  std::string toolChoice = "auto"; // auto | none
  bool enableThinking = true;   // chat_template_kwargs.enable_thinking
  GenerationParams gen;
  bool logprobs = false;
  int64_t topLogprobs = 0;
};

struct ApiLimits {
  std::string modelName;        // the served name; a request naming another model is a 404
  int64_t maxN = 1;             // --max-num-seqs
  int64_t vocabSize = 0;
  SamplingParams defaults;      // generation_config.json's, when it samples; else OpenAI's (T = 1)
};

// Parses a body that is already known to be JSON; throws ApiError.
CompletionApiRequest parseCompletionRequest(const nlohmann::json &body, const ApiLimits &limits);
ChatApiRequest parseChatRequest(const nlohmann::json &body, const ApiLimits &limits);

} // namespace axe

#endif // AXE_RUNTIME_SERVER_APIREQUEST_H
