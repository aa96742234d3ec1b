//===- SplitRegex.h - the pre-tokenizer's split regex ---------*- C++ -*-===//
//
// Hugging Face's Split pre-tokenizer with the "Isolated" behaviour: the text is cut into the regex's
// successive matches and the (rare) stretches between them, each its own piece. The regex is
// compiled by PCRE2 in UTF + UCP mode (Unicode properties such as \p{L} and \p{M}), JIT-compiled
// where the platform allows.
//
// The pattern is translated to keep the pieces byte-exact with HF's tokenizers (Oniguruma): there \s is
// Unicode's White_Space property, while PCRE2's UCP \s is \p{Z} plus \h and \v, which adds U+180E,
// so \s and \S are spelled out as White_Space; and \p{L}, \p{M}, \p{N} get the code points that
// Oniguruma's Unicode 16 tables have beyond PCRE2's (HfUnicode.h).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_SPLITREGEX_H
#define AXE_RUNTIME_TEXT_SPLITREGEX_H

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace axe {

class SplitRegex {
public:
  // Throws axe::Error when PCRE2 rejects the (translated) pattern.
  explicit SplitRegex(const std::string &pattern);
  ~SplitRegex();
  SplitRegex(const SplitRegex &) = delete;
  SplitRegex &operator=(const SplitRegex &) = delete;

  // Appends the pieces of well-formed UTF-8 `text`, in order; together they are `text`. Thread-safe.
  void split(std::string_view text, std::vector<std::string_view> &pieces) const;

  // The pattern as handed to PCRE2.
  const std::string &compiledPattern() const { return translated_; }

private:
  struct Impl;
  std::string translated_;
  std::unique_ptr<Impl> impl_;
};

// `pattern` as PCRE2 must see it to match like HF: \s and \S as White_Space classes, \p{L}, \p{M} and
// \p{N} (and \P) widened to Oniguruma's. Throws axe::Error for \S or \P{L|M|N} inside a class.
std::string translateForPcre2(const std::string &pattern);

} // namespace axe

#endif // AXE_RUNTIME_TEXT_SPLITREGEX_H
