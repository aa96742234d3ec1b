//===- AxeDialect.cpp - registration of the axe dialect -------------------===//
#include "dialects/axe/AxeDialect.h"
#include "dialects/axe/AxeOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::axe;

#include "dialects/axe/AxeDialect.cpp.inc"
#include "dialects/axe/AxeEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/axe/AxeAttrs.cpp.inc"

namespace {

// axe.step_value must be a StepValueAttr; axe.dims names one known symbol per dynamic dimension.
LogicalResult verifyStepAttr(Operation *op, Type type, NamedAttribute attr, StringRef what) {
  if (attr.getName() == kStepValueAttr && !isa<StepValueAttr>(attr.getValue()))
    return op->emitError("rule 'step.value': ") << what << " has " << kStepValueAttr
                                                << " that is not a #axe.step_value";
  if (attr.getName() != kDimsAttr)
    return success();
  auto dims = dyn_cast<ArrayAttr>(attr.getValue());
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!dims || !tensor)
    return op->emitError("rule 'step.dims': ") << what << " needs a ranked tensor type and an array of symbols";
  int64_t dynamic = llvm::count_if(tensor.getShape(), ShapedType::isDynamic);
  if (int64_t(dims.size()) != dynamic)
    return op->emitError("rule 'step.dims': ")
           << what << " has " << dims.size() << " symbols for " << dynamic
           << " dynamic dimensions of " << tensor;
  for (Attribute d : dims) {
    auto name = dyn_cast<StringAttr>(d);
    if (!name || !symbolizeStepSymbol(name.getValue()))
      return op->emitError("rule 'step.dims': ")
             << what << ": " << d << " is not a symbol of the step (T, S, R, MB, NB, P)";
  }
  return success();
}

} // namespace

LogicalResult AxeDialect::verifyRegionArgAttribute(Operation *op, unsigned region, unsigned index,
                                                   NamedAttribute attr) {
  Type type = op->getRegion(region).empty() ? Type()
                                            : op->getRegion(region).getArgument(index).getType();
  return verifyStepAttr(op, type, attr, "argument #" + std::to_string(index));
}

LogicalResult AxeDialect::verifyRegionResultAttribute(Operation *op, unsigned region,
                                                      unsigned index, NamedAttribute attr) {
  Type type;
  if (auto fn = dyn_cast<FunctionOpInterface>(op))
    type = fn.getResultTypes()[index];
  return verifyStepAttr(op, type, attr, "result #" + std::to_string(index));
}

Location mlir::axe::layerLoc(MLIRContext *ctx, int64_t layer) {
  Builder b(ctx);
  return FusedLoc::get(ctx, {NameLoc::get(b.getStringAttr("layers." + std::to_string(layer)))},
                       b.getI64IntegerAttr(layer));
}

std::optional<int64_t> mlir::axe::layerOf(Operation *op) {
  if (auto fused = dyn_cast<FusedLoc>(op->getLoc()))
    if (auto index = dyn_cast_or_null<IntegerAttr>(fused.getMetadata()))
      return index.getInt();
  return std::nullopt;
}

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
