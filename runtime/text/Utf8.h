//===- Utf8.h - UTF-8 validation, U+FFFD repair and NFC -------*- C++ -*-===//
//
// The tokenizer takes bytes and hands out text, so it must decide what ill-formed UTF-8 means.
// axe follows the Unicode "maximal subpart" practice (Unicode 15, §3.9, U+FFFD substitution), which
// is also what Python's bytes.decode(errors="replace") and Rust's String::from_utf8_lossy do: each
// maximal prefix of a well-formed sequence that cannot be completed becomes one U+FFFD, and so does
// every byte that cannot start one. Encoding repairs its input that way before anything else;
// decoding repairs the bytes of the ids that way, and the streaming decoder holds a sequence that
// may still be completed until the next id decides.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_UTF8_H
#define AXE_RUNTIME_TEXT_UTF8_H

#include <cstddef>
#include <string>
#include <string_view>

namespace axe {

// Appends the UTF-8 of `in` to `out`, ill-formed parts replaced by U+FFFD. With `final` false a
// trailing sequence that is well-formed so far but incomplete is left unconsumed. Returns the number
// of bytes of `in` consumed (all of them when `final` is true).
size_t appendRepairedUtf8(std::string_view in, std::string &out, bool final);

// `in` with ill-formed parts replaced by U+FFFD (a copy of `in` when it is well-formed).
std::string repairUtf8(std::string_view in);

bool isValidUtf8(std::string_view in);

// The canonical composition (NFC) of well-formed UTF-8 as HF's tokenizers computes it: utf8proc's,
// except that code points HF's Unicode 9.0 tables do not know stay put and block (HfUnicode.h).
std::string nfc(std::string_view validUtf8);

} // namespace axe

#endif // AXE_RUNTIME_TEXT_UTF8_H
