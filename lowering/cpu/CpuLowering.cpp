//===- CpuLowering.cpp - the CPU lowering's dispatch table ----------------===//

#include "lowering/cpu/CpuKernels.h"

namespace axe::cpu {

mlir::LogicalResult lowerOp(mlir::Operation *op, Lowering &lowering) {
  for (auto family : {lowerElementwise, lowerLinear, lowerAttention, lowerDeltaNet, lowerMoe})
    if (mlir::succeeded(family(op, lowering)))
      return mlir::success();
  return mlir::failure();
}

} // namespace axe::cpu
