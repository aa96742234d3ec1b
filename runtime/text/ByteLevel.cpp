//===- ByteLevel.cpp - GPT-2's byte-level alphabet ------------------------===//

#include "runtime/text/ByteLevel.h"

#include <utf8proc.h>

#include <array>

namespace axe {
namespace {

bool standsForItself(unsigned b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<uint32_t, 256> codepoint{};
  std::array<int16_t, 512> byte{}; // code point -> byte, -1 outside the alphabet (all are < 512)
  Tables() {
    byte.fill(-1);
    uint32_t next = 256;
    for (unsigned b = 0; b < 256; ++b) {
      codepoint[b] = standsForItself(b) ? b : next++;
      byte[codepoint[b]] = int16_t(b);
    }
  }
};

const Tables &tables() {
  static const Tables t;
  return t;
}

} // namespace

uint32_t byteLevelCodepoint(uint8_t b) { return tables().codepoint[b]; }

bool byteLevelToBytes(std::string_view token, std::string &bytes) {
  const Tables &t = tables();
  bytes.clear();
  auto *p = reinterpret_cast<const utf8proc_uint8_t *>(token.data());
  for (size_t i = 0; i < token.size();) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t len = utf8proc_iterate(p + i, utf8proc_ssize_t(token.size() - i), &cp);
    if (len <= 0 || cp < 0 || cp >= 512 || t.byte[cp] < 0)
      return false;
    bytes.push_back(char(t.byte[cp]));
    i += size_t(len);
  }
  return true;
}

std::string bytesToByteLevel(std::string_view bytes) {
  std::string out;
  for (unsigned char b : bytes) {
    utf8proc_uint8_t buf[4];
    utf8proc_ssize_t len = utf8proc_encode_char(utf8proc_int32_t(tables().codepoint[b]), buf);
    out.append(reinterpret_cast<const char *>(buf), size_t(len));
  }
  return out;
}

} // namespace axe
