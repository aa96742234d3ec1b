//===- AxeStepProgramOps.cpp - verifiers of the dispatch-level ops ---------===//

#include "dialects/axe/AxeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::axe;

LogicalResult BufferOp::verify() {
  auto type = getResult().getType();
  if (!type.getLayout().isIdentity())
    return emitOpError("rule 'buffer.layout': a buffer is contiguous (identity layout), not ") << type;
  if (int64_t(getDims().size()) != type.getNumDynamicDims())
    return emitOpError("rule 'buffer.dims': ")
           << getDims().size() << " size operands for the " << type.getNumDynamicDims()
           << " dynamic dimensions of " << type;
  for (Value d : getDims())
    if (!d.getDefiningOp<StepSymbolOp>())
      return emitOpError("rule 'buffer.dims': a dynamic dimension is sized by an axe.step_symbol");
  return success();
}

BufferOp BufferOp::ofView(Value view) {
  if (auto cast = view.getDefiningOp<memref::ReinterpretCastOp>())
    view = cast.getSource();
  return view.getDefiningOp<BufferOp>();
}

LogicalResult DispatchOp::verify() {
  for (auto [i, view] : llvm::enumerate(getViews())) {
    auto cast = view.getDefiningOp<memref::ReinterpretCastOp>();
    if (cast && !cast.getOffsets().empty())
      return emitOpError("rule 'dispatch.view': view #") << i << " has a dynamic offset";
    if (!BufferOp::ofView(view))
      return emitOpError("rule 'dispatch.view': view #")
             << i << " is neither an axe.buffer nor a memref.reinterpret_cast of one";
  }
  auto isSize = [](Value v) { return v.getDefiningOp<StepSymbolOp>() || v.getDefiningOp<arith::ConstantIndexOp>(); };
  for (Value v : getScalars())
    if (!isSize(v))
      return emitOpError("rule 'dispatch.size': a scalar is neither an arith.constant nor an axe.step_symbol");
  if (!isSize(getWorkgroups()))
    return emitOpError("rule 'dispatch.size': the workgroup count is neither an arith.constant nor an axe.step_symbol");
  return success();
}

LogicalResult DispatchOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto kernel = symbols.lookupNearestSymbolFrom<func::FuncOp>(*this, getKernelAttr());
  if (!kernel)
    return emitOpError("rule 'dispatch.kernel': no kernel function ") << getKernelAttr();
  ArrayRef<Type> inputs = kernel.getFunctionType().getInputs();
  size_t views = getViews().size(), scalars = getScalars().size();
  if (inputs.size() != views + scalars + 2 || kernel.getFunctionType().getNumResults() != 0)
    return emitOpError("rule 'dispatch.kernel': ")
           << getKernelAttr() << " has type " << kernel.getFunctionType() << ", not " << views
           << " views, " << scalars << " scalars and the workgroup range";
  for (size_t i = 0; i < views; ++i) {
    auto view = cast<MemRefType>(getViews()[i].getType());
    auto arg = dyn_cast<MemRefType>(inputs[i]);
    bool sizesMatch = arg && arg.getRank() == view.getRank();
    for (int64_t d = 0; sizesMatch && d < view.getRank(); ++d)
      sizesMatch = ShapedType::isDynamic(arg.getDimSize(d)) || arg.getDimSize(d) == view.getDimSize(d);
    // The kernel's code assumes its argument's static strides and offset (a unit innermost
    // stride, for vector loads); a view must have them.
    bool layoutMatches = false;
    if (sizesMatch) {
      auto [argStrides, argOffset] = arg.getStridesAndOffset();
      auto [viewStrides, viewOffset] = view.getStridesAndOffset();
      layoutMatches = ShapedType::isDynamic(argOffset) || argOffset == viewOffset;
      for (size_t d = 0; d < argStrides.size(); ++d)
        layoutMatches &= ShapedType::isDynamic(argStrides[d]) || argStrides[d] == viewStrides[d];
    }
    if (!sizesMatch || !layoutMatches || view.getElementType() != arg.getElementType())
      return emitOpError("rule 'dispatch.view': view #")
             << i << " of type " << view << " does not fit argument " << inputs[i] << " of "
             << getKernelAttr();
  }
  for (size_t i = views; i < inputs.size(); ++i)
    if (!inputs[i].isIndex())
      return emitOpError("rule 'dispatch.kernel': argument #")
             << i << " of " << getKernelAttr() << " is " << inputs[i] << ", not an index";
  return success();
}
