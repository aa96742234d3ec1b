//===- OutputParser.cpp - a completion's text to message fields -----------===//
//
// parse() chains the two non-streaming parsers; the streaming parser chains the two streaming
// ones, handing the tool-call parser each content delta that the reasoning parser releases.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/OutputParser.h"

namespace axe {

namespace {

ReasoningOptions reasoningOptions(const OutputParserOptions &o) {
  ReasoningOptions r;
  r.startsInReasoning = o.startsInReasoning;
  r.toolCallEndsReasoning = o.toolCallEndsReasoning;
  return r;
}

} // namespace

OutputParser::OutputParser(const OutputParserOptions &options) {
  if (options.reasoning)
    reasoning_.emplace(reasoningOptions(options));
  if (!options.tools.is_null())
    tools_.emplace(options.tools);
}

OutputDelta OutputParser::route(ReasoningDelta r, bool last) {
  OutputDelta out;
  out.reasoning = std::move(r.reasoning);
  if (!tools_) {
    out.content = std::move(r.content);
    return out;
  }
  ToolCallStreamDelta t = tools_->feed(r.content);
  if (last) {
    ToolCallStreamDelta end = tools_->finish();
    t.content += end.content;
    for (auto &d : end.calls) {
      if (!t.calls.empty() && t.calls.back().index == d.index && d.id.empty())
        t.calls.back().arguments += d.arguments;
      else
        t.calls.push_back(std::move(d));
    }
  }
  out.content = std::move(t.content);
  out.toolCalls = std::move(t.calls);
  return out;
}

OutputDelta OutputParser::feed(std::string_view text) {
  if (reasoning_)
    return route(reasoning_->feed(text), false);
  return route(ReasoningDelta{"", std::string(text)}, false);
}

OutputDelta OutputParser::finish() {
  if (reasoning_)
    return route(reasoning_->finish(), true);
  return route(ReasoningDelta(), true);
}

const std::vector<ToolCall> &OutputParser::toolCalls() const {
  static const std::vector<ToolCall> none;
  return tools_ ? tools_->calls() : none;
}

int OutputParser::unfinishedToolCall() const { return tools_ ? tools_->unfinishedCall() : -1; }

ParsedOutput OutputParser::parse(std::string_view text, const OutputParserOptions &options) {
  ParsedOutput out;
  std::string content;
  if (options.reasoning) {
    ReasoningResult r = ReasoningParser::parse(text, reasoningOptions(options));
    out.reasoning = std::move(r.reasoning);
    content = std::move(r.content);
  } else {
    content = std::string(text);
  }
  if (options.tools.is_null()) {
    out.content = std::move(content);
    return out;
  }
  ToolCallResult t = ToolCallParser::parse(content, options.tools);
  out.content = std::move(t.content);
  out.toolCalls = std::move(t.calls);
  return out;
}

} // namespace axe
