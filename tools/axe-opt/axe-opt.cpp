//===- axe-opt.cpp - the axe optimizer driver -----------------------------===//
//
// Parses axe IR (with the upstream dialects the importer and the lowerings use), runs passes and
// prints the result: the tool behind every lit test of the compiler.
//
//===----------------------------------------------------------------------===//

#include "dialects/axe/AxeDialect.h"
#include "lowering/common/StepProgram.h"
#include "lowering/nvvm/NvvmPasses.h"
#include "passes/Passes.h"
#include "passes/PrecisionPipeline.h"
#include "tools/common/Version.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  llvm::cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { os << axe::versionLine("axe-opt") << "\n"; });
  mlir::registerTransformsPasses(); // canonicalize, cse, ...
  mlir::registerConversionPasses(); // the upstream lowerings the GPU pipeline is made of
  mlir::registerGPUPasses();
  mlir::memref::registerMemRefPasses();
  mlir::axe::registerAxePasses();
  mlir::axe::registerPrecisionPipeline();
  axe::registerLoweringPasses(); // axe-form-cpu-dispatches, axe-plan-buffers
  axe::nvvm::registerAxeNvvmPasses();
  axe::nvvm::registerNvvmPipeline();

  mlir::DialectRegistry registry;
  registry.insert<mlir::axe::AxeDialect, mlir::arith::ArithDialect, mlir::func::FuncDialect,
                  mlir::tensor::TensorDialect>();
  axe::nvvm::registerNvvmDialects(registry); // to read and write the GPU lowering's IR
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "axe optimizer driver\n", registry));
}
