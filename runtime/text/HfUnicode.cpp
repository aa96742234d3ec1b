//===- HfUnicode.cpp - Hugging Face tokenizers' Unicode data --------------===//

#include "runtime/text/HfUnicode.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace axe {
namespace {

struct CodePointRange {
  uint32_t first, last;
};

#include "runtime/text/HfUnicodeTables.inc"

template <size_t N> bool contains(const CodePointRange (&table)[N], uint32_t cp) {
  auto it = std::upper_bound(std::begin(table), std::end(table), cp,
                             [](uint32_t c, const CodePointRange &r) { return c < r.first; });
  return it != std::begin(table) && cp <= std::prev(it)->last;
}

template <size_t N> std::string classMembers(const CodePointRange (&table)[N]) {
  std::string out;
  char buf[32];
  for (const CodePointRange &r : table) {
    if (r.first == r.last)
      std::snprintf(buf, sizeof buf, "\\x{%X}", r.first);
    else
      std::snprintf(buf, sizeof buf, "\\x{%X}-\\x{%X}", r.first, r.last);
    out += buf;
  }
  return out;
}

} // namespace

bool isHfNfcInert(uint32_t cp) { return cp >= kHfNfcInert[0].first && contains(kHfNfcInert, cp); }

std::string hfExtraClassMembers(char property) {
  switch (property) {
  case 'L':
    return classMembers(kHfExtraLetter);
  case 'M':
    return classMembers(kHfExtraMark);
  case 'N':
    return classMembers(kHfExtraNumber);
  default:
    return "";
  }
}

} // namespace axe
