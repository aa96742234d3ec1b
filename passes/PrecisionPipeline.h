//===- PrecisionPipeline.h - the precision passes as one pipeline -*- C++ -*-===//
//
// axe-assign-precision, axe-quantize and axe-fuse-quant-gemm in order, with their options in one
// place. axe-compile builds it with buildPrecisionPipeline; axe-opt runs the same thing as
// --axe-precision-pipeline="policy=... scheme=block", so a lit test sees what axe-compile does.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_PASSES_PRECISIONPIPELINE_H
#define AXE_PASSES_PRECISIONPIPELINE_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir::axe {

// How FP8 weights are scaled (axe-quantize's `scheme`).
enum class QuantScheme { Channel, Block };

struct PrecisionPipelineOptions : public PassPipelineOptions<PrecisionPipelineOptions> {
  Option<std::string> policy{*this, "policy",
                             llvm::cl::desc("default, bf16, f32 or a policy JSON file"),
                             llvm::cl::init("default")};
  Option<QuantScheme> scheme{
      *this, "scheme", llvm::cl::desc("FP8 weight scales"), llvm::cl::init(QuantScheme::Channel),
      llvm::cl::values(clEnumValN(QuantScheme::Channel, "channel",
                                  "one scale per output channel, per-token activations"),
                       clEnumValN(QuantScheme::Block, "block", "128x128 weight blocks (Qwen's FP8)"))};
};

void buildPrecisionPipeline(OpPassManager &pm, const PrecisionPipelineOptions &options);
// Registers --axe-precision-pipeline with axe-opt.
void registerPrecisionPipeline();

} // namespace mlir::axe

#endif // AXE_PASSES_PRECISIONPIPELINE_H
