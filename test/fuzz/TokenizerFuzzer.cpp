//===- TokenizerFuzzer.cpp - encode and decode any bytes ------------------===//
//
// The tokenizer is the Qwen3.5 test tokenizer.json that scripts/make-test-models.sh writes
// (AXE_FUZZ_TOKENIZER names another). The first input byte picks the mode, the rest is text:
//  - encode the text (special tokens allowed or not); every id must be assigned, and for ASCII
//    text (which NFC leaves alone) decoding must give the text back;
//  - decode the text read as little-endian int32 ids: an unassigned id is an axe::Error.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/Tokenizer.h"
#include "support/Error.h"
#include "test/fuzz/FuzzCheck.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {
std::optional<axe::Tokenizer> tokenizer;
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *path = std::getenv("AXE_FUZZ_TOKENIZER");
  if (!path)
    path = AXE_FUZZ_DEFAULT_TOKENIZER;
  try {
    tokenizer = axe::Tokenizer::load(path);
  } catch (const axe::Error &e) {
    std::fprintf(stderr, "%s\n(run scripts/make-test-models.sh, or set AXE_FUZZ_TOKENIZER)\n", e.what());
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  uint8_t mode = data[0];
  std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
  try {
    if (mode & 1) {
      std::vector<int32_t> ids;
      for (size_t i = 0; i + 4 <= text.size(); i += 4) {
        int32_t id;
        std::memcpy(&id, text.data() + i, 4);
        ids.push_back(id);
      }
      std::string out = tokenizer->decode(ids);
      (void)out;
      return 0;
    }
    bool allowSpecial = mode & 2;
    std::vector<int32_t> ids = tokenizer->encode(text, allowSpecial);
    for (int32_t id : ids) {
      axe::fuzz::check(id >= 0 && id < tokenizer->idCount(), "encode gave an id out of range");
      (void)tokenizer->tokenBytes(id); // throws for an unassigned id: a finding
      axe::fuzz::check(allowSpecial || !tokenizer->isSpecial(id),
                       "encode without allowSpecial gave a special token");
    }
    bool ascii = true;
    for (char c : text)
      ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (ascii && !allowSpecial)
      axe::fuzz::check(tokenizer->decode(ids) == text, "decode(encode(ASCII text)) is not the text");
  } catch (const axe::Error &e) {
    if (!(mode & 1))
      axe::fuzz::finding(std::string("encode threw: ") + e.what());
  } catch (const std::exception &e) {
    axe::fuzz::unexpected(e);
  }
  return 0;
}
