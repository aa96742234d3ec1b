//===- AxeDialect.h - the axe dialect -------------------------*- C++ -*-===//
#ifndef AXE_DIALECT_AXEDIALECT_H
#define AXE_DIALECT_AXEDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "dialects/axe/AxeDialect.h.inc"

namespace mlir::axe {
// Discardable attributes of a weight-owning op that record its precision decision
// (axe-assign-precision): a PrecisionAttr, and the rule that decided (a string).
inline constexpr const char *kPrecisionAttr = "axe.precision";
inline constexpr const char *kPrecisionRuleAttr = "axe.precision_rule";
// Names the arguments and results of the step function.
inline constexpr const char *kNameAttr = "axe.name";
// What each argument and result of the step function is (a StepValueAttr), and the symbol of each
// of its dynamic dimensions (an array of "T" | "S" | "R" | "MB" | "NB" | "P"; rule 'step.dims').
inline constexpr const char *kStepValueAttr = "axe.step_value";
inline constexpr const char *kDimsAttr = "axe.dims";

// The location of every op the importer writes for decoder layer `layer`: named "layers.N" (in
// diagnostics) and carrying the index itself, which passes read with layerOf().
Location layerLoc(MLIRContext *ctx, int64_t layer);
// The decoder layer an op belongs to, if it is in one.
std::optional<int64_t> layerOf(Operation *op);
} // namespace mlir::axe

#endif // AXE_DIALECT_AXEDIALECT_H
