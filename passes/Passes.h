//===- Passes.h - axe passes ----------------------------------*- C++ -*-===//
#ifndef AXE_PASSES_PASSES_H
#define AXE_PASSES_PASSES_H

#include "dialects/axe/AxeOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::axe {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::axe

#endif // AXE_PASSES_PASSES_H
