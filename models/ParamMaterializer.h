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

#include "support/Safetensors.h"

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

struct MaterializeOptions {
  // Let NaN, ±Inf and e4m3 NaN codes through (--allow-non-finite-weights). FP8 scales then come
  // from the finite values of their group: NaN is stored as the NaN code, ±Inf saturates.
  bool allowNonFinite = false;
};

// Calls `sink(data, bytes)` with consecutive pieces of the param's stored bytes. Throws
// axe::Error when the checkpoint does not hold what the param needs, or holds a non-finite
// value (see checkFinite) unless the options allow it.
void materializeParam(const Checkpoint &checkpoint, const ParamDesc &param,
                      const std::function<void(const void *, size_t)> &sink,
                      const MaterializeOptions &options = {});

// Throws axe::Error naming the file, the tensor and the first bad element when elements
// [offset, offset + count) of `view` hold NaN or ±Inf (float dtypes) or an e4m3 NaN code (0x7F,
// 0xFF). Integer tensors always pass.
void checkFinite(const TensorView &view, uint64_t offset, uint64_t count);
inline void checkFinite(const TensorView &view) {
  checkFinite(view, 0, view.info->numElements());
}

} // namespace axe

#endif // AXE_MODELS_PARAMMATERIALIZER_H
