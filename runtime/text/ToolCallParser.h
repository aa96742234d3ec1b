//===- ToolCallParser.h - qwen3_coder tool calls to OpenAI tool_calls -*- C++ -*-===//
//
// The qwen3_coder tool-call parser (vLLM's --tool-call-parser qwen3_coder). The model writes
//
//   <tool_call>
//   <function=NAME>
//   <parameter=ARG>
//   VALUE (raw text, may span lines; JSON for objects and arrays)
//   </parameter>
//   ...
//   </function>
//   </tool_call>
//
// and the parser turns each call into {"id": "call_<24 hex>", "type": "function", "function":
// {"name": NAME, "arguments": "<a JSON object>"}}. A value loses one leading and one trailing
// newline and is converted to the type that the tool's JSON schema gives the parameter
// (tools[i].function.parameters.properties[ARG]); see ToolArguments.h. The arguments object
// lists the parameters in the order the model wrote them (a repeated one twice), serialised as
// Python's json.dumps(..., ensure_ascii=False) does: separators ", " and ": ", non-ASCII
// characters as they are.
//
// Everything outside the calls is content. Whitespace next to a call is dropped (the "\n\n"
// before the first one, the "\n" between calls); text between or after calls is content too,
// joined to the content before it by "\n\n".
//
// Robustness. Markup that does not open a call ("<tool_call>" not followed by whitespace and
// "<function=NAME>", a name with whitespace, quotes, braces or angle brackets) is content, as
// written. Inside a call, a "</parameter>" counts only when whitespace and "<parameter=",
// "</function>" or "</tool_call>" follow it (otherwise it is part of the value); a call is
// complete at its "</function>" (or at a "</tool_call>" where "</function>" is missing); stray
// text between parameters is ignored. A model that stops mid-call leaves a call without its
// "</function>": the parser does not report it; its raw text, from the whitespace before
// "<tool_call>" on, goes back into the content, so no text is lost. The streaming parser has by
// then sent the call's header and the arguments of its complete parameters (an unterminated
// JSON object); unfinishedCall() names it, and finish() sends the raw text as content, the same
// content the non-streaming parser returns.
//
// Streaming: feed() takes text deltas and returns content deltas and tool-call deltas. A call's
// first delta carries its index, id, type and name (as soon as the name is complete); then
// argument fragments follow, one per complete parameter: '{"a": 1', then ', "b": "x"}' ('{}'
// for none). A parameter is complete when the tag after its "</parameter>" has arrived, so the
// last one goes out with the closing brace. The fragments concatenate to the arguments string
// that the non-streaming parser returns, whatever the split; tags and pieces of tags never
// reach the content.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_TOOLCALLPARSER_H
#define AXE_RUNTIME_TEXT_TOOLCALLPARSER_H

#include "runtime/text/ToolArguments.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace axe {

// One complete tool call.
struct ToolCall {
  std::string id;        // "call_" + 24 lowercase hex digits
  std::string name;      // as written, whether or not the request lists such a tool
  std::string arguments; // a JSON object
  // {"id": ..., "type": "function", "function": {"name": ..., "arguments": ...}}
  nlohmann::ordered_json toJson() const;
};

// A piece of a streamed tool call.
struct ToolCallDelta {
  int index = 0;         // the call's position among this output's calls
  std::string id;        // with the name, in a call's first delta only
  std::string name;
  std::string arguments; // the next fragment of the arguments string
  // {"index": i, "id": ..., "type": "function", "function": {"name": ..., "arguments": ...}}
  // in a first delta, {"index": i, "function": {"arguments": ...}} after it.
  nlohmann::ordered_json toJson() const;
};

struct ToolCallResult {
  std::string content;
  std::vector<ToolCall> calls;
};

struct ToolCallStreamDelta {
  std::string content;
  std::vector<ToolCallDelta> calls; // in order; one call's pieces of one feed() merged
  bool empty() const { return content.empty() && calls.empty(); }
};

class ToolCallParser {
public:
  // tools: the request's "tools" array (OpenAI format), or null. Entries that are not function
  // tools are ignored; the first tool of a name gives its parameters' schemas.
  explicit ToolCallParser(const nlohmann::json &tools = nullptr);

  ToolCallStreamDelta feed(std::string_view text);
  // The output ended: releases what was held back. The parser takes no more text after it.
  ToolCallStreamDelta finish();

  // The complete calls so far.
  const std::vector<ToolCall> &calls() const { return calls_; }
  // After finish(): the index of a call whose header was streamed but that never completed
  // (its raw text went to the content); -1 when there is none.
  int unfinishedCall() const { return unfinishedCall_; }

  // The whole output at once.
  static ToolCallResult parse(std::string_view text, const nlohmann::json &tools = nullptr);

private:
  enum class State { Text, Opening, Name, Body, ParamName, Value, Closing };

  void run(ToolCallStreamDelta &out);
  bool step(ToolCallStreamDelta &out); // false: wait for more text
  void consume(size_t n);              // into the current call's raw text
  void contentText(std::string_view text, ToolCallStreamDelta &out);
  void flushPendingSpace(ToolCallStreamDelta &out);
  void notACall(ToolCallStreamDelta &out);
  void endParameter(ToolCallStreamDelta &out);
  void endFunction(ToolCallStreamDelta &out);
  void arguments(std::string_view fragment, ToolCallStreamDelta &out);
  const nlohmann::json *parameterSchema(const std::string &param) const;

  std::vector<std::pair<std::string, nlohmann::json>> schemas_; // tool name -> properties

  State state_ = State::Text;
  std::string buf_; // text not yet consumed
  size_t pos_ = 0;

  // Content.
  std::string pendingSpace_; // whitespace that is dropped if a call follows
  bool afterCall_ = false;   // drop whitespace: a call just ended
  bool contentSent_ = false;

  // The current call.
  std::string raw_;          // its text so far, from the whitespace before "<tool_call>"
  size_t rawTagEnd_ = 0;     // raw_ up to the end of "<tool_call>"
  bool headerSent_ = false;
  ToolCall call_;
  std::string paramName_;
  std::string value_;
  int params_ = 0;

  std::vector<ToolCall> calls_;
  int unfinishedCall_ = -1;
  bool finished_ = false;
};

} // namespace axe

#endif // AXE_RUNTIME_TEXT_TOOLCALLPARSER_H
