//===- FormCpuDispatches.cpp - dispatch formation as a pass ----------------===//
//
// The same dispatch formation axe-compile runs, for axe-opt: fused IR in, step program out.
//
//===----------------------------------------------------------------------===//

#include "lowering/common/Lowering.h"
#include "lowering/cpu/CpuKernels.h"

#include "dialects/axe/AxeOps.h"
#include "support/Error.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <exception>

namespace axe {

#define GEN_PASS_DEF_FORMCPUDISPATCHESPASS
#include "lowering/common/Passes.h.inc"

namespace {

struct FormCpuDispatches : impl::FormCpuDispatchesPassBase<FormCpuDispatches> {
  void runOnOperation() override {
    mlir::ModuleOp module = getOperation();
    mlir::OwningOpRef<mlir::ModuleOp> program;
    try {
      program = formDispatches(module, cpu::lowerOp);
    } catch (const std::exception &e) { // axe::Error, or a malformed module's lookup failure
      module.emitError(e.what());
    }
    if (!program)
      return signalPassFailure();
    module.getBody()->clear();
    module.getBody()->getOperations().splice(module.getBody()->end(), program->getBody()->getOperations());
  }
};

} // namespace

} // namespace axe
