//===- ChatFormat.h - OpenAI-style messages to the Qwen3.5 prompt text -*- C++ -*-===//
//
// The Qwen3.5 chat format (ChatML, <think> blocks, tools in the system turn, qwen3_coder XML tool
// calls), rendered natively. No template, from the model or elsewhere, is ever executed: a Jinja
// template from a checkpoint is code, and in other servers it has been a way in (sandbox escapes)
// and a way to stall them. The output is byte-identical to transformers' apply_chat_template over
// test/data/qwen3_5_chat_template.jinja, the reference written from the model spec (section 6);
// test/e2e/test_chat_format.py checks it. docs/chat.md says what is rendered.
//
// Objects keep their key order (nlohmann::ordered_json): tool schemas and object arguments are
// written back as JSON in the order the client sent them, as Python's json.dumps does.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_CHATFORMAT_H
#define AXE_RUNTIME_TEXT_CHATFORMAT_H

#include "runtime/text/PythonJson.h" // pythonJsonDumps, for callers of formatChat

#include <nlohmann/json.hpp>

#include <string>

namespace axe {

struct ChatFormatOptions {
  // End with an open assistant turn for the model to complete.
  bool addGenerationPrompt = true;
  // With the generation prompt: leave the <think> block open for the model's reasoning (on), or
  // close it empty so that the model answers at once (off).
  bool enableThinking = true;
};

// Renders an OpenAI-style conversation as the model's prompt text.
//
// `messages`: an array of {"role": "system"|"user"|"assistant"|"tool", "content": ...}, where
// content is a string, an array of {"type": "text", "text": ...} parts, or null. An assistant
// message may carry "reasoning_content" (or "thinking", "reasoning") and "tool_calls"
// ([{"function": {"name", "arguments"}}], arguments an object or OpenAI's JSON string of one).
// `tools`: an array of OpenAI function tools ({"type": "function", "function": {...}}), or null.
//
// A malformed conversation is an axe::Error whose one line names the message: an unknown role,
// a system message that is not the first, content of the wrong type, an image or video part
// (no vision input), a tool message that answers no tool call, no user query at all, ...
std::string formatChat(const nlohmann::ordered_json &messages, const nlohmann::ordered_json &tools,
                       const ChatFormatOptions &options = {});


} // namespace axe

#endif // AXE_RUNTIME_TEXT_CHATFORMAT_H
