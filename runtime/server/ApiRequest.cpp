//===- ApiRequest.cpp - OpenAI request bodies, checked --------------------===//

#include "runtime/server/ApiRequest.h"

#include "support/Error.h"

#include <cmath>
#include <mutex>
#include <random>

namespace axe {

using json = nlohmann::json;

json ApiError::body() const {
  json e = {{"message", what()}, {"type", type}, {"code", status}};
  e["param"] = param.empty() ? json(nullptr) : json(param);
  return {{"error", e}, {"object", "error"}};
}

namespace {

constexpr int64_t kMaxStopStrings = 16;
constexpr size_t kMaxStopLength = 256;

[[noreturn]] void bad(const std::string &param, const std::string &message) { throw ApiError(400, message, param); }

const json *find(const json &body, const char *key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

double number(const json &body, const char *key, double fallback, double lo, double hi, bool loOpen = false) {
  const json *v = find(body, key);
  if (!v)
    return fallback;
  if (!v->is_number())
    bad(key, std::string("'") + key + "' must be a number");
  double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi || (loOpen && x == lo))
    bad(key, std::string("'") + key + "' must be in " + (loOpen ? "(" : "[") + std::to_string(lo) + ", " +
                 std::to_string(hi) + "], got " + std::to_string(x));
  return x;
}

int64_t integer(const json &body, const char *key, int64_t fallback, int64_t lo, int64_t hi) {
  const json *v = find(body, key);
  if (!v)
    return fallback;
  if (!v->is_number_integer())
    bad(key, std::string("'") + key + "' must be an integer");
  if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX))
    bad(key, std::string("'") + key + "' is out of range");
  int64_t x = v->get<int64_t>();
  if (x < lo || x > hi)
    bad(key, std::string("'") + key + "' must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                 std::to_string(x));
  return x;
}

bool boolean(const json &body, const char *key, bool fallback) {
  const json *v = find(body, key);
  if (!v)
    return fallback;
  if (!v->is_boolean())
    bad(key, std::string("'") + key + "' must be true or false");
  return v->get<bool>();
}

void checkModel(const json &body, const ApiLimits &limits) {
  const json *m = find(body, "model");
  if (!m)
    return; // vLLM also serves requests that name no model
  if (!m->is_string())
    bad("model", "'model' must be a string");
  if (m->get<std::string>() != limits.modelName)
    throw ApiError(404, "The model '" + m->get<std::string>() + "' does not exist; this server serves '" +
                            limits.modelName + "'",
                   "model", "not_found_error");
}

GenerationParams generation(const json &body, const ApiLimits &limits, const char *maxTokensKey) {
  if (!body.is_object())
    bad("", "the request body must be a JSON object");
  checkModel(body, limits);
  GenerationParams g;
  SamplingParams &s = g.sampling;
  s = limits.defaults;
  s.temperature = number(body, "temperature", s.temperature, 0.0, 2.0);
  s.topP = number(body, "top_p", s.topP, 0.0, 1.0, /*loOpen=*/true);
  s.minP = number(body, "min_p", s.minP, 0.0, 1.0);
  int64_t topK = integer(body, "top_k", s.topK == 0 ? -1 : s.topK, -1, INT32_MAX);
  if (topK == 0)
    bad("top_k", "'top_k' must be -1 (no limit) or at least 1");
  s.topK = topK < 0 ? 0 : topK;
  s.presencePenalty = number(body, "presence_penalty", s.presencePenalty, -2.0, 2.0);
  s.frequencyPenalty = number(body, "frequency_penalty", s.frequencyPenalty, -2.0, 2.0);
  s.repetitionPenalty = number(body, "repetition_penalty", s.repetitionPenalty, 0.0, 1e9, /*loOpen=*/true);
  if (const json *seed = find(body, "seed")) {
    if (!seed->is_number_integer())
      bad("seed", "'seed' must be an integer");
    s.seed = seed->is_number_unsigned() ? seed->get<uint64_t>() : uint64_t(seed->get<int64_t>());
    g.seeded = true;
  } else {
    static std::mutex mutex;
    static std::mt19937_64 rng(std::random_device{}());
    std::lock_guard<std::mutex> lock(mutex);
    s.seed = rng();
  }
  g.n = integer(body, "n", 1, 1, limits.maxN);
  if (const json *bestOf = find(body, "best_of"); bestOf && (!bestOf->is_number_integer() || bestOf->get<int64_t>() != g.n))
    bad("best_of", "'best_of' is not supported (only best_of = n)");
  if (const json *bias = find(body, "logit_bias"); bias && !(bias->is_object() && bias->empty()))
    bad("logit_bias", "'logit_bias' is not supported");
  if (const json *format = find(body, "response_format")) {
    const json *type = format->is_object() ? find(*format, "type") : nullptr;
    if (!type || *type != "text")
      bad("response_format", "only 'response_format' {\"type\": \"text\"} is supported");
  }

  const json *maxTokens = find(body, maxTokensKey);
  if (!maxTokens && std::string(maxTokensKey) == "max_completion_tokens")
    maxTokens = find(body, "max_tokens");
  if (maxTokens) {
    if (!maxTokens->is_number_integer() || maxTokens->get<int64_t>() < 1)
      bad(maxTokensKey, std::string("'") + maxTokensKey + "' must be an integer >= 1");
    g.stop.maxTokens = maxTokens->get<int64_t>();
  }
  g.stop.ignoreEos = boolean(body, "ignore_eos", false);
  if (const json *ids = find(body, "stop_token_ids")) {
    if (!ids->is_array())
      bad("stop_token_ids", "'stop_token_ids' must be an array of token ids");
    for (const json &id : *ids) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= limits.vocabSize)
        bad("stop_token_ids", "'stop_token_ids' must hold token ids of this model");
      g.stop.stopTokenIds.push_back(int32_t(id.get<int64_t>()));
    }
  }
  if (const json *stop = find(body, "stop")) {
    std::vector<json> items;
    if (stop->is_string())
      items.push_back(*stop);
    else if (stop->is_array())
      items.assign(stop->begin(), stop->end());
    else
      bad("stop", "'stop' must be a string or an array of strings");
    if (int64_t(items.size()) > kMaxStopStrings)
      bad("stop", "at most " + std::to_string(kMaxStopStrings) + " stop strings");
    for (const json &item : items) {
      if (!item.is_string() || item.get<std::string>().empty() || item.get<std::string>().size() > kMaxStopLength)
        bad("stop", "each stop string must be a non-empty string of at most " + std::to_string(kMaxStopLength) +
                        " bytes");
      g.stopStrings.push_back(item.get<std::string>());
    }
  }
  g.stream = boolean(body, "stream", false);
  if (const json *options = find(body, "stream_options")) {
    if (!options->is_object())
      bad("stream_options", "'stream_options' must be an object");
    g.includeUsage = boolean(*options, "include_usage", false);
  }
  try {
    s.validate();
  } catch (const Error &e) {
    bad("", e.what());
  }
  return g;
}

} // namespace

CompletionApiRequest parseCompletionRequest(const json &body, const ApiLimits &limits) {
  CompletionApiRequest r;
  r.gen = generation(body, limits, "max_tokens");
  if (r.gen.stop.maxTokens == -1)
    r.gen.stop.maxTokens = 16; // OpenAI's default for completions
  if (find(body, "suffix"))
    bad("suffix", "'suffix' is not supported");
  r.echo = boolean(body, "echo", false);
  r.logprobs = integer(body, "logprobs", -1, 0, kMaxLogprobs);
  r.gen.sampling.logprobs = r.logprobs;
  const json *prompt = find(body, "prompt");
  auto ids = [&](const json &list) {
    std::vector<int32_t> out;
    for (const json &id : list) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= limits.vocabSize)
        bad("prompt", "token ids in 'prompt' must be in [0, " + std::to_string(limits.vocabSize) + ")");
      out.push_back(int32_t(id.get<int64_t>()));
    }
    return out;
  };
  if (!prompt)
    bad("prompt", "'prompt' is required");
  if (prompt->is_string()) {
    r.textPrompts.push_back(prompt->get<std::string>());
  } else if (prompt->is_array() && !prompt->empty() && (*prompt)[0].is_number_integer()) {
    r.idPrompts.push_back(ids(*prompt));
  } else if (prompt->is_array() && !prompt->empty()) {
    for (const json &p : *prompt) {
      if (p.is_string())
        r.textPrompts.push_back(p.get<std::string>());
      else if (p.is_array())
        r.idPrompts.push_back(ids(p));
      else
        bad("prompt", "'prompt' must be a string, an array of strings, or token ids");
    }
    if (!r.textPrompts.empty() && !r.idPrompts.empty())
      bad("prompt", "'prompt' may not mix strings and token ids");
  } else {
    bad("prompt", "'prompt' must be a non-empty string, an array of strings, or token ids");
  }
  if (int64_t(r.textPrompts.size() + r.idPrompts.size()) * r.gen.n > limits.maxN)
    bad("prompt", "prompts x n = " + std::to_string((r.textPrompts.size() + r.idPrompts.size()) * size_t(r.gen.n)) +
                      " exceeds --max-num-seqs " + std::to_string(limits.maxN));
  for (const std::string &t : r.textPrompts)
    if (t.empty())
      bad("prompt", "the prompt is empty");
  for (const auto &p : r.idPrompts)
    if (p.empty())
      bad("prompt", "the prompt is empty");
  return r;
}

ChatApiRequest parseChatRequest(const json &body, const ApiLimits &limits) {
  ChatApiRequest r;
  r.gen = generation(body, limits, "max_completion_tokens");
  const json *messages = find(body, "messages");
  if (!messages || !messages->is_array() || messages->empty())
    bad("messages", "'messages' must be a non-empty array");
  r.messages = *messages;
  if (const json *tools = find(body, "tools")) {
    if (!tools->is_array())
      bad("tools", "'tools' must be an array");
    for (const json &t : *tools)
      // Compared, not read with value(): value("type", "") throws a type_error on a non-string.
      if (!t.is_object() || !t.contains("type") || t["type"] != "function" || !t.contains("function") ||
          !t["function"].is_object() || !t["function"].contains("name") || !t["function"]["name"].is_string())
        bad("tools", "each tool must be {\"type\": \"function\", \"function\": {\"name\": ..., ...}}");
    r.tools = *tools;
  }
  if (const json *choice = find(body, "tool_choice")) {
    if (!choice->is_string() || (*choice != "auto" && *choice != "none"))
      bad("tool_choice", "'tool_choice' must be \"auto\" or \"none\" (named and required choices are not supported)");
    r.toolChoice = choice->get<std::string>();
  }
  if (const json *kwargs = find(body, "chat_template_kwargs")) {
    if (!kwargs->is_object())
      bad("chat_template_kwargs", "'chat_template_kwargs' must be an object");
    for (auto it = kwargs->begin(); it != kwargs->end(); ++it)
      if (it.key() != "enable_thinking")
        bad("chat_template_kwargs", "'chat_template_kwargs' supports only 'enable_thinking'");
    r.enableThinking = boolean(*kwargs, "enable_thinking", true);
  }
  r.logprobs = boolean(body, "logprobs", false);
  r.topLogprobs = integer(body, "top_logprobs", 0, 0, kMaxLogprobs);
  if (r.topLogprobs > 0 && !r.logprobs)
    bad("top_logprobs", "'top_logprobs' needs 'logprobs': true");
  r.gen.sampling.logprobs = r.logprobs ? r.topLogprobs : -1;
  return r;
}

} // namespace axe
