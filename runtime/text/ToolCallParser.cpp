//===- ToolCallParser.cpp - qwen3_coder tool calls to OpenAI tool_calls ---===//
//
// One state machine serves both APIs: parse() feeds the whole output at once. It reads the text
// not yet consumed and moves only when the text it has decides the next step; when the text ends
// inside something that may still become a tag it waits. So where the deltas split the output
// never changes what it produces, only when.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ToolCallParser.h"
#include "runtime/text/PythonJson.h"

#include "runtime/text/TagMatch.h"
#include "support/Error.h"

#include <cstdio>
#include <random>

namespace axe {

using namespace tagmatch;

namespace {

constexpr std::string_view kToolCall = "<tool_call>";
constexpr std::string_view kToolCallEnd = "</tool_call>";
constexpr std::string_view kFunction = "<function=";
constexpr std::string_view kFunctionEnd = "</function>";
constexpr std::string_view kParameter = "<parameter=";
constexpr std::string_view kParameterEnd = "</parameter>";

// "call_" and 24 random hex digits, as vLLM makes them.
std::string newCallId() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    return (uint64_t(rd()) << 32) ^ rd();
  }());
  uint64_t a = rng(), b = rng();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx%08llx", (unsigned long long)a,
                (unsigned long long)(b >> 32));
  return std::string("call_") + buf;
}

} // namespace

nlohmann::ordered_json ToolCall::toJson() const {
  nlohmann::ordered_json fn = {{"name", name}, {"arguments", arguments}};
  return {{"id", id}, {"type", "function"}, {"function", fn}};
}

nlohmann::ordered_json ToolCallDelta::toJson() const {
  if (id.empty())
    return {{"index", index}, {"function", {{"arguments", arguments}}}};
  nlohmann::ordered_json fn = {{"name", name}, {"arguments", arguments}};
  return {{"index", index}, {"id", id}, {"type", "function"}, {"function", fn}};
}

ToolCallParser::ToolCallParser(const nlohmann::json &tools) {
  if (tools.is_null())
    return;
  if (!tools.is_array())
    throw Error("tool-call parser: tools must be an array, got " + std::string(tools.type_name()));
  for (const auto &tool : tools) {
    if (!tool.is_object() || !tool.contains("function") || !tool["function"].is_object())
      continue;
    const auto &fn = tool["function"];
    if (!fn.contains("name") || !fn["name"].is_string())
      continue;
    std::string name = fn["name"].get<std::string>();
    bool known = false;
    for (const auto &[n, _] : schemas_)
      known |= n == name;
    if (known)
      continue;
    nlohmann::json properties = nlohmann::json::object();
    if (fn.contains("parameters") && fn["parameters"].is_object()) {
      const auto &params = fn["parameters"];
      if (params.contains("properties") && params["properties"].is_object())
        properties = params["properties"];
    }
    schemas_.emplace_back(std::move(name), std::move(properties));
  }
}

const nlohmann::json *ToolCallParser::parameterSchema(const std::string &param) const {
  for (const auto &[name, properties] : schemas_) {
    if (name != call_.name)
      continue;
    auto it = properties.find(param);
    return it == properties.end() ? nullptr : &*it;
  }
  return nullptr;
}

void ToolCallParser::consume(size_t n) {
  raw_.append(buf_, pos_, n);
  pos_ += n;
}

// Content outside calls: whitespace right after a call is dropped, whitespace after text is held
// back until text follows (then it is sent) or a call does (then it is dropped).
void ToolCallParser::contentText(std::string_view text, ToolCallStreamDelta &out) {
  if (afterCall_) {
    while (!text.empty() && isSpace(text.front()))
      text.remove_prefix(1);
    if (text.empty())
      return;
    afterCall_ = false;
    if (contentSent_)
      out.content += "\n\n";
  }
  size_t last = text.size();
  while (last > 0 && isSpace(text[last - 1]))
    --last;
  if (last == 0) {
    pendingSpace_.append(text);
    return;
  }
  out.content += pendingSpace_;
  out.content.append(text.substr(0, last));
  pendingSpace_.assign(text.substr(last));
  contentSent_ = true;
}

void ToolCallParser::flushPendingSpace(ToolCallStreamDelta &out) {
  out.content += pendingSpace_;
  pendingSpace_.clear();
}

// What looked like a call's opening is not one: "<tool_call>" (and the whitespace before it)
// is content, and what followed it is read again as text.
void ToolCallParser::notACall(ToolCallStreamDelta &out) {
  std::string head = raw_.substr(0, rawTagEnd_);
  std::string rest = raw_.substr(rawTagEnd_);
  raw_.clear();
  state_ = State::Text;
  contentText(head, out);
  buf_.replace(0, pos_, rest);
  pos_ = 0;
}

void ToolCallParser::arguments(std::string_view fragment, ToolCallStreamDelta &out) {
  call_.arguments.append(fragment);
  int index = int(calls_.size());
  if (out.calls.empty() || out.calls.back().index != index)
    out.calls.push_back(ToolCallDelta{index, "", "", ""});
  out.calls.back().arguments.append(fragment);
}

void ToolCallParser::endParameter(ToolCallStreamDelta &out) {
  std::string_view v = value_;
  if (!v.empty() && v.front() == '\n')
    v.remove_prefix(1);
  if (!v.empty() && v.back() == '\n')
    v.remove_suffix(1);
  std::string fragment = params_++ == 0 ? "{" : ", ";
  appendPythonJsonString(fragment, paramName_);
  fragment += ": ";
  fragment += convertToolArgument(v, parameterSchema(paramName_));
  arguments(fragment, out);
  value_.clear();
  paramName_.clear();
}

void ToolCallParser::endFunction(ToolCallStreamDelta &out) {
  arguments(params_ == 0 ? "{}" : "}", out);
  calls_.push_back(std::move(call_));
  call_ = ToolCall();
  raw_.clear();
  headerSent_ = false;
  afterCall_ = true;
  state_ = State::Closing;
}

bool ToolCallParser::step(ToolCallStreamDelta &out) {
  std::string_view s = buf_;
  switch (state_) {
  case State::Text: {
    size_t lt = s.find('<', pos_);
    if (lt != pos_) {
      size_t end = lt == std::string_view::npos ? s.size() : lt;
      contentText(s.substr(pos_, end - pos_), out);
      pos_ = end;
      return true;
    }
    TagMatch m = matchTag(s, pos_, kToolCall);
    if (m == TagMatch::Partial)
      return false;
    if (m == TagMatch::No) {
      contentText("<", out);
      ++pos_;
      return true;
    }
    raw_ = std::move(pendingSpace_);
    pendingSpace_.clear();
    consume(kToolCall.size());
    rawTagEnd_ = raw_.size();
    state_ = State::Opening;
    return true;
  }
  case State::Opening: {
    while (pos_ < s.size() && isSpace(s[pos_]))
      consume(1);
    if (pos_ == s.size())
      return false;
    TagMatch m = matchTag(s, pos_, kFunction);
    if (m == TagMatch::Partial)
      return false;
    if (m == TagMatch::No) {
      notACall(out);
      return true;
    }
    consume(kFunction.size());
    call_ = ToolCall();
    state_ = State::Name;
    return true;
  }
  case State::Name: {
    while (pos_ < s.size()) {
      char c = s[pos_];
      if (c == '>')
        break;
      if (isSpace(c) || c == '<' || c == '{' || c == '}' || c == '"' || c == '\'') {
        notACall(out);
        return true;
      }
      call_.name += c;
      consume(1);
    }
    if (pos_ == s.size())
      return false;
    if (call_.name.empty()) {
      notACall(out);
      return true;
    }
    consume(1);
    call_.id = newCallId();
    out.calls.push_back(ToolCallDelta{int(calls_.size()), call_.id, call_.name, ""});
    headerSent_ = true;
    params_ = 0;
    state_ = State::Body;
    return true;
  }
  case State::Body: {
    // Whitespace, or stray text between parameters: ignored.
    size_t lt = s.find('<', pos_);
    consume((lt == std::string_view::npos ? s.size() : lt) - pos_);
    if (pos_ == s.size())
      return false;
    TagMatch param = matchTag(s, pos_, kParameter);
    TagMatch fnEnd = matchTag(s, pos_, kFunctionEnd);
    TagMatch callEnd = matchTag(s, pos_, kToolCallEnd);
    if (param == TagMatch::Full) {
      consume(kParameter.size());
      state_ = State::ParamName;
    } else if (fnEnd == TagMatch::Full) {
      consume(kFunctionEnd.size());
      endFunction(out);
    } else if (callEnd == TagMatch::Full) {
      consume(kToolCallEnd.size());
      endFunction(out); // "</function>" missing
      state_ = State::Text;
    } else if (param == TagMatch::Partial || fnEnd == TagMatch::Partial ||
               callEnd == TagMatch::Partial) {
      return false;
    } else {
      consume(1);
    }
    return true;
  }
  case State::ParamName: {
    size_t gt = s.find('>', pos_);
    size_t end = gt == std::string_view::npos ? s.size() : gt;
    paramName_.append(s.substr(pos_, end - pos_));
    consume(end - pos_);
    if (gt == std::string_view::npos)
      return false;
    consume(1);
    state_ = State::Value;
    return true;
  }
  case State::Value: {
    size_t close = s.find(kParameterEnd, pos_);
    if (close == std::string_view::npos) {
      // Keep back what may be the start of "</parameter>".
      size_t keep = 0;
      for (size_t k = std::min(kParameterEnd.size() - 1, s.size() - pos_); k > 0; --k)
        if (matchTag(s, s.size() - k, kParameterEnd) == TagMatch::Partial) {
          keep = k;
          break;
        }
      value_.append(s.substr(pos_, s.size() - keep - pos_));
      consume(s.size() - keep - pos_);
      return false;
    }
    value_.append(s.substr(pos_, close - pos_));
    consume(close - pos_);
    // "</parameter>" ends the value only before the next parameter or the end of the call.
    size_t next = close + kParameterEnd.size();
    while (next < s.size() && isSpace(s[next]))
      ++next;
    if (next == s.size())
      return false;
    TagMatch m[] = {matchTag(s, next, kParameter), matchTag(s, next, kFunctionEnd),
                    matchTag(s, next, kToolCallEnd)};
    bool full = false, partial = false;
    for (TagMatch x : m) {
      full |= x == TagMatch::Full;
      partial |= x == TagMatch::Partial;
    }
    if (!full && partial)
      return false;
    consume(kParameterEnd.size());
    if (full) {
      endParameter(out);
      state_ = State::Body;
    } else {
      value_.append(kParameterEnd); // literal text in the value
    }
    return true;
  }
  case State::Closing: {
    while (pos_ < s.size() && isSpace(s[pos_]))
      ++pos_;
    if (pos_ == s.size())
      return false;
    TagMatch m = matchTag(s, pos_, kToolCallEnd);
    if (m == TagMatch::Partial)
      return false;
    if (m == TagMatch::Full)
      pos_ += kToolCallEnd.size();
    state_ = State::Text; // "</tool_call>" may be missing: what follows is text
    return true;
  }
  }
  return false;
}

void ToolCallParser::run(ToolCallStreamDelta &out) {
  while (pos_ < buf_.size() && step(out)) {
  }
  buf_.erase(0, pos_);
  pos_ = 0;
}

ToolCallStreamDelta ToolCallParser::feed(std::string_view text) {
  if (finished_)
    throw Error("tool-call parser: text fed after finish()");
  ToolCallStreamDelta out;
  buf_.append(text);
  run(out);
  return out;
}

ToolCallStreamDelta ToolCallParser::finish() {
  ToolCallStreamDelta out;
  if (finished_)
    return out;
  finished_ = true;
  run(out);
  switch (state_) {
  case State::Text: // a piece of "<tool_call>" is text
    contentText(buf_, out);
    flushPendingSpace(out);
    break;
  case State::Closing: // the call is complete; a piece of "</tool_call>" is dropped
    break;
  default: // a call cut short: its raw text is content
    if (headerSent_)
      unfinishedCall_ = int(calls_.size());
    raw_ += buf_;
    contentText(raw_, out);
    flushPendingSpace(out);
    raw_.clear();
  }
  buf_.clear();
  pos_ = 0;
  return out;
}

ToolCallResult ToolCallParser::parse(std::string_view text, const nlohmann::json &tools) {
  ToolCallParser parser(tools);
  ToolCallResult r;
  r.content = parser.feed(text).content;
  r.content += parser.finish().content;
  r.calls = parser.calls_;
  return r;
}

} // namespace axe
