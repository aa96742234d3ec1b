//===- CpuKernels.h - the CPU lowering of every axe op --------*- C++ -*-===//
//
// One conversion pattern per op: its lowering takes the op's operand views, makes its results'
// buffers, builds the kernel (scf loops on memrefs, f32 compute, once per distinct body) and
// appends the dispatch(es). Workgroups split the outermost parallel dimension (tokens, output channels or
// heads, whichever the op can split without races), so the runtime's thread pool divides them.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_LOWERING_CPU_CPUKERNELS_H
#define AXE_LOWERING_CPU_CPUKERNELS_H

#include "lowering/common/KernelBuilder.h"
#include "lowering/common/Lowering.h"

namespace axe::cpu {

// The gated delta rule's chunk (FLA and HF use 64). Its kernel starts chunks where a sequence's
// run in the step starts, so prompt pieces that start at multiples of it compute the same bits
// however a prompt is split (the manifest's prefill_alignment).
constexpr int64_t kDeltaRuleChunk = 64;

// The CPU target's dispatch-formation patterns: one per op it lowers (CpuLowering.cpp).
void populateDispatchPatterns(mlir::RewritePatternSet &patterns, DispatchFormation &formation);

// Families (ElementwiseKernels.cpp, LinearKernels.cpp, AttentionKernels.cpp,
// DeltaNetKernels.cpp, MoeKernels.cpp).
void populateElementwisePatterns(mlir::RewritePatternSet &patterns, DispatchFormation &formation);
void populateLinearPatterns(mlir::RewritePatternSet &patterns, DispatchFormation &formation);
void populateAttentionPatterns(mlir::RewritePatternSet &patterns, DispatchFormation &formation);
void populateDeltaNetPatterns(mlir::RewritePatternSet &patterns, DispatchFormation &formation);
void populateMoePatterns(mlir::RewritePatternSet &patterns, DispatchFormation &formation);

// Shared helpers.
inline mlir::RankedTensorType tensorType(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType());
}
// Calls `body(indices)` for every row (all indices but the last) whose first index is in
// [begin, end).
void forEachRow(KernelBuilder &kb, mlir::Value memref, mlir::Value begin, mlir::Value end,
                const std::function<void(llvm::SmallVector<mlir::Value>)> &body);
// Per-token dynamic FP8 quantization of `values(k)` (k < K), in 1 x `group` groups (group = K:
// one scale per token): writes codes into q[qIndex..., k] and scales into scale(g).
void quantizeRow(KernelBuilder &kb, int64_t k, int64_t group,
                 const std::function<mlir::Value(mlir::Value)> &values,
                 const std::function<void(mlir::Value, mlir::Value)> &storeCode,
                 const std::function<void(mlir::Value, mlir::Value)> &storeScale);
// Quantizes the [T, K] float view `in` into e4m3 `codes` and `scales`, per token (`scales` of
// rank 1) or per 1 x `group` (rank 2): one dispatch, a workgroup per token (LinearKernels.cpp).
// With f32 `codes` it stores each code's e4m3 value, exactly, so a CPU GEMM need not decode it
// per row.
void quantizeInto(Lowering &L, const KernelArg &in, const KernelArg &codes, const KernelArg &scales,
                  int64_t group);

} // namespace axe::cpu

#endif // AXE_LOWERING_CPU_CPUKERNELS_H
