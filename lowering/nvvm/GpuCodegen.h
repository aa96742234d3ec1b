//===- GpuCodegen.h - the step program's kernels for a GPU ----*- C++ -*-===//
//
// What the artifact's nvvm/ holds: every kernel of the step program (module @kernels, the same
// bodies the CPU target compiles) as one GPU kernel each (axe-kernels-to-gpu: thread 0 of block b
// runs workgroup wg_begin + b), lowered by the written-out NVVM pipeline to PTX and assembled by
// ptxas into a cubin. Kernel parameters follow MLIR's GPU calling convention: each memref argument
// expands to (allocated, aligned, offset, sizes..., strides...), 64-bit each, then the index
// scalars and the workgroup range (docs/artifact.md "GPU kernels").
//
//===----------------------------------------------------------------------===//
#ifndef AXE_LOWERING_NVVM_GPUCODEGEN_H
#define AXE_LOWERING_NVVM_GPUCODEGEN_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace axe::nvvm {

struct GpuKernelFiles {
  std::string ptx;   // the PTX text ptxas assembled
  std::string cubin; // ELF for `chip`
};

// Compiles a copy of `kernels` (left untouched) for `chip` (sm_90a). Throws axe::Error naming
// the failing step (a kernel the GPU form does not take, ptxas missing or refusing).
GpuKernelFiles compileGpuKernels(mlir::ModuleOp kernels, const std::string &chip);

} // namespace axe::nvvm

#endif // AXE_LOWERING_NVVM_GPUCODEGEN_H
