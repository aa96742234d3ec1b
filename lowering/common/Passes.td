//===- Passes.td - passes over the dispatch-level step program -*- tablegen -*-===//
//
// The step program that dispatch formation builds (StepProgram.h). Keep alphabetical.
//
//===----------------------------------------------------------------------===//

#ifndef AXE_LOWERING_PASSES_TD
#define AXE_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def FormCpuDispatchesPass : Pass<"axe-form-cpu-dispatches", "::mlir::ModuleOp"> {
  let summary = "Turn the fused forward_step into the CPU target's dispatch-level step program";
  let description = [{
    Rewrites the module (after the precision passes) into its step program with a dialect
    conversion (lowering/common/Lowering.h): `module @kernels` with one `func.func` over memrefs
    per distinct kernel, and a `forward_step` of `axe.buffer`, views and `axe.dispatch`
    (lowering/common/StepProgram.h). Buffers are not planned yet (`axe-plan-buffers`). An op no
    CPU pattern lowers fails to legalize, at its location.
  }];
  // Everything the CPU kernels are built from: loaded before the pass runs, not from inside it.
  let dependentDialects = ["::mlir::axe::AxeDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::func::FuncDialect", "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect", "::mlir::LLVM::LLVMDialect"];
  let options = [
    Option<"weightsHoldNoNaNCodes", "weights-hold-no-nan-codes", "bool", /*default=*/"false",
           "The e4m3 weights hold no NaN code (axe-compile checked them): their decode skips the NaN fix-up">
  ];
}

def PlanBuffersPass : Pass<"axe-plan-buffers", "::mlir::ModuleOp"> {
  let summary = "Temporaries whose lifetimes do not overlap share a buffer";
  let description = [{
    In the dispatch-level `forward_step`, a temporary (`axe.buffer <temp>`) lives from the first
    to the last `axe.dispatch` that uses it (directly or through a view). Walking the dispatches
    in order, a temporary that starts takes over a buffer of the same type and sizes that has
    ended, if any; unused temporaries are removed. Without this a long prefill would hold every
    intermediate of every layer at once. A buffer is free only after the dispatch that ends it,
    so nothing aliases within one dispatch.
  }];
  let dependentDialects = ["::mlir::axe::AxeDialect", "::mlir::memref::MemRefDialect"];
}

#endif // AXE_LOWERING_PASSES_TD
