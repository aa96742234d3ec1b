//===- FuzzCheck.h - what a fuzz target counts as a finding ----*- C++ -*-===//
//
// A target fails (aborts, so libFuzzer saves the input) when a property of the code under test
// breaks: a sanitizer report, an exception that is not the one-line error the reader promises,
// or two ways of computing one thing disagreeing (streamed against whole).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_TEST_FUZZ_FUZZCHECK_H
#define AXE_TEST_FUZZ_FUZZCHECK_H

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace axe::fuzz {

[[noreturn]] inline void finding(const std::string &what) {
  std::fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
  std::abort();
}

inline void check(bool ok, const char *what) {
  if (!ok)
    finding(what);
}

// A reader's contract: bad input is an axe::Error with one line; anything else escaping is a bug.
inline void unexpected(const std::exception &e) {
  finding(std::string("an exception other than axe::Error escaped: ") + e.what());
}

// Feeds `text` to a streaming parser in the pieces `cuts` chooses (each at most what is left),
// then the rest, then finish(): `add` receives every delta.
template <typename Parser, typename Add>
void feedInPieces(Parser &parser, std::string_view text, const std::vector<size_t> &cuts, Add add) {
  size_t pos = 0;
  for (size_t cut : cuts) {
    size_t n = cut < text.size() - pos ? cut : text.size() - pos;
    add(parser.feed(text.substr(pos, n)));
    pos += n;
  }
  add(parser.feed(text.substr(pos)));
  add(parser.finish());
}

} // namespace axe::fuzz

#endif // AXE_TEST_FUZZ_FUZZCHECK_H
