//===- StreamingDecoder.h - ids to text, one id at a time -----*- C++ -*-===//
//
// A generated token often ends inside a UTF-8 character (byte-level BPE splits a CJK character or an
// emoji over two or three tokens). The streaming decoder hands out only whole characters: the bytes
// of a sequence that the next id may still complete are held back, and finish() turns whatever is
// left into U+FFFD. Ill-formed bytes are repaired as Tokenizer::decode does (Utf8.h), so the pieces
// of a stream always add up to decode() of the same ids.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_TEXT_STREAMINGDECODER_H
#define AXE_RUNTIME_TEXT_STREAMINGDECODER_H

#include "runtime/text/Tokenizer.h"

#include <cstdint>
#include <string>

namespace axe {

class StreamingDecoder {
public:
  explicit StreamingDecoder(Tokenizer tokenizer) : tokenizer_(std::move(tokenizer)) {}

  // The text that `id` completes (possibly empty). Throws axe::Error for an unassigned id.
  std::string push(int32_t id);

  // The held-back bytes, as U+FFFD (empty when none); the decoder is then ready for a new stream.
  std::string finish();

  // Bytes held back, waiting for the next id (at most 3).
  size_t pending() const { return pending_.size(); }

private:
  Tokenizer tokenizer_;
  std::string pending_;
};

} // namespace axe

#endif // AXE_RUNTIME_TEXT_STREAMINGDECODER_H
