//===- ChatFormatTest.cpp - the Qwen3.5 chat format -----------------------===//
//
// A few exact prompts and errors; test/e2e/test_chat_format.py compares many more conversations
// with transformers over the reference template.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ChatFormat.h"
#include "support/Error.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using Json = nlohmann::ordered_json;
using axe::formatChat;

std::string errorOf(const Json &messages, const Json &tools = nullptr) {
  try {
    formatChat(messages, tools);
  } catch (const axe::Error &e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ChatFormat, TurnsAndTheGenerationPrompt) {
  Json messages = Json::parse(R"([{"role": "system", "content": " Be brief. "},
                                  {"role": "user", "content": [{"type": "text", "text": "Hi"},
                                                               {"type": "text", "text": " there\u3000"}]}])");
  const std::string turns =
      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n";
  EXPECT_EQ(formatChat(messages, nullptr), turns + "<|im_start|>assistant\n<think>\n");
  EXPECT_EQ(formatChat(messages, nullptr, {true, false}),
            turns + "<|im_start|>assistant\n<think>\n\n</think>\n\n");
  EXPECT_EQ(formatChat(messages, Json::array(), {false, true}), turns);
}

TEST(ChatFormat, ReasoningToolCallsAndToolResults) {
  Json messages = Json::parse(R"([
    {"role": "user", "content": "q1"},
    {"role": "assistant", "content": "<think>\nold\n</think>\n\na1"},
    {"role": "user", "content": "q2"},
    {"role": "assistant", "content": "Checking.", "reasoning_content": "need tools",
     "tool_calls": [{"function": {"name": "f", "arguments": "{\"b\": [1, 2.0], \"a\": true}"}},
                    {"function": {"name": "g", "arguments": {"s": "x\ny", "n": null}}}]},
    {"role": "tool", "content": "r1"},
    {"role": "tool", "content": "r2"}])");
  EXPECT_EQ(formatChat(messages, nullptr, {false, true}),
            "<|im_start|>user\nq1<|im_end|>\n"
            "<|im_start|>assistant\na1<|im_end|>\n" // before the last query: no reasoning
            "<|im_start|>user\nq2<|im_end|>\n"
            "<|im_start|>assistant\n<think>\nneed tools\n</think>\n\nChecking.\n\n"
            "<tool_call>\n<function=f>\n<parameter=b>\n[1, 2.0]\n</parameter>\n"
            "<parameter=a>\nTrue\n</parameter>\n</function>\n</tool_call>\n"
            "<tool_call>\n<function=g>\n<parameter=s>\nx\ny\n</parameter>\n"
            "<parameter=n>\nNone\n</parameter>\n</function>\n</tool_call><|im_end|>\n"
            "<|im_start|>user\n<tool_response>\nr1\n</tool_response>\n"
            "<tool_response>\nr2\n</tool_response><|im_end|>\n");
}

TEST(ChatFormat, ToolsGoFirstInTheSystemTurn) {
  Json tools = Json::parse(R"([{"type": "function", "function": {"name": "now", "parameters": {}}}])");
  std::string prompt = formatChat(Json::parse(R"([{"role": "system", "content": "S"},
                                                   {"role": "user", "content": "U"}])"),
                                  tools, {false, true});
  EXPECT_EQ(prompt.rfind("<|im_start|>system\n# Tools\n\nYou have access to the following functions:\n\n"
                         "<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"now\", "
                         "\"parameters\": {}}}\n</tools>\n\n",
                         0),
            0u);
  EXPECT_NE(prompt.find("</IMPORTANT>\n\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n"), std::string::npos);
}

TEST(ChatFormat, JsonIsWrittenAsPythonWritesIt) {
  Json v = Json::parse(R"({"z": [1e-05, 1e16, 1e15, 0.1, -0.0, 3.0, 2.5e-07, 1.5e300, 0.0001, -12,
                                 18446744073709551615],
                           "a": "q\" b\\ t\t c\u0001 d\u007f é 😀", "e": {}, "f": [], "n": null,
                           "t": false})");
  EXPECT_EQ(axe::pythonJsonDumps(v),
            "{\"z\": [1e-05, 1e+16, 1000000000000000.0, 0.1, -0.0, 3.0, 2.5e-07, 1.5e+300, 0.0001, -12, "
            "18446744073709551615], \"a\": \"q\\\" b\\\\ t\\t c\\u0001 d\x7f \xc3\xa9 \xf0\x9f\x98\x80\", "
            "\"e\": {}, \"f\": [], \"n\": null, \"t\": false}");
}

TEST(ChatFormat, MalformedConversationsAreClearErrors) {
  EXPECT_EQ(errorOf(Json::parse(R"([{"role": "bot", "content": "x"}])")),
            "messages[0]: unknown role 'bot' (expected system, user, assistant or tool)");
  EXPECT_EQ(errorOf(Json::parse(R"([{"role": "user", "content": "x"},
                                    {"role": "system", "content": "y"}])")),
            "messages[1]: a system message must be the first message");
  EXPECT_EQ(errorOf(Json::parse(R"([{"role": "user", "content": 1}])")),
            "messages[0].content must be a string, an array of content parts or null, not a number");
  EXPECT_EQ(errorOf(Json::parse(R"([{"role": "user",
                                     "content": [{"type": "image_url", "image_url": {}}]}])")),
            "messages[0].content[0]: image input is not supported (this model is served text-only)");
  EXPECT_EQ(errorOf(Json::parse(R"([{"role": "user", "content": "x"}, {"role": "tool", "content": "y"}])")),
            "messages[1]: a tool message must follow an assistant message with tool_calls, or another "
            "tool message");
  EXPECT_EQ(errorOf(Json::parse(R"([{"role": "user", "content": "<tool_response>x</tool_response>"}])")),
            "messages have no user query (a user message that is not only a tool response)");
  EXPECT_EQ(errorOf(Json::array()), "messages is empty");
  EXPECT_EQ(errorOf(Json::parse(R"([{"role": "user", "content": "x"}])"),
                    Json::parse(R"([{"type": "function"}])")),
            "tools[0].function must be an object");
}

} // namespace
