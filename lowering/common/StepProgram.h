//===- StepProgram.h - the dispatch-level step program --------*- C++ -*-===//
//
// Dispatch formation (Lowering.h) rewrites the fused `forward_step` into a dispatch-level module:
//
//   module {
//     module @kernels { func.func @k0_embed(...) ... }   // kernels over memrefs, one per
//                                                        // distinct body: layers share them
//     func.func @forward_step() {
//       %T = axe.step_symbol <T>
//       %x = axe.buffer <temp> "t7"(%T) : memref<?x64xbf16>
//       %v = memref.reinterpret_cast %x to offset: [32], sizes: [%T, 32], strides: [64, 1] ...
//       axe.dispatch @kernels::@k3_rms_norm(%v, ...) workgroups(%T) : ...
//     }
//   }
//
// Buffer planning (axe-plan-buffers) rewrites it; the artifact writer reads the manifest's step
// program (buffers, kernels, dispatches) off it with readStepProgram and nothing else.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_LOWERING_COMMON_STEPPROGRAM_H
#define AXE_LOWERING_COMMON_STEPPROGRAM_H

#include "artifact/Manifest.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "mlir/Pass/Pass.h"

#include <memory>
#include <vector>

namespace mlir::axe {
class BufferOp;
}

namespace axe {

constexpr const char *kKernelModuleName = "kernels";
constexpr const char *kStepFunctionName = "forward_step";
// On each kernel function: the axe op it implements ("axe.rms_norm"), for the manifest.
constexpr const char *kKernelOfAttr = "axe.kernel_of";
// On a kernel's memref argument: an e4m3 weight in which axe-compile found no NaN code, so its
// decode needs no NaN fix-up (FormationOptions::weightsHoldNoNaNCodes).
constexpr const char *kNoNaNCodesAttr = "axe.no_nan_codes";

// The step program in the artifact's types, as the dispatch-level module says.
struct StepProgram {
  std::vector<BufferDecl> buffers;   // in the order of the axe.buffer ops
  std::vector<KernelDecl> kernels;   // in the order of @kernels; contracts added by the writer
  std::vector<ProgramEntry> dispatches;
};

// The shape of an axe.buffer: its static sizes and the symbols of its dynamic ones.
std::vector<SymInt> bufferShape(mlir::axe::BufferOp op);
// The view a memref value of the step program denotes: the whole of an axe.buffer (contiguous)
// or a memref.reinterpret_cast of one with a static offset; `bufferId` numbers the buffer.
// Throws axe::Error for anything else.
ViewArg readView(mlir::Value v, llvm::function_ref<int64_t(mlir::axe::BufferOp)> bufferId);

// Throws axe::Error for a module that is not a dispatch-level step program.
StepProgram readStepProgram(mlir::ModuleOp dispatchModule);
mlir::ModuleOp kernelModule(mlir::ModuleOp dispatchModule);

// axe-form-cpu-dispatches: the fused module becomes its CPU step program (lowering/cpu).
std::unique_ptr<mlir::Pass> createFormCpuDispatchesPass();
// axe-plan-buffers: temporaries whose lifetimes do not overlap share a buffer.
std::unique_ptr<mlir::Pass> createPlanBuffersPass();
// Both, for axe-opt.
void registerLoweringPasses();

} // namespace axe

#endif // AXE_LOWERING_COMMON_STEPPROGRAM_H
