//===- CpuCodegen.h - kernels to an x86-64 shared library -----*- C++ -*-===//
//
// Lowers the kernel module (func/scf/memref/arith/math) to the LLVM dialect with an explicit
// pass list, translates it to LLVM IR, optimizes it, emits an object for x86-64-v3 (AVX2, FMA,
// F16C) or x86-64-v4 (AVX-512) and links it into a shared library with the system C compiler driver. The library needs
// only libc and libm; every kernel exports just its `_mlir_ciface_` entry point.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_LOWERING_CPU_CPUCODEGEN_H
#define AXE_LOWERING_CPU_CPUCODEGEN_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace axe::cpu {

struct CodegenOptions {
  std::string cpu = "x86-64-v3";
  std::string dumpDir; // when set: kernels.mlir, kernels.llvm.mlir, kernels.ll written there
  // The manifest's digest (artifact/ManifestDigest.h), embedded so that the loader can tell that
  // the library was compiled for that manifest. Required.
  std::string manifestDigest;
};

// Writes `soPath`; throws axe::Error on failure.
void emitSharedLibrary(mlir::ModuleOp kernels, const std::string &soPath,
                       const CodegenOptions &options = {});

} // namespace axe::cpu

#endif // AXE_LOWERING_CPU_CPUCODEGEN_H
