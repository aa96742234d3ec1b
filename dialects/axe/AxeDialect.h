//===- AxeDialect.h - the axe dialect -------------------------*- C++ -*-===//
#ifndef AXE_DIALECT_AXEDIALECT_H
#define AXE_DIALECT_AXEDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "dialects/axe/AxeDialect.h.inc"

#endif // AXE_DIALECT_AXEDIALECT_H
