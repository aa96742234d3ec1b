//===- ReasoningParser.cpp - splits <think> reasoning from the answer -----===//
//
// Two implementations of one set of rules: parse() reads the whole output with plain searches;
// the streaming parser is a three-state machine (Start, Reasoning, Content) over the text not yet
// decided. Keeping them separate lets the tests check each against the other on every way of
// splitting an output into deltas.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ReasoningParser.h"

#include "runtime/text/TagMatch.h"
#include "support/Error.h"

namespace axe {

using namespace tagmatch;

namespace {

constexpr std::string_view kThink = "<think>";
constexpr std::string_view kEndThink = "</think>";

std::string_view trimNewlines(std::string_view s, bool front, bool back) {
  while (front && !s.empty() && s.front() == '\n')
    s.remove_prefix(1);
  while (back && !s.empty() && s.back() == '\n')
    s.remove_suffix(1);
  return s;
}

// The first "<tool_call>" at or after `from` that opens a real call, or npos.
size_t findToolCallOpening(std::string_view s, size_t from) {
  for (size_t i = s.find("<tool_call>", from); i != std::string_view::npos;
       i = s.find("<tool_call>", i + 1))
    if (matchToolCallOpening(s, i) == TagMatch::Full)
      return i;
  return std::string_view::npos;
}

} // namespace

ReasoningParser::ReasoningParser(ReasoningOptions options) : options_(options) {}

bool ReasoningParser::inReasoning() const {
  return state_ == State::Reasoning || (state_ == State::Start && options_.startsInReasoning);
}

ReasoningResult ReasoningParser::parse(std::string_view text, ReasoningOptions options) {
  ReasoningResult r;
  size_t begin = 0;
  while (begin < text.size() && text[begin] == '\n')
    ++begin;
  bool opened = text.substr(begin).substr(0, kThink.size()) == kThink;
  if (!opened && !options.startsInReasoning) {
    r.content = std::string(text);
    return r;
  }
  if (opened)
    begin += kThink.size();
  size_t end = text.find(kEndThink, begin);
  size_t call = options.toolCallEndsReasoning ? findToolCallOpening(text, begin)
                                              : std::string_view::npos;
  if (end == std::string_view::npos && call == std::string_view::npos) {
    r.reasoning = std::string(trimNewlines(text.substr(begin), true, false));
    return r;
  }
  r.reasoningEnded = true;
  if (call < end) {
    r.reasoning = std::string(trimNewlines(text.substr(begin, call - begin), true, true));
    r.content = std::string(text.substr(call));
  } else {
    r.reasoning = std::string(trimNewlines(text.substr(begin, end - begin), true, true));
    r.content = std::string(trimNewlines(text.substr(end + kEndThink.size()), true, false));
  }
  return r;
}

// Routes reasoning text that holds no tag: drops its leading newlines and holds back its trailing
// ones, which belong to the reasoning only if more reasoning follows.
void ReasoningParser::reasoningText(std::string_view text, ReasoningDelta &out) {
  if (!reasoningStarted_)
    text = trimNewlines(text, true, false);
  size_t last = text.find_last_not_of('\n');
  if (last == std::string_view::npos) {
    heldNewlines_.append(text);
    return;
  }
  out.reasoning += heldNewlines_;
  out.reasoning.append(text.substr(0, last + 1));
  heldNewlines_.assign(text.substr(last + 1));
  reasoningStarted_ = true;
}

void ReasoningParser::run(ReasoningDelta &out) {
  std::string_view s = pending_;
  size_t pos = 0;
  while (pos < s.size()) {
    if (state_ == State::Start) {
      while (pos < s.size() && s[pos] == '\n')
        heldNewlines_ += s[pos++];
      if (pos == s.size())
        break;
      TagMatch m = matchTag(s, pos, kThink);
      if (m == TagMatch::Partial)
        break;
      if (m == TagMatch::Full) {
        pos += kThink.size();
        heldNewlines_.clear();
        state_ = State::Reasoning;
      } else if (options_.startsInReasoning) {
        heldNewlines_.clear(); // the reasoning's leading newlines
        state_ = State::Reasoning;
      } else {
        out.content += heldNewlines_;
        heldNewlines_.clear();
        state_ = State::Content;
      }
      continue;
    }
    if (state_ == State::Content) {
      while (skipNewlines_ && pos < s.size() && s[pos] == '\n')
        ++pos;
      if (pos < s.size())
        skipNewlines_ = false;
      out.content.append(s.substr(pos));
      pos = s.size();
      break;
    }
    // Reasoning: text up to the next '<', then decide whether a tag starts there.
    size_t lt = s.find('<', pos);
    reasoningText(s.substr(pos, lt - pos), out);
    if (lt == std::string_view::npos) {
      pos = s.size();
      break;
    }
    pos = lt;
    TagMatch end = matchTag(s, pos, kEndThink);
    if (end == TagMatch::Full) {
      heldNewlines_.clear();
      pos += kEndThink.size();
      state_ = State::Content;
      skipNewlines_ = true;
      continue;
    }
    TagMatch call =
        options_.toolCallEndsReasoning ? matchToolCallOpening(s, pos) : TagMatch::No;
    if (call == TagMatch::Full) {
      heldNewlines_.clear();
      state_ = State::Content; // the content starts at "<tool_call>"
      continue;
    }
    if (end == TagMatch::Partial || call == TagMatch::Partial)
      break; // wait for the rest of a possible tag
    reasoningText("<", out);
    ++pos;
  }
  pending_.erase(0, pos);
}

ReasoningDelta ReasoningParser::feed(std::string_view text) {
  if (finished_)
    throw Error("reasoning parser: text fed after finish()");
  ReasoningDelta out;
  pending_.append(text);
  run(out);
  return out;
}

ReasoningDelta ReasoningParser::finish() {
  ReasoningDelta out;
  if (finished_)
    return out;
  finished_ = true;
  run(out);
  // What is left is a tag cut short, and newlines held back: text after all.
  if (state_ == State::Start && !options_.startsInReasoning) {
    out.content += heldNewlines_ + pending_;
  } else if (state_ != State::Content) {
    if (state_ == State::Start)
      heldNewlines_.clear(); // the reasoning's leading newlines
    reasoningText(pending_, out);
    out.reasoning += heldNewlines_;
  }
  heldNewlines_.clear();
  pending_.clear();
  return out;
}

} // namespace axe
