//===- PrecisionPipeline.cpp - the precision passes as one pipeline -------===//

#include "passes/PrecisionPipeline.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"

namespace mlir::axe {

void buildPrecisionPipeline(OpPassManager &pm, const PrecisionPipelineOptions &options) {
  AssignPrecisionPassOptions assign;
  assign.policy = options.policy;
  QuantizePassOptions quantize;
  quantize.scheme = options.scheme == QuantScheme::Block ? "block" : "channel";
  pm.addPass(createAssignPrecisionPass(assign));
  pm.addPass(createQuantizePass(quantize));
  pm.addPass(createFuseQuantGemmPass());
}

void registerPrecisionPipeline() {
  PassPipelineRegistration<PrecisionPipelineOptions>(
      "axe-precision-pipeline",
      "the precision map as axe-compile applies it: assign precision, quantize, fuse",
      buildPrecisionPipeline);
}

} // namespace mlir::axe
