//===- OutputParser.h - a completion's text to message fields -*- C++ -*-===//
//
// What the server runs over a completion's text, in vLLM's order: the reasoning parser first
// (runtime/text/ReasoningParser.h), then the tool-call parser over the content it leaves
// (runtime/text/ToolCallParser.h), so a tool call inside the reasoning stays reasoning text.
// Either can be off. parse() gives a message's reasoning_content, content and tool_calls for the
// whole text; the streaming parser gives the same, split into the deltas of a chat completion
// chunk, whatever the split of the text.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_OUTPUTPARSER_H
#define AXE_RUNTIME_TEXT_OUTPUTPARSER_H

#include "runtime/text/ReasoningParser.h"
#include "runtime/text/ToolCallParser.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace axe {

struct OutputParserOptions {
  bool reasoning = false;             // --reasoning-parser qwen3
  bool startsInReasoning = true;      // with reasoning: the prompt opened a think block
  bool toolCallEndsReasoning = false; // with reasoning: see ReasoningOptions
  nlohmann::json tools;               // null: no tool calls; else the request's tools array
};

struct ParsedOutput {
  std::string reasoning; // reasoning_content; empty: none
  std::string content;   // empty: none
  std::vector<ToolCall> toolCalls;
};

struct OutputDelta {
  std::string reasoning;
  std::string content;
  std::vector<ToolCallDelta> toolCalls;
  bool empty() const { return reasoning.empty() && content.empty() && toolCalls.empty(); }
};

class OutputParser {
public:
  explicit OutputParser(const OutputParserOptions &options);

  OutputDelta feed(std::string_view text);
  // The output ended: releases what was held back. The parser takes no more text after it.
  OutputDelta finish();

  // The complete tool calls so far (finish_reason "tool_calls" when there is one).
  const std::vector<ToolCall> &toolCalls() const;
  // After finish(): a tool call whose header was streamed but that never completed, or -1.
  int unfinishedToolCall() const;

  static ParsedOutput parse(std::string_view text, const OutputParserOptions &options);

private:
  OutputDelta route(ReasoningDelta r, bool last);

  std::optional<ReasoningParser> reasoning_;
  std::optional<ToolCallParser> tools_;
};

} // namespace axe

#endif // AXE_RUNTIME_TEXT_OUTPUTPARSER_H
