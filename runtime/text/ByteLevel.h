//===- ByteLevel.h - GPT-2's byte-level alphabet --------------*- C++ -*-===//
//
// Byte-level BPE vocabularies (GPT-2, Qwen) spell every byte as one printable character, so that a
// token can be stored as a JSON string: bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF stand for
// themselves (as code points), the other 68 bytes for U+0100 upwards, in byte order. The runtime
// works on bytes; this maps tokenizer.json's strings to the bytes they stand for, and back.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_BYTELEVEL_H
#define AXE_RUNTIME_TEXT_BYTELEVEL_H

#include <cstdint>
#include <string>
#include <string_view>

namespace axe {

// The code point that stands for byte `b`.
uint32_t byteLevelCodepoint(uint8_t b);

// The bytes a byte-level string (UTF-8) stands for. False, `bytes` unspecified, when a character is
// outside the alphabet (or the string is not UTF-8).
bool byteLevelToBytes(std::string_view token, std::string &bytes);

// The byte-level string (UTF-8) of `bytes`.
std::string bytesToByteLevel(std::string_view bytes);

} // namespace axe

#endif // AXE_RUNTIME_TEXT_BYTELEVEL_H
