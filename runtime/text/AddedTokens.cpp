//===- AddedTokens.cpp - cutting added tokens out of text -----------------===//

#include "runtime/text/AddedTokens.h"

#include <algorithm>

namespace axe {

AddedTokenMatcher::AddedTokenMatcher(std::vector<std::pair<std::string, int32_t>> tokens)
    : tokens_(std::move(tokens)) {
  std::stable_sort(tokens_.begin(), tokens_.end(),
                   [](const auto &a, const auto &b) { return a.first.size() > b.first.size(); });
  for (const auto &t : tokens_)
    firstByte_[static_cast<unsigned char>(t.first[0])] = true;
}

const std::pair<std::string, int32_t> *AddedTokenMatcher::longestAt(std::string_view s, size_t pos) const {
  std::string_view rest = s.substr(pos);
  for (const auto &t : tokens_)
    if (rest.size() >= t.first.size() && rest.compare(0, t.first.size(), t.first) == 0)
      return &t;
  return nullptr;
}

} // namespace axe
