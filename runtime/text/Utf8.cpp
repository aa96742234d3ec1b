//===- Utf8.cpp - UTF-8 validation, U+FFFD repair and NFC -----------------===//

#include "runtime/text/Utf8.h"

#include "runtime/text/HfUnicode.h"
#include "support/Error.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace axe {
namespace {

enum class Kind { Valid, Invalid, Truncated };

struct Sequence {
  size_t length; // Valid: the sequence; otherwise its maximal ill-formed subpart (>= 1 byte)
  Kind kind;     // Truncated: well-formed so far, cut short by the end of the input
};

// The sequence starting at p[0] (n >= 1), after Unicode's Table 3-7 of well-formed byte sequences.
Sequence scan(const unsigned char *p, size_t n) {
  unsigned char b = p[0];
  if (b < 0x80)
    return {1, Kind::Valid};
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF; // the second byte's range; later ones are always 80..BF
  if (b >= 0xC2 && b <= 0xDF) {
    need = 2;
  } else if (b == 0xE0) {
    need = 3, lo = 0xA0; // no overlong 3-byte forms
  } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
    need = 3;
  } else if (b == 0xED) {
    need = 3, hi = 0x9F; // no surrogates
  } else if (b == 0xF0) {
    need = 4, lo = 0x90; // no overlong 4-byte forms
  } else if (b >= 0xF1 && b <= 0xF3) {
    need = 4;
  } else if (b == 0xF4) {
    need = 4, hi = 0x8F; // nothing above U+10FFFF
  } else {
    return {1, Kind::Invalid}; // 80..C1, F5..FF never start a sequence
  }
  for (size_t i = 1; i < need; ++i) {
    if (i == n)
      return {i, Kind::Truncated};
    if (p[i] < lo || p[i] > hi)
      return {i, Kind::Invalid};
    lo = 0x80, hi = 0xBF;
  }
  return {need, Kind::Valid};
}

const char kReplacement[] = "\xEF\xBF\xBD"; // U+FFFD

} // namespace

size_t appendRepairedUtf8(std::string_view in, std::string &out, bool final) {
  auto *p = reinterpret_cast<const unsigned char *>(in.data());
  size_t n = in.size(), i = 0, run = 0; // [run, i): well-formed bytes not yet copied
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    Sequence s = scan(p + i, n - i);
    if (s.kind == Kind::Valid) {
      i += s.length;
      continue;
    }
    out.append(in.data() + run, i - run);
    if (s.kind == Kind::Truncated && !final)
      return i; // the next bytes may still complete it
    out.append(kReplacement, 3);
    i += s.length;
    run = i;
  }
  out.append(in.data() + run, n - run);
  return n;
}

std::string repairUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  appendRepairedUtf8(in, out, /*final=*/true);
  return out;
}

bool isValidUtf8(std::string_view in) {
  auto *p = reinterpret_cast<const unsigned char *>(in.data());
  for (size_t i = 0, n = in.size(); i < n;) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    Sequence s = scan(p + i, n - i);
    if (s.kind != Kind::Valid)
      return false;
    i += s.length;
  }
  return true;
}

namespace {

void appendUtf8proc(std::string_view part, std::string &out) {
  utf8proc_uint8_t *composed = nullptr;
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t *>(part.data()),
                                    utf8proc_ssize_t(part.size()), &composed,
                                    utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  std::unique_ptr<utf8proc_uint8_t, void (*)(void *)> owner(composed, std::free);
  if (n < 0)
    throw Error(std::string("tokenizer: NFC normalization failed: ") + utf8proc_errmsg(n));
  out.append(reinterpret_cast<const char *>(composed), size_t(n));
}

} // namespace

std::string nfc(std::string_view validUtf8) {
  // Text below U+0300 (lead bytes < 0xCC) is already NFC and nothing in it composes: no combining
  // mark, Hangul jamo or singleton decomposition lies there. Most English and code takes this path.
  bool below0300 = true;
  for (unsigned char c : validUtf8)
    if (c >= 0xCC) {
      below0300 = false;
      break;
    }
  if (below0300)
    return std::string(validUtf8);
  // utf8proc normalizes the stretches between code points that HF's NFC does not know (HfUnicode.h):
  // those stay as they are, and nothing composes or reorders across them, as in HF.
  std::string out;
  out.reserve(validUtf8.size());
  auto *p = reinterpret_cast<const utf8proc_uint8_t *>(validUtf8.data());
  size_t n = validUtf8.size(), part = 0;
  for (size_t i = 0; i < n;) {
    if (p[i] < 0xDF) { // below U+07C0: nothing HF does not know
      i += p[i] < 0x80 ? 1 : 2;
      continue;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t len = utf8proc_iterate(p + i, utf8proc_ssize_t(n - i), &cp);
    if (len <= 0)
      throw Error("tokenizer: NFC needs well-formed UTF-8");
    if (isHfNfcInert(uint32_t(cp))) {
      if (i > part)
        appendUtf8proc(validUtf8.substr(part, i - part), out);
      out.append(validUtf8.substr(i, size_t(len)));
      part = i + size_t(len);
    }
    i += size_t(len);
  }
  if (part < n)
    appendUtf8proc(validUtf8.substr(part), out);
  return out;
}

} // namespace axe
