//===- Fp8LinearKernels.h - the fused FP8 linear on sm_90a ----*- C++ -*-===//
//
// The GPU form of axe.fp8_linear (per-channel scheme), as host functions that launch:
//   1. per-token activation quantization (when the input is a float): one CTA per token,
//      absmax -> scale -> clamp -> e4m3 (arith.truncf, lowered by axe-lower-f8-casts-to-nvvm to
//      cvt.rn.satfinite.e4m3x2.f32);
//   2. the e4m3 x e4m3 -> f32 GEMM: a 64x128 output tile per CTA (one warpgroup), K in steps of
//      128: TMA (cp.async.bulk.tensor, swizzle 128B) of both K-major tiles onto an mbarrier, then
//      nvgpu.warpgroup.mma (wgmma m64n128k32 e4m3.e4m3), each 128-K block's four wgmmas from a
//      zero accumulator, added into f32 registers once done (FP8 wgmma accumulates in ~14 bits);
//   3. the epilogue: accumulator x token scale x channel scale -> bf16.
// The token count M is dynamic (grid rows ceil(M / 64); TMA zero-fills rows past M).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_LOWERING_NVVM_FP8LINEARKERNELS_H
#define AXE_LOWERING_NVVM_FP8LINEARKERNELS_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace axe::nvvm {

constexpr int64_t kTileM = 64, kTileN = 128, kTileK = 128;

// Chips with FP8 tensor cores that MLIR 22 can reach (wgmma): sm_90a only.
bool hasFp8TensorCores(const std::string &chip);

// Adds to `kernels` the host function `<name>_gemm(x8, xs, w8, ws, out)` and, when
// `inputType` is a float type, `<name>_quantize(x, x8, xs)`, for an [N, K] weight. N and K
// must be multiples of 128. Returns failure (with a diagnostic at `loc`) otherwise.
mlir::LogicalResult buildFp8LinearKernels(mlir::ModuleOp kernels, mlir::Location loc,
                                          const std::string &name, int64_t n, int64_t k,
                                          mlir::Type inputType);

} // namespace axe::nvvm

#endif // AXE_LOWERING_NVVM_FP8LINEARKERNELS_H
