//===- AxeDialect.cpp - registration of the axe dialect -------------------===//
#include "dialects/axe/AxeDialect.h"
#include "dialects/axe/AxeOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::axe;

#include "dialects/axe/AxeDialect.cpp.inc"
#include "dialects/axe/AxeEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/axe/AxeAttrs.cpp.inc"

void AxeDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/axe/AxeAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/axe/AxeOps.cpp.inc"
      >();
}
