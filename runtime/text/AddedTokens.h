//===- AddedTokens.h - cutting added tokens out of text -------*- C++ -*-===//
//
// Added tokens (<|im_start|>, <think>, ...) are found in the text before anything else, the way HF's
// AddedVocabulary does: leftmost match first, the longest one where several start at the same byte
// (so "<tts_text_bos_single>" wins over its prefix "<tts_text_bos>"); the text between matches goes
// on through the normal pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_ADDEDTOKENS_H
#define AXE_RUNTIME_TEXT_ADDEDTOKENS_H

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace axe {

class AddedTokenMatcher {
public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(std::vector<std::pair<std::string, int32_t>> tokens);

  bool empty() const { return tokens_.empty(); }

  // Calls text(segment) for each stretch between matches (never empty) and token(id) for each match,
  // in order.
  template <typename TextFn, typename TokenFn>
  void split(std::string_view s, TextFn &&text, TokenFn &&token) const {
    size_t done = 0;
    for (size_t pos = 0; pos < s.size(); ++pos) {
      if (!firstByte_[static_cast<unsigned char>(s[pos])])
        continue;
      const auto *match = longestAt(s, pos);
      if (!match)
        continue;
      if (pos > done)
        text(s.substr(done, pos - done));
      token(match->second);
      done = pos + match->first.size();
      pos = done - 1;
    }
    if (done < s.size())
      text(s.substr(done));
  }

private:
  const std::pair<std::string, int32_t> *longestAt(std::string_view s, size_t pos) const;

  std::vector<std::pair<std::string, int32_t>> tokens_; // longest first
  std::array<bool, 256> firstByte_{};
};

} // namespace axe

#endif // AXE_RUNTIME_TEXT_ADDEDTOKENS_H
