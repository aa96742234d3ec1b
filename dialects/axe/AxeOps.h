//===- AxeOps.h - ops of the axe dialect ----------------------*- C++ -*-===//
#ifndef AXE_DIALECT_AXEOPS_H
#define AXE_DIALECT_AXEOPS_H

#include "dialects/axe/AxeAttrs.h"
#include "dialects/axe/AxeDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::axe {
// The verifier of StateUpdateOpInterface (AxeInterfaces.td): state.used_after_update and
// state.updated_twice.
LogicalResult verifyStateUpdate(Operation *op);
} // namespace mlir::axe

#include "dialects/axe/AxeInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/axe/AxeOps.h.inc"

#endif // AXE_DIALECT_AXEOPS_H
