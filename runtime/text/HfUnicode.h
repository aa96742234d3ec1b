//===- HfUnicode.h - Hugging Face tokenizers' Unicode data ----*- C++ -*-===//
//
// HF's tokenizers normalizes with Unicode 9.0 tables and splits with Oniguruma's Unicode 16 classes;
// axe has utf8proc (Unicode 15) and PCRE2 (Unicode 14). To give HF's ids on every input, axe corrects
// its libraries where they differ from HF, with tables that hf_unicode_tables.py derives from
// tokenizers itself (HfUnicodeTables.inc).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_HFUNICODE_H
#define AXE_RUNTIME_TEXT_HFUNICODE_H

#include <cstdint>
#include <string>

namespace axe {

// True for a code point that HF's NFC leaves as it is and that blocks composition and reordering
// across it (a character its Unicode 9.0 tables do not know), where utf8proc would change it.
bool isHfNfcInert(uint32_t cp);

// The code points that HF's regex has in \p{L}, \p{M} or \p{N} (property 'L', 'M' or 'N') beyond
// PCRE2's, as members of a PCRE2 character class ("\x{..}-\x{..}..."); empty for other properties.
std::string hfExtraClassMembers(char property);

} // namespace axe

#endif // AXE_RUNTIME_TEXT_HFUNICODE_H
