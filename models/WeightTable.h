//===- WeightTable.h - the weights of a compiled step ---------*- C++ -*-===//
//
// Every distinct axe.param of a module, as the artifact stores it (models/ParamMaterializer.h),
// with the role and the precision decision of the op that uses it. The precision report, the
// FP8 checkpoint export and the artifact writer all read the IR through this table.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_MODELS_WEIGHTTABLE_H
#define AXE_MODELS_WEIGHTTABLE_H

#include "models/ParamMaterializer.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace axe {

struct WeightEntry {
  ParamDesc desc;
  std::string role;      // the user's role (attn_q, expert_down, embedding, ...) or its op name
  std::string precision; // fp8 | bf16 | f32 | the stored dtype for weights no policy decides
  std::string rule;      // why
  bool isScale() const {
    return desc.encoding == ParamEncoding::Fp8ChannelScale ||
           desc.encoding == ParamEncoding::Fp8BlockScale;
  }
};

// The step's state per token (KV cache) and per sequence (recurrent state), from its signature.
struct StateSizes {
  uint64_t kvBytesPerTokenBf16 = 0, kvBytesPerTokenFp8 = 0, kvBytesPerToken = 0;
  uint64_t recurrentBytesPerSequence = 0;
};

// Throws axe::Error for a param whose type the artifact cannot store.
std::vector<WeightEntry> collectWeights(mlir::ModuleOp module);
// The stored form of one axe.param op (weightShape = shape; scales get theirs from the table).
ParamDesc paramDesc(mlir::Operation *paramOp);
// The name of a param's tensor in the artifact's weights file: unique per stored form.
std::string artifactWeightName(const ParamDesc &desc);
StateSizes collectStateSizes(mlir::ModuleOp module);
DType dtypeOf(mlir::Type elementType);
// The element type of `dtype` in the IR (the inverse of dtypeOf); throws for bool, f64, u8, i16.
mlir::Type elementTypeOf(DType dtype, mlir::MLIRContext *ctx);

} // namespace axe

#endif // AXE_MODELS_WEIGHTTABLE_H
