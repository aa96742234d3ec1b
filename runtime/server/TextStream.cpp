//===- TextStream.cpp - one completion's text, with stop strings ----------===//

#include "runtime/server/TextStream.h"

#include "support/Error.h"

#include <algorithm>

namespace axe {

TextStream::TextStream(const Tokenizer &tokenizer, std::vector<std::string> stops)
    : decoder_(tokenizer), stops_(std::move(stops)) {
  for (const std::string &s : stops_)
    holdBack_ = std::max(holdBack_, s.size() - 1);
}

std::string TextStream::release(std::string held, bool final) {
  // The earliest stop string ends the text.
  size_t cut = std::string::npos;
  for (const std::string &s : stops_)
    cut = std::min(cut, held.find(s));
  std::string out;
  if (cut != std::string::npos) {
    out = held.substr(0, cut);
    stopped_ = true;
    held_.clear();
  } else if (final || held.size() <= holdBack_) {
    if (final) {
      out = held;
      held_.clear();
    } else {
      held_ = held;
    }
  } else {
    // Keep the last holdBack_ bytes, moved back to a character boundary.
    size_t keep = held.size() - holdBack_;
    while (keep > 0 && (uint8_t(held[keep]) & 0xC0) == 0x80)
      --keep;
    out = held.substr(0, keep);
    held_ = held.substr(keep);
  }
  text_ += out;
  return out;
}

std::string TextStream::push(int32_t id) {
  if (stopped_)
    return "";
  std::string piece;
  try {
    piece = decoder_.push(id);
  } catch (const Error &) {
    // An id no token stands for (the embedding's padding rows): no text, as vLLM decodes it.
  }
  if (stops_.empty()) {
    text_ += piece;
    return piece;
  }
  return release(held_ + piece, /*final=*/false);
}

std::string TextStream::finish() {
  if (stopped_)
    return "";
  std::string rest = decoder_.finish();
  if (stops_.empty()) {
    text_ += rest;
    return rest;
  }
  return release(held_ + rest, /*final=*/true);
}

} // namespace axe
