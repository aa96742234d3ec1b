//===- CpuLowering.cpp - the CPU target's dispatch-formation patterns -----===//

#include "lowering/cpu/CpuKernels.h"

namespace axe::cpu {

void populateDispatchPatterns(mlir::RewritePatternSet &patterns, DispatchFormation &formation) {
  populateElementwisePatterns(patterns, formation);
  populateLinearPatterns(patterns, formation);
  populateAttentionPatterns(patterns, formation);
  populateDeltaNetPatterns(patterns, formation);
  populateMoePatterns(patterns, formation);
}

} // namespace axe::cpu
