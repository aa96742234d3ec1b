//===- TagMatch.h - matching a tag that may be cut off by a delta's end -*- C++ -*-===//
//
// The output parsers read text as it is generated. A tag can arrive in pieces ("</th" then
// "ink>"), so a match against the text seen so far has three answers: the tag is there, it is
// not, or the text ends inside something that may still become the tag.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_TAGMATCH_H
#define AXE_RUNTIME_TEXT_TAGMATCH_H

#include <cstddef>
#include <string_view>

// In their own namespace: short names that other runtime code may want too.
namespace axe::tagmatch {

enum class TagMatch { No, Partial, Full };

// Whether `tag` starts at s[pos]: Partial when s ends first and what it has agrees with the tag.
inline TagMatch matchTag(std::string_view s, size_t pos, std::string_view tag) {
  std::string_view rest = s.substr(pos);
  if (rest.size() >= tag.size())
    return rest.substr(0, tag.size()) == tag ? TagMatch::Full : TagMatch::No;
  return tag.substr(0, rest.size()) == rest ? TagMatch::Partial : TagMatch::No;
}

inline bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// "<tool_call>", whitespace, "<function=" at s[pos]: how a real tool call opens.
inline TagMatch matchToolCallOpening(std::string_view s, size_t pos) {
  TagMatch m = matchTag(s, pos, "<tool_call>");
  if (m != TagMatch::Full)
    return m;
  size_t i = pos + 11;
  while (i < s.size() && isSpace(s[i]))
    ++i;
  if (i == s.size())
    return TagMatch::Partial;
  return matchTag(s, i, "<function=");
}

} // namespace axe::tagmatch

#endif // AXE_RUNTIME_TEXT_TAGMATCH_H
