//===- PrecisionReport.h - what the precision map did ---------*- C++ -*-===//
//
// Per weight: name, role, shape, precision, bytes and the rule that decided; totals by precision;
// size against an all-BF16 model; KV-cache bytes per token (BF16 and FP8) and recurrent-state
// bytes per sequence. Markdown for people, JSON for tools.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_MODELS_PRECISIONREPORT_H
#define AXE_MODELS_PRECISIONREPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace axe {

// `module` has been through the precision passes; `format` is "md" or "json".
void printPrecisionReport(mlir::ModuleOp module, const std::string &policyName,
                          const std::string &format, llvm::raw_ostream &os);

} // namespace axe

#endif // AXE_MODELS_PRECISIONREPORT_H
