//===- NvvmPasses.h - the NVVM lowering's passes and pipeline -*- C++ -*-===//
#ifndef AXE_LOWERING_NVVM_NVVMPASSES_H
#define AXE_LOWERING_NVVM_NVVMPASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace axe::nvvm {

#define GEN_PASS_DECL
#include "lowering/nvvm/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lowering/nvvm/Passes.h.inc"

// The GPU pipeline written out (not the bundled gpu-lower-to-nvvm-pipeline), so that axe's FP8
// cast lowering runs before convert-gpu-to-nvvm: kernels outlined and merged, NVVM target
// attached (chip, +ptx80), gpu.module lowered, then gpu-module-to-binary in `format`
// (isa = PTX text, bin = cubin through ptxas, fatbin).
void buildNvvmPipeline(mlir::OpPassManager &pm, const std::string &chip, const std::string &format);
// The CUDA toolkit whose ptxas the pipeline runs: $CUDA_HOME, $CUDA_PATH, else /usr/local/cuda
// when it has ptxas; empty: ptxas is looked up on PATH.
std::string cudaToolkitPath();

// Registers the pipeline as `axe-lower-to-nvvm{chip= format=}` for axe-opt.
void registerNvvmPipeline();

// The dialects the GPU path produces, the NVVM target attribute and the LLVM IR translations
// that gpu-module-to-binary serializes with.
void registerNvvmDialects(mlir::DialectRegistry &registry);

} // namespace axe::nvvm

#endif // AXE_LOWERING_NVVM_NVVMPASSES_H
