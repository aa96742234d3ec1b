//===- FormCpuDispatches.cpp - dispatch formation as a pass ----------------===//
//
// The same dispatch formation axe-compile runs, for axe-opt: fused IR in, step program out.
//
//===----------------------------------------------------------------------===//

#include "lowering/common/Lowering.h"
#include "lowering/cpu/CpuKernels.h"

#include "dialects/axe/AxeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace axe {

#define GEN_PASS_DECL_FORMCPUDISPATCHESPASS
#define GEN_PASS_DEF_FORMCPUDISPATCHESPASS
#include "lowering/common/Passes.h.inc"

namespace {

struct FormCpuDispatches : impl::FormCpuDispatchesPassBase<FormCpuDispatches> {
  using Base::Base;
  void runOnOperation() override {
    if (failed(formDispatches(getOperation(), cpu::populateDispatchPatterns, {weightsHoldNoNaNCodes})))
      signalPassFailure();
  }
};

} // namespace

} // namespace axe
