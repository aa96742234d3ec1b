//===- Tokenizer.h - text <-> token ids, from a tokenizer.json -*- C++ -*-===//
//
// The Qwen3.5 tokenizer (spec §6) as Hugging Face's `tokenizers` runs it from tokenizer.json, byte for
// byte: added tokens cut out of the raw text, NFC, the Split pre-tokenizer regex, byte-level BPE with
// ranked merges; decoding maps ids back to bytes. Only what that pipeline uses is supported (BPE
// model, NFC or no normalizer, Split + ByteLevel pre-tokenizer, ByteLevel decoder); any other
// tokenizer.json is refused with one line naming the field.
//
// Input bytes that are not UTF-8 are first repaired to U+FFFD (see Utf8.h), so encode(bytes) equals
// HF's encode(bytes.decode("utf-8", errors="replace")).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_TOKENIZER_H
#define AXE_RUNTIME_TEXT_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace axe {

class Tokenizer {
public:
  // Reads a tokenizer.json; throws axe::Error naming the file and field when it is malformed or
  // uses something axe does not implement.
  static Tokenizer load(const std::string &path);
  // The same from the file's text; `source` names it in errors.
  static Tokenizer parse(std::string_view json, const std::string &source);

  // The ids of `text` (any bytes). With `allowSpecial` the text of a special added token (such as
  // "<|im_start|>") becomes its id; without, it is tokenized as plain text and no special id can
  // come out. Added tokens that are not special are always recognized, as in HF. Thread-safe.
  std::vector<int32_t> encode(std::string_view text, bool allowSpecial = false) const;

  // The text of `ids`, ill-formed UTF-8 repaired to U+FFFD. Throws axe::Error for an unassigned id.
  std::string decode(const std::vector<int32_t> &ids) const;

  // The bytes one id stands for (not necessarily whole characters). Throws for an unassigned id.
  std::string_view tokenBytes(int32_t id) const;

  // Ids are in [0, idCount()); some may be unassigned.
  int32_t idCount() const;
  bool isSpecial(int32_t id) const;
  // The id of an added token by its text, e.g. "<|im_end|>".
  std::optional<int32_t> addedTokenId(std::string_view content) const;

private:
  struct Impl;
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_; // immutable, so copies share it
};

} // namespace axe

#endif // AXE_RUNTIME_TEXT_TOKENIZER_H
