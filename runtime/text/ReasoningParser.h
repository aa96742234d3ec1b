//===- ReasoningParser.h - splits <think> reasoning from the answer -*- C++ -*-===//
//
// The qwen3 reasoning parser (vLLM's --reasoning-parser qwen3) for the Qwen3.5 family. With
// thinking on, the generation prompt ends with "<think>\n", so the model's output starts inside
// the reasoning and closes it with "</think>"; with thinking off the prompt already holds an
// empty, closed block. The rules, for the non-streaming and the streaming parser alike:
//
//   * startsInReasoning (thinking on): the output is reasoning up to the first "</think>", the
//     answer (content) after it. No "</think>": the model stopped while thinking, and all of it
//     is reasoning.
//   * !startsInReasoning (thinking off): the output is content, unless it opens a block itself
//     (a leading "<think>"): then it is read as with thinking on.
//   * A leading "<think>" (after newlines only) is dropped in both modes; a later one is text.
//   * Newlines around the reasoning are trimmed and the content's leading newlines dropped, as the
//     chat template trims them when it re-renders an assistant turn; other whitespace is kept.
//   * toolCallEndsReasoning: "<tool_call>", whitespace, "<function=" inside the reasoning also
//     ends it, and the content starts at "<tool_call>" (Qwen3.5 models sometimes call a tool
//     without closing the block). Off by default: tool calls inside the reasoning stay there.
//
// The streaming parser routes each delta as it arrives and never lets a tag, or a part of one
// split across deltas ("</th" + "ink>"), into either stream: it holds back a possible tag prefix
// until it is decided, and the reasoning's trailing newlines until it knows whether "</think>"
// follows. Splitting an output into deltas in any way gives the same concatenated streams as the
// non-streaming parser.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_REASONINGPARSER_H
#define AXE_RUNTIME_TEXT_REASONINGPARSER_H

#include <string>
#include <string_view>

namespace axe {

struct ReasoningOptions {
  // The prompt opened a think block (enable_thinking, the default of the 35B-A3B template).
  bool startsInReasoning = true;
  // "<tool_call>" + whitespace + "<function=" ends the reasoning (vLLM's newest qwen3 parser).
  bool toolCallEndsReasoning = false;
};

struct ReasoningResult {
  std::string reasoning; // reasoning_content; empty: none
  std::string content;
  // The reasoning was closed ("</think>", or a tool call with toolCallEndsReasoning).
  bool reasoningEnded = false;
};

struct ReasoningDelta {
  std::string reasoning;
  std::string content;
  bool empty() const { return reasoning.empty() && content.empty(); }
};

class ReasoningParser {
public:
  explicit ReasoningParser(ReasoningOptions options = {});

  // The next piece of the output; returns what can be routed now.
  ReasoningDelta feed(std::string_view text);
  // The output ended: releases what was held back. The parser takes no more text after it.
  ReasoningDelta finish();

  // Whether text fed now would be reasoning (false once the reasoning ended).
  bool inReasoning() const;

  // The whole output at once.
  static ReasoningResult parse(std::string_view text, ReasoningOptions options = {});

private:
  enum class State { Start, Reasoning, Content };

  void run(ReasoningDelta &out);
  void reasoningText(std::string_view text, ReasoningDelta &out);

  ReasoningOptions options_;
  State state_ = State::Start;
  std::string pending_;         // undecided text: a possible tag at its start
  std::string heldNewlines_;    // the reasoning's trailing newlines so far
  bool reasoningStarted_ = false; // a non-newline reasoning character was routed
  bool skipNewlines_ = false;   // drop the content's leading newlines (after "</think>")
  bool finished_ = false;
};

} // namespace axe

#endif // AXE_RUNTIME_TEXT_REASONINGPARSER_H
