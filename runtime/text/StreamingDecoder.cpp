//===- StreamingDecoder.cpp - ids to text, one id at a time ---------------===//

#include "runtime/text/StreamingDecoder.h"

#include "runtime/text/Utf8.h"

namespace axe {

std::string StreamingDecoder::push(int32_t id) {
  pending_ += tokenizer_.tokenBytes(id);
  std::string out;
  pending_.erase(0, appendRepairedUtf8(pending_, out, /*final=*/false));
  return out;
}

std::string StreamingDecoder::finish() {
  std::string out;
  appendRepairedUtf8(pending_, out, /*final=*/true);
  pending_.clear();
  return out;
}

} // namespace axe
