//===- AxeAttrs.h - attributes of the axe dialect -------------*- C++ -*-===//
#ifndef AXE_DIALECT_AXEATTRS_H
#define AXE_DIALECT_AXEATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "dialects/axe/AxeEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/axe/AxeAttrs.h.inc"

#endif // AXE_DIALECT_AXEATTRS_H
