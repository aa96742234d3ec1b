//===- ParamMaterializer.h - a param's stored bytes, streamed -*- C++ -*-===//
//
// Produces the bytes that the artifact (or an exported checkpoint) stores for one weight param:
// the checkpoint tensor (or the row-major concatenation of its parts) converted to the param's
// dtype, or its FP8 values or scales per output row or per 128x128 block (DESIGN.md §2, spec
// §5.3). Streams in bands of rows, so memory stays at one band whatever the tensor's size.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_MODELS_PARAMMATERIALIZER_H
#define AXE_MODELS_PARAMMATERIALIZER_H

#include "models/Safetensors.h"

#include <functional>
#include <string>
#include <vector>

namespace axe {

enum class ParamEncoding { None, Fp8Channel, Fp8ChannelScale, Fp8Block, Fp8BlockScale };

struct ParamDesc {
  std::string name;               // checkpoint tensor, or the param's name when it has parts
  std::vector<std::string> parts; // checkpoint tensors concatenated row-major, if any
  ParamEncoding encoding = ParamEncoding::None;
  DType dtype = DType::BF16;      // stored element type
  std::vector<int64_t> shape;     // stored shape
  // Shape of the weight the encoding derives from (for scales it differs from `shape`).
  std::vector<int64_t> weightShape;

  uint64_t numBytes() const;
};

constexpr int64_t kFp8Block = 128;

// Calls `sink(data, bytes)` with consecutive pieces of the param's stored bytes. Throws
// axe::Error when the checkpoint does not hold what the param needs.
void materializeParam(const Checkpoint &checkpoint, const ParamDesc &param,
                      const std::function<void(const void *, size_t)> &sink);

} // namespace axe

#endif // AXE_MODELS_PARAMMATERIALIZER_H
