//===- ApiRequestTest.cpp - OpenAI request bodies: defaults, ranges, errors ===//

#include "runtime/server/ApiRequest.h"

#include <gtest/gtest.h>

namespace {

using namespace axe;
using json = nlohmann::json;

ApiLimits limits() {
  ApiLimits l;
  l.modelName = "tiny";
  l.maxN = 4;
  l.vocabSize = 100;
  l.defaults.temperature = 1.0;
  return l;
}

// The status and message of the ApiError that parsing `body` throws.
std::pair<int, std::string> error(const json &body, bool chat = false) {
  try {
    if (chat)
      parseChatRequest(body, limits());
    else
      parseCompletionRequest(body, limits());
  } catch (const ApiError &e) {
    return {e.status, e.what()};
  }
  return {0, "no error"};
}

TEST(ApiRequest, CompletionDefaultsAndFields) {
  CompletionApiRequest r = parseCompletionRequest({{"prompt", "hello"}}, limits());
  ASSERT_EQ(r.textPrompts.size(), 1u);
  EXPECT_EQ(r.gen.stop.maxTokens, 16); // OpenAI's default for completions
  EXPECT_EQ(r.gen.sampling.temperature, 1.0);
  EXPECT_FALSE(r.gen.seeded);
  EXPECT_EQ(r.logprobs, -1);

  r = parseCompletionRequest({{"model", "tiny"}, {"prompt", {1, 2, 3}}, {"max_tokens", 5}, {"temperature", 0},
                              {"top_p", 0.5}, {"top_k", 7}, {"min_p", 0.1}, {"seed", 9}, {"n", 2},
                              {"stop", "END"}, {"stop_token_ids", {4}}, {"logprobs", 3}, {"echo", true},
                              {"stream", true}, {"stream_options", {{"include_usage", true}}},
                              {"presence_penalty", 0.5}, {"frequency_penalty", -0.5},
                              {"repetition_penalty", 1.1}, {"ignore_eos", true}},
                             limits());
  EXPECT_EQ(r.idPrompts, (std::vector<std::vector<int32_t>>{{1, 2, 3}}));
  EXPECT_EQ(r.gen.stop.maxTokens, 5);
  EXPECT_EQ(r.gen.sampling.temperature, 0.0);
  EXPECT_EQ(r.gen.sampling.topP, 0.5);
  EXPECT_EQ(r.gen.sampling.topK, 7);
  EXPECT_EQ(r.gen.sampling.seed, 9u);
  EXPECT_TRUE(r.gen.seeded);
  EXPECT_EQ(r.gen.n, 2);
  EXPECT_EQ(r.gen.stopStrings, (std::vector<std::string>{"END"}));
  EXPECT_EQ(r.gen.stop.stopTokenIds, (std::vector<int32_t>{4}));
  EXPECT_EQ(r.logprobs, 3);
  EXPECT_EQ(r.gen.sampling.logprobs, 3);
  EXPECT_TRUE(r.echo && r.gen.stream && r.gen.includeUsage && r.gen.stop.ignoreEos);
  EXPECT_EQ(parseCompletionRequest({{"prompt", {{1, 2}, {3}}}}, limits()).idPrompts.size(), 2u);
  EXPECT_EQ(parseCompletionRequest({{"prompt", {"a", "b"}}}, limits()).textPrompts.size(), 2u);
  EXPECT_EQ(parseCompletionRequest({{"prompt", "x"}, {"top_k", -1}}, limits()).gen.sampling.topK, 0);
}

TEST(ApiRequest, BadRequestsAreClearErrors) {
  struct Case {
    json body;
    int status;
    std::string message;
  } cases[] = {
      {json::array({1, 2}), 400, "must be a JSON object"},
      {json(42), 400, "must be a JSON object"},
      {json::object(), 400, "'prompt' is required"},
      {{{"prompt", ""}}, 400, "the prompt is empty"},
      {{{"prompt", json::array()}}, 400, "'prompt' must be"},
      {{{"prompt", {1, 200}}}, 400, "token ids in 'prompt' must be in [0, 100)"},
      {{{"prompt", {"a", {1}}}}, 400, "may not mix"},
      {{{"prompt", "x"}, {"model", "other"}}, 404, "The model 'other' does not exist"},
      {{{"prompt", "x"}, {"model", 3}}, 400, "'model' must be a string"},
      {{{"prompt", "x"}, {"temperature", "hot"}}, 400, "'temperature' must be a number"},
      {{{"prompt", "x"}, {"temperature", 3}}, 400, "'temperature' must be in"},
      {{{"prompt", "x"}, {"top_p", 0}}, 400, "'top_p' must be in (0"},
      {{{"prompt", "x"}, {"top_k", 0}}, 400, "'top_k' must be -1"},
      {{{"prompt", "x"}, {"n", 5}}, 400, "'n' must be in [1, 4]"},
      {{{"prompt", "x"}, {"n", 1000000000000}}, 400, "'n' must be in"},
      {{{"prompt", {"a", "b", "c"}}, {"n", 2}}, 400, "exceeds --max-num-seqs 4"},
      {{{"prompt", "x"}, {"max_tokens", 0}}, 400, "'max_tokens' must be an integer >= 1"},
      {{{"prompt", "x"}, {"max_tokens", 1.5}}, 400, "'max_tokens' must be an integer"},
      {{{"prompt", "x"}, {"logprobs", 21}}, 400, "'logprobs' must be in [0, 20]"},
      {{{"prompt", "x"}, {"stop", {""}}}, 400, "each stop string must be a non-empty string"},
      {{{"prompt", "x"}, {"stop", 7}}, 400, "'stop' must be a string or an array"},
      {{{"prompt", "x"}, {"stop_token_ids", {100}}}, 400, "'stop_token_ids' must hold token ids"},
      {{{"prompt", "x"}, {"presence_penalty", 2.5}}, 400, "'presence_penalty' must be in"},
      {{{"prompt", "x"}, {"repetition_penalty", 0}}, 400, "'repetition_penalty' must be in (0"},
      {{{"prompt", "x"}, {"logit_bias", {{"1", 5}}}}, 400, "'logit_bias' is not supported"},
      {{{"prompt", "x"}, {"suffix", "y"}}, 400, "'suffix' is not supported"},
      {{{"prompt", "x"}, {"best_of", 3}}, 400, "'best_of' is not supported"},
      {{{"prompt", "x"}, {"response_format", {{"type", "json_object"}}}}, 400, "response_format"},
      {{{"prompt", "x"}, {"stream", "yes"}}, 400, "'stream' must be true or false"},
      {{{"prompt", "x"}, {"seed", "s"}}, 400, "'seed' must be an integer"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.body.dump());
    auto [status, message] = error(c.body);
    EXPECT_EQ(status, c.status) << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
  }
}

TEST(ApiRequest, Chat) {
  json messages = {{{"role", "user"}, {"content", "hi"}}};
  ChatApiRequest r = parseChatRequest({{"messages", messages}}, limits());
  EXPECT_EQ(r.gen.stop.maxTokens, -1); // the context that is left
  EXPECT_TRUE(r.enableThinking);
  EXPECT_EQ(r.gen.sampling.logprobs, -1);
  r = parseChatRequest({{"messages", messages}, {"max_completion_tokens", 7}, {"logprobs", true}, {"top_logprobs", 2},
                        {"chat_template_kwargs", {{"enable_thinking", false}}}, {"tool_choice", "none"},
                        {"tools", {{{"type", "function"}, {"function", {{"name", "f"}}}}}}},
                       limits());
  EXPECT_EQ(r.gen.stop.maxTokens, 7);
  EXPECT_EQ(r.gen.sampling.logprobs, 2);
  EXPECT_FALSE(r.enableThinking);
  EXPECT_EQ(r.toolChoice, "none");
  EXPECT_EQ(r.tools.size(), 1u);

  EXPECT_EQ(error({{"messages", json::array()}}, true).first, 400);
  EXPECT_EQ(error({{"messages", "hi"}}, true).first, 400);
  EXPECT_NE(error({{"messages", messages}, {"tools", {{{"type", "code"}}}}}, true).second.find("each tool"),
            std::string::npos);
  // A non-string type is a 400, not a type_error escaping (found by fuzz-api-request).
  EXPECT_NE(error({{"messages", messages}, {"tools", {{{"type", json::object()}}}}}, true).second.find("each tool"),
            std::string::npos);
  EXPECT_NE(error({{"messages", messages}, {"tools", {{{"type", 1}, {"function", {{"name", "f"}}}}}}}, true)
                .second.find("each tool"),
            std::string::npos);
  EXPECT_NE(error({{"messages", messages}, {"tool_choice", "required"}}, true).second.find("'tool_choice'"),
            std::string::npos);
  EXPECT_NE(error({{"messages", messages}, {"top_logprobs", 2}}, true).second.find("needs 'logprobs'"),
            std::string::npos);
  EXPECT_NE(error({{"messages", messages}, {"chat_template_kwargs", {{"x", 1}}}}, true).second.find("supports only"),
            std::string::npos);
  ApiError e(400, "m", "p");
  EXPECT_EQ(e.body()["error"]["param"], "p");
  EXPECT_EQ(e.body()["error"]["type"], "invalid_request_error");
}

} // namespace
