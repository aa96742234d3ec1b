//===- TextStream.h - one completion's text, with stop strings -*- C++ -*-===//
//
// Generated ids become text as they arrive: whole UTF-8 characters only (StreamingDecoder), and
// with stop strings, text that might be the start of one is held back until it is decided. When a
// stop string appears the text ends just before it (OpenAI's semantics: the stop string is not
// returned) and stopped() turns true; nothing after it is ever handed out.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVER_TEXTSTREAM_H
#define AXE_RUNTIME_SERVER_TEXTSTREAM_H

#include "runtime/text/StreamingDecoder.h"
#include "runtime/text/Tokenizer.h"

#include <string>
#include <vector>

namespace axe {

class TextStream {
public:
  TextStream(const Tokenizer &tokenizer, std::vector<std::string> stops);

  // The text that can be handed out after `id` (possibly empty; an id that stands for no token,
  // such as the embedding's padding rows, adds none). Ignored once stopped().
  std::string push(int32_t id);
  // The end of the stream: whatever was held back (unless stopped).
  std::string finish();
  bool stopped() const { return stopped_; }
  // Everything handed out so far.
  const std::string &text() const { return text_; }

private:
  std::string release(std::string held, bool final);

  StreamingDecoder decoder_;
  std::vector<std::string> stops_;
  size_t holdBack_ = 0; // bytes that may start a stop string: the longest one's length - 1
  std::string held_;
  std::string text_;
  bool stopped_ = false;
};

} // namespace axe

#endif // AXE_RUNTIME_SERVER_TEXTSTREAM_H
