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
#include "mlir/Dialect/MemRef/IR/MemRef.h"

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
    } catch (const Error &e) {
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
