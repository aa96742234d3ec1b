//===- axe-chat-template.cpp - render a conversation as the prompt text ---===//
//
//   axe-chat-template < request.json > prompt.txt
//
// Reads one JSON object on stdin:
//
//   {"messages": [...], "tools": [...], "add_generation_prompt": true, "enable_thinking": true}
//
// ("tools", "add_generation_prompt" and "enable_thinking" are optional; both flags default to
// true) and writes the prompt text that runtime/text/ChatFormat.h renders, byte for byte, with
// no newline added. It exists so that tests can compare the renderer with transformers'
// apply_chat_template, and to show a conversation's prompt by hand.
//
// Bad input ends with one line "axe-chat-template: error: ..." and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ChatFormat.h"
#include "support/Error.h"
#include "tools/common/Version.h"

#include <cstdio>
#include <string>

namespace {

using Json = nlohmann::ordered_json;

// A request is a conversation; more than this is not one.
constexpr size_t kMaxInputBytes = size_t(64) << 20;

bool flag(const Json &request, const char *key, bool fallback) {
  auto it = request.find(key);
  if (it == request.end() || it->is_null())
    return fallback;
  if (!it->is_boolean())
    throw axe::Error(std::string("'") + key + "' must be true or false");
  return it->get<bool>();
}

int run() {
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    text.append(buf, n);
    if (text.size() > kMaxInputBytes)
      throw axe::Error("stdin: more than " + std::to_string(kMaxInputBytes >> 20) + " MiB");
  }
  if (std::ferror(stdin))
    throw axe::Error("stdin: cannot read");

  Json request;
  try {
    request = Json::parse(text);
  } catch (const Json::exception &e) { // parse_error, or out_of_range for 1e999
    throw axe::Error(std::string("stdin: malformed JSON: ") + e.what());
  }
  if (!request.is_object())
    throw axe::Error("stdin: expected a JSON object with \"messages\"");
  for (const auto &[key, value] : request.items())
    if (key != "messages" && key != "tools" && key != "add_generation_prompt" && key != "enable_thinking")
      throw axe::Error("unknown key '" + key +
                       "' (expected messages, tools, add_generation_prompt, enable_thinking)");
  auto messages = request.find("messages");
  if (messages == request.end())
    throw axe::Error("no \"messages\"");

  axe::ChatFormatOptions options;
  options.addGenerationPrompt = flag(request, "add_generation_prompt", options.addGenerationPrompt);
  options.enableThinking = flag(request, "enable_thinking", options.enableThinking);
  static const Json noTools;
  auto tools = request.find("tools");
  std::string prompt = axe::formatChat(*messages, tools == request.end() ? noTools : *tools, options);

  if (std::fwrite(prompt.data(), 1, prompt.size(), stdout) != prompt.size() || std::fflush(stdout) != 0)
    throw axe::Error("stdout: cannot write");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 2 && std::string(argv[1]) == "--version") {
    std::puts(axe::versionLine("axe-chat-template").c_str());
    return 0;
  }
  if (argc > 1) {
    std::fprintf(stderr, "usage: axe-chat-template [--version] < request.json > prompt.txt\n");
    return 2;
  }
  try {
    return run();
  } catch (const std::exception &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "axe-chat-template: error: %s\n", e.what());
    return 1;
  }
}
