//===- FormDispatches.cpp - dispatch formation as a dialect conversion -----===//

#include "lowering/common/KernelBuilder.h"
#include "lowering/common/IrEnums.h"
#include "lowering/common/Lowering.h"

#include "models/WeightTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/DialectConversion.h"

#include "llvm/Support/raw_ostream.h"

#include <map>
#include <optional>

namespace axe {

using namespace mlir;
namespace ir = mlir::axe;

DType artifactDType(Type t) {
  DType d = dtypeOf(t); // the weight table's mapping; artifact buffers hold a subset
  if (!artifactDTypeName(d))
    throw Error(std::string("no artifact dtype for element type ") + dtypeName(d));
  return d;
}

namespace {

// A numeric stride of a view (slices and reshapes need one).
int64_t numericStride(const ViewArg &view, size_t i) {
  if (view.strides[i].isSymbol())
    throw Error("internal: a view with a symbolic stride cannot be sliced or reshaped");
  return view.strides[i].value;
}

bool isTensor(Type t) { return isa<TensorType>(t); }

} // namespace

ViewArg contiguousView(int64_t buffer, const std::vector<SymInt> &shape) {
  ViewArg v;
  v.buffer = buffer;
  v.shape = shape;
  v.strides.assign(shape.size(), SymInt::of(1));
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) {
    const SymInt &inner = shape[i + 1];
    const SymInt &next = v.strides[i + 1];
    if (next.isSymbol() || (inner.isSymbol() && next.value != 1))
      throw Error("internal: a buffer may have one symbolic inner dimension, innermost");
    v.strides[i] = inner.isSymbol() ? inner : SymInt::of(next.value * inner.value);
  }
  return v;
}

Value KernelArgValues::operator[](StringRef name) const {
  for (auto [i, n] : llvm::enumerate(names_))
    if (n == name)
      return values_[i];
  throw Error("internal: a kernel has no argument '" + name.str() + "'");
}

namespace {

// The shape of a step argument or result: its static sizes, and for each dynamic dimension the
// symbol its axe.dims attribute names (the importer sets it; the dialect verifies it).
std::vector<SymInt> stepShape(RankedTensorType type, ArrayAttr dims, const std::string &what) {
  if (!dims)
    throw Error("forward_step " + what + " has no " + std::string(ir::kDimsAttr) +
                " attribute naming the symbols of its dynamic dimensions");
  std::vector<SymInt> shape;
  size_t next = 0;
  for (int64_t d : type.getShape()) {
    if (!ShapedType::isDynamic(d)) {
      shape.push_back(SymInt::of(d));
      continue;
    }
    // The dialect verified that each name is a step symbol (rule step.dims).
    StringRef name = cast<StringAttr>(dims[next++]).getValue();
    shape.push_back(SymInt::of(symbolOf(*ir::symbolizeStepSymbol(name))));
  }
  return shape;
}

// Views of the upstream tensor ops the importer uses to split heads and channels.
ViewArg sliceView(const ViewArg &src, tensor::ExtractSliceOp op) {
  ViewArg v = src;
  for (auto [i, off] : llvm::enumerate(op.getStaticOffsets())) {
    if (ShapedType::isDynamic(off))
      throw Error("tensor.extract_slice with a dynamic offset cannot be lowered");
    v.offset += off == 0 ? 0 : off * numericStride(src, i);
  }
  for (int64_t s : op.getStaticStrides())
    if (s != 1)
      throw Error("tensor.extract_slice with strides cannot be lowered");
  auto t = op.getResultType();
  for (int64_t i = 1; i < t.getRank(); ++i)
    v.shape[i] = SymInt::of(t.getDimSize(i));
  return v;
}

ViewArg expandView(const ViewArg &src, tensor::ExpandShapeOp op) {
  ViewArg v;
  v.buffer = src.buffer;
  v.offset = src.offset;
  auto t = op.getResultType();
  for (auto [srcDim, group] : llvm::enumerate(op.getReassociationIndices())) {
    int64_t stride = numericStride(src, srcDim);
    std::vector<int64_t> strides(group.size());
    for (int i = static_cast<int>(group.size()) - 1; i >= 0; --i) {
      strides[i] = stride;
      if (!ShapedType::isDynamic(t.getDimSize(group[i])))
        stride *= t.getDimSize(group[i]);
    }
    for (auto [i, d] : llvm::enumerate(group)) {
      v.shape.push_back(i == 0 && srcDim == 0 ? src.shape[0] : SymInt::of(t.getDimSize(d)));
      v.strides.push_back(SymInt::of(strides[i]));
    }
  }
  return v;
}

ViewArg collapseView(const ViewArg &src, tensor::CollapseShapeOp op) {
  ViewArg v;
  v.buffer = src.buffer;
  v.offset = src.offset;
  for (auto [i, group] : llvm::enumerate(op.getReassociationIndices())) {
    for (size_t j = 0; j + 1 < group.size(); ++j)
      if (src.shape[group[j + 1]].isSymbol() ||
          numericStride(src, group[j]) != numericStride(src, group[j + 1]) * src.shape[group[j + 1]].value)
        throw Error("tensor.collapse_shape of non-contiguous dimensions needs a copy (unsupported)");
    int64_t size = 1;
    bool symbolic = false;
    for (int64_t d : group) {
      symbolic |= src.shape[d].isSymbol();
      size *= src.shape[d].isSymbol() ? 1 : src.shape[d].value;
    }
    v.shape.push_back(symbolic ? src.shape[group.front()] : SymInt::of(size));
    v.strides.push_back(src.strides[group.back()]);
  }
  return v;
}

} // namespace


namespace {

// Runs one pattern's rewrite; an axe::Error it throws (malformed IR, an internal error) becomes an
// error at the op. Nothing may throw through the conversion driver, which is not built for it.
LogicalResult guarded(Operation *op, function_ref<LogicalResult()> rewrite) {
  try {
    return rewrite();
  } catch (const Error &e) {
    return op->emitOpError() << e.what();
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// DispatchFormation
//===----------------------------------------------------------------------===//

DispatchFormation::DispatchFormation(ModuleOp module, func::FuncOp step, FormationOptions options)
    : ctx_(module.getContext()), options_(options), step_(step) {
  OpBuilder b(ctx_);
  b.setInsertionPoint(step);
  kernels_ = ModuleOp::create(b, module.getLoc(), StringRef(kKernelModuleName));
  b.setInsertionPointToStart(&step.getBody().front());

  for (BlockArgument arg : step.getArguments()) {
    unsigned i = arg.getArgNumber();
    std::string what = "argument #" + std::to_string(i);
    auto name = step.getArgAttrOfType<StringAttr>(i, ir::kNameAttr);
    auto kind = step.getArgAttrOfType<ir::StepValueAttr>(i, ir::kStepValueAttr);
    if (!name || !kind || kind.getValue() == ir::StepValue::output)
      throw Error("forward_step " + what + " needs " + ir::kNameAttr + " and an input or state " +
                  ir::kStepValueAttr);
    auto type = cast<RankedTensorType>(arg.getType());
    std::vector<SymInt> shape = stepShape(type, step.getArgAttrOfType<ArrayAttr>(i, ir::kDimsAttr), what);
    BufferKind buffer = kind.getValue() == ir::StepValue::input ? BufferKind::Input : BufferKind::State;
    arguments_.push_back(newBuffer(b, step.getLoc(), buffer, name.getValue().str(),
                                   artifactDType(type.getElementType()), shape));
  }
  // Weights: one buffer per distinct stored form of a param.
  for (const WeightEntry &w : collectWeights(module)) {
    std::vector<SymInt> shape;
    for (int64_t d : w.desc.shape)
      shape.push_back(SymInt::of(d));
    std::string name = artifactWeightName(w.desc);
    weights_[name] = newBuffer(b, step.getLoc(), BufferKind::Weight, name, w.desc.dtype, shape);
  }
  // The step's output (the logits): its buffer's kind, name and symbols are the step's to say.
  Operation *ret = step.getBody().front().getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    auto kind = step.getResultAttrOfType<ir::StepValueAttr>(i, ir::kStepValueAttr);
    auto name = step.getResultAttrOfType<StringAttr>(i, ir::kNameAttr);
    std::string what = "result #" + std::to_string(i);
    if (kind && name && kind.getValue() == ir::StepValue::output)
      outputs_[v] = {name.getValue().str(),
                     stepShape(cast<RankedTensorType>(v.getType()),
                               step.getResultAttrOfType<ArrayAttr>(i, ir::kDimsAttr), what)};
  }
}

Value DispatchFormation::weightBuffer(ir::ParamOp param) const {
  auto it = weights_.find(artifactWeightName(paramDesc(param)));
  if (it == weights_.end())
    throw Error("internal: a param missing from the weight table");
  return it->second;
}

std::optional<std::pair<std::string, std::vector<SymInt>>> DispatchFormation::outputOf(Value v) const {
  auto it = outputs_.find(v);
  if (it == outputs_.end())
    return std::nullopt;
  return it->second;
}

Value DispatchFormation::symbolValue(OpBuilder &b, const SymInt &v) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&step_.getBody().front());
  Value &value = v.isSymbol() ? symbols_[v.symbol] : constants_[v.value];
  if (!value)
    value = v.isSymbol() ? Value(ir::StepSymbolOp::create(b, step_.getLoc(), b.getIndexType(),
                                                          ir::StepSymbolAttr::get(ctx_, irSymbol(Symbol(v.symbol)))))
                         : Value(arith::ConstantIndexOp::create(b, step_.getLoc(), v.value));
  return value;
}

Value DispatchFormation::newBuffer(OpBuilder &b, Location loc, BufferKind kind, const std::string &name,
                                   DType dtype, const std::vector<SymInt> &shape) {
  int64_t id = bufferCount();
  SmallVector<int64_t> sizes;
  SmallVector<Value> dims;
  for (const SymInt &d : shape) {
    sizes.push_back(d.isSymbol() ? ShapedType::kDynamic : d.value);
    if (d.isSymbol())
      dims.push_back(symbolValue(b, d));
  }
  auto type = MemRefType::get(sizes, elementTypeOf(dtype, ctx_));
  auto buffer = ir::BufferOp::create(b, loc, type, irBufferKind(kind),
                                     name.empty() ? "t" + std::to_string(id) : name, dims);
  ids_[buffer] = id;
  buffers_.push_back(buffer);
  return buffer;
}

Value DispatchFormation::memrefOf(Value v) const {
  if (auto arg = dyn_cast<BlockArgument>(v); arg && arg.getOwner()->getParentOp() == step_)
    return arguments_[arg.getArgNumber()];
  return v;
}

ViewArg DispatchFormation::view(Value v) const {
  v = memrefOf(v);
  if (!isa<MemRefType>(v.getType()))
    throw Error("internal: an operand that dispatch formation has not made a view of");
  return readView(v, [&](ir::BufferOp b) { return ids_.at(b); });
}

Value DispatchFormation::viewValue(OpBuilder &b, Location loc, const ViewArg &view) {
  Value buffer = buffers_[size_t(view.buffer)];
  auto type = cast<MemRefType>(buffer.getType());
  ViewArg whole = contiguousView(view.buffer, bufferShape(buffer.getDefiningOp<ir::BufferOp>()));
  if (view.offset == 0 && view.shape == whole.shape && view.strides == whole.strides)
    return buffer;
  auto mixed = [&](const std::vector<SymInt> &values) {
    SmallVector<OpFoldResult> out;
    for (const SymInt &v : values)
      out.push_back(v.isSymbol() ? OpFoldResult(symbolValue(b, v)) : OpFoldResult(b.getIndexAttr(v.value)));
    return out;
  };
  SmallVector<int64_t> sizes, strides;
  for (const SymInt &d : view.shape)
    sizes.push_back(d.isSymbol() ? ShapedType::kDynamic : d.value);
  for (const SymInt &d : view.strides)
    strides.push_back(d.isSymbol() ? ShapedType::kDynamic : d.value);
  auto viewType = MemRefType::get(sizes, type.getElementType(),
                                  StridedLayoutAttr::get(ctx_, view.offset, strides));
  return memref::ReinterpretCastOp::create(b, loc, viewType, buffer, b.getIndexAttr(view.offset),
                                           mixed(view.shape), mixed(view.strides));
}

MemRefType DispatchFormation::memrefType(RankedTensorType type) const {
  // Every view's innermost stride is 1 (slices keep it, reshapes keep it): static, so kernels
  // can load vectors along it.
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  if (!strides.empty())
    strides.back() = 1;
  auto layout = StridedLayoutAttr::get(ctx_, ShapedType::kDynamic, strides);
  return MemRefType::get(type.getShape(), type.getElementType(), layout);
}

int DispatchFormation::kernel(StringRef op, const std::vector<KernelArg> &args, unsigned numScalars,
                              const KernelBody &body) {
  int index = static_cast<int>(kernelFuncs_.size());
  std::string name = "k" + std::to_string(index) + "_" + op.drop_front(4).str(); // "axe."
  OpBuilder b(ctx_);
  b.setInsertionPointToEnd(kernels_.getBody());
  SmallVector<Type> inputs;
  std::vector<std::string> names;
  for (const KernelArg &a : args) {
    inputs.push_back(a.type);
    names.push_back(a.name);
  }
  for (unsigned i = 0; i < numScalars + 2; ++i)
    inputs.push_back(b.getIndexType());
  auto func = func::FuncOp::create(b, kernels_.getLoc(), name, b.getFunctionType(inputs, {}));
  // The C interface wrapper is the only exported symbol; the body itself stays internal.
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  func->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx_, LLVM::Linkage::Internal));
  func->setAttr(kKernelOfAttr, b.getStringAttr(op));
  for (auto [i, a] : llvm::enumerate(args)) {
    auto buffer = buffers_[size_t(a.view.buffer)].getDefiningOp<ir::BufferOp>();
    if (options_.weightsHoldNoNaNCodes && buffer.getKind() == ir::BufferKind::weight &&
        isa<Float8E4M3FNType>(a.type.getElementType()))
      func.setArgAttr(unsigned(i), kNoNaNCodesAttr, b.getUnitAttr());
  }
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  KernelBuilder kb(b, func);
  ArrayRef<BlockArgument> all = entry->getArguments();
  SmallVector<Value> views(all.take_front(args.size()));
  SmallVector<Value> scalars(all.slice(args.size(), numScalars));
  try {
    body(kb, KernelArgValues(names, views), scalars, all[args.size() + numScalars],
         all[args.size() + numScalars + 1]);
  } catch (...) {
    func.erase(); // no half-built kernel is left in @kernels
    throw;
  }
  func::ReturnOp::create(b, func.getLoc());

  std::vector<int> &sameType = kernelsByType_[func.getFunctionType()];
  for (int other : sameType) {
    func::FuncOp earlier = kernelFuncs_[size_t(other)];
    if (earlier->getAttrOfType<StringAttr>(kKernelOfAttr).getValue() == op &&
        OperationEquivalence::isRegionEquivalentTo(&earlier.getBody(), &func.getBody(),
                                                   OperationEquivalence::IgnoreLocations)) {
      func.erase();
      return other;
    }
  }
  kernelFuncs_.push_back(func);
  sameType.push_back(index);
  return index;
}

LogicalResult DispatchFormation::lowerOp(Operation *op, ValueRange operands,
                                         ConversionPatternRewriter &rewriter,
                                         function_ref<LogicalResult(Lowering &)> lower) {
  return guarded(op, [&]() -> LogicalResult {
    Lowering lowering(*this, rewriter, op, operands);
    // State updated in place (the dialect verified that nothing reads the old value after the
    // update): the new value lives in the old one's buffer.
    if (auto update = dyn_cast<ir::StateUpdateOpInterface>(op))
      for (auto [operand, result] : update.getStateUpdates())
        lowering.alias(result, memrefOf(operands[operand]));
    if (failed(lower(lowering)))
      return failure();
    rewriter.replaceOp(op, lowering.replacements());
    return success();
  });
}

//===----------------------------------------------------------------------===//
// Lowering
//===----------------------------------------------------------------------===//

Lowering::Lowering(DispatchFormation &formation, ConversionPatternRewriter &rewriter, Operation *op,
                   ValueRange operands)
    : formation_(formation), rewriter_(rewriter), op_(op), operands_(operands.begin(), operands.end()) {}

ViewArg Lowering::view(Value v) const {
  for (OpOperand &operand : op_->getOpOperands())
    if (operand.get() == v)
      return formation_.view(operands_[operand.getOperandNumber()]);
  throw Error("internal: a lowering asked for the view of a value that is not an operand");
}

std::vector<SymInt> Lowering::shapeOf(RankedTensorType t) const {
  std::optional<SymInt> dim0;
  for (Value operand : op_->getOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (type && type.getRank() > 0 && type.isDynamicDim(0)) {
      dim0 = view(operand).shape[0];
      break;
    }
  }
  std::vector<SymInt> shape;
  for (auto [i, d] : llvm::enumerate(t.getShape())) {
    if (!ShapedType::isDynamic(d)) {
      shape.push_back(SymInt::of(d));
      continue;
    }
    if (i != 0 || !dim0 || !dim0->isSymbol())
      throw Error("a result has a dynamic dimension that no operand's first dimension sizes");
    shape.push_back(*dim0);
  }
  return shape;
}

ViewArg Lowering::result(Value v) {
  auto result = cast<OpResult>(v);
  auto t = cast<RankedTensorType>(v.getType());
  auto output = formation_.outputOf(v);
  std::vector<SymInt> shape = output ? output->second : shapeOf(t);
  Value buffer = formation_.newBuffer(rewriter_, op_->getLoc(), output ? BufferKind::Output : BufferKind::Temp,
                                      output ? output->first : "", artifactDType(t.getElementType()), shape);
  results_[result.getResultNumber()] = buffer;
  return formation_.view(buffer);
}

ViewArg Lowering::temp(RankedTensorType type, const std::string &name) {
  std::vector<SymInt> shape = shapeOf(type);
  Value buffer = formation_.newBuffer(rewriter_, op_->getLoc(), BufferKind::Temp,
                                      name + std::to_string(formation_.bufferCount()),
                                      artifactDType(type.getElementType()), shape);
  return formation_.view(buffer);
}

void Lowering::dispatch(int kernel, const std::vector<KernelArg> &args, const std::vector<SymInt> &scalars,
                        SymInt workgroups) {
  SmallVector<Value> views, scalarValues;
  for (const KernelArg &a : args) {
    const ViewArg &v = a.view;
    if (!v.strides.empty() && (v.strides.back().isSymbol() || v.strides.back().value != 1))
      throw Error("internal: a kernel view whose innermost stride is not 1");
    views.push_back(formation_.viewValue(rewriter_, op_->getLoc(), v));
  }
  for (const SymInt &v : scalars)
    scalarValues.push_back(formation_.symbolValue(rewriter_, v));
  auto name = FlatSymbolRefAttr::get(context(), formation_.kernelName(kernel));
  ir::DispatchOp::create(rewriter_, op_->getLoc(), SymbolRefAttr::get(context(), kKernelModuleName, {name}),
                         views, scalarValues, formation_.symbolValue(rewriter_, workgroups));
}

SmallVector<Value> Lowering::replacements() const {
  SmallVector<Value> values;
  for (unsigned i = 0; i < op_->getNumResults(); ++i) {
    auto it = results_.find(i);
    if (it == results_.end())
      throw Error("internal: the lowering made no buffer for result #" + std::to_string(i));
    values.push_back(it->second);
  }
  return values;
}

namespace {

//===----------------------------------------------------------------------===//
// The patterns every target shares: params, tensor reshapes, sizes, the return
//===----------------------------------------------------------------------===//

// A param becomes its weight's buffer.
struct ParamToWeight : OpConversionPattern<ir::ParamOp> {
  ParamToWeight(DispatchFormation &f) : OpConversionPattern(f.context()), f(f) {}
  LogicalResult matchAndRewrite(ir::ParamOp op, OpAdaptor, ConversionPatternRewriter &rewriter) const override {
    return guarded(op, [&] {
      rewriter.replaceOp(op, f.weightBuffer(op));
      return success();
    });
  }
  DispatchFormation &f;
};

// The tensor ops that split heads and channels become views of the same buffer.
template <typename OpT, ViewArg (*Reshape)(const ViewArg &, OpT)>
struct ReshapeToView : OpConversionPattern<OpT> {
  ReshapeToView(DispatchFormation &f) : OpConversionPattern<OpT>(f.context()), f(f) {}
  LogicalResult matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    return guarded(op, [&] {
      ViewArg v = Reshape(f.view(adaptor.getOperands()[0]), op);
      rewriter.replaceOp(op, f.viewValue(rewriter, op.getLoc(), v));
      return success();
    });
  }
  DispatchFormation &f;
};

// A size of a tensor is a symbol of the step (or a constant).
struct DimToSymbol : OpConversionPattern<tensor::DimOp> {
  DimToSymbol(DispatchFormation &f) : OpConversionPattern(f.context()), f(f) {}
  LogicalResult matchAndRewrite(tensor::DimOp op, OpAdaptor adaptor, ConversionPatternRewriter &rewriter) const override {
    std::optional<int64_t> index = op.getConstantIndex();
    if (!index)
      return op.emitOpError("with a dynamic index cannot be lowered");
    return guarded(op, [&]() -> LogicalResult {
      std::vector<SymInt> shape = f.view(adaptor.getSource()).shape;
      if (*index < 0 || size_t(*index) >= shape.size())
        return op.emitOpError() << "index " << *index << " is out of range for rank " << shape.size();
      rewriter.replaceOp(op, f.symbolValue(rewriter, shape[size_t(*index)]));
      return success();
    });
  }
  DispatchFormation &f;
};

// The step returns the logits and its states, which kernels updated in place: each state result
// must be the value that ends up in the buffer of the argument it names. The return then returns
// nothing; the buffers are the step's interface.
struct ReturnBuffers : OpConversionPattern<func::ReturnOp> {
  ReturnBuffers(DispatchFormation &f) : OpConversionPattern(f.context()), f(f) {}
  LogicalResult matchAndRewrite(func::ReturnOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    func::FuncOp step = f.step();
    for (auto [i, v] : llvm::enumerate(adaptor.getOperands())) {
      auto kind = step.getResultAttrOfType<ir::StepValueAttr>(i, ir::kStepValueAttr);
      auto name = step.getResultAttrOfType<StringAttr>(i, ir::kNameAttr);
      if (!kind || !name)
        return op.emitOpError() << "forward_step result #" << i << " needs " << ir::kNameAttr << " and "
                                << ir::kStepValueAttr;
      auto buffer = ir::BufferOp::ofView(f.memrefOf(v));
      if (!buffer)
        return op.emitOpError() << "internal: result #" << i << " is not a buffer";
      if (kind.getValue() == ir::StepValue::output) {
        if (buffer.getKind() != ir::BufferKind::output)
          return op.emitOpError() << "forward_step result #" << i << " is the step's output, but no op "
                                  << "computes it (it is buffer '" << buffer.getName() << "')";
      } else if (buffer.getKind() != ir::BufferKind::state || buffer.getName() != name.getValue()) {
        return op.emitOpError() << "forward_step result #" << i << " ('" << name.getValue()
                                << "') is not its state updated in place (it is in buffer '"
                                << buffer.getName() << "')";
      }
    }
    rewriter.replaceOpWithNewOp<func::ReturnOp>(op);
    return success();
  }
  DispatchFormation &f;
};

} // namespace

LogicalResult formDispatches(ModuleOp module, const PopulateDispatchPatterns &populate,
                             FormationOptions options) {
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<arith::ArithDialect, math::MathDialect, memref::MemRefDialect,
                   scf::SCFDialect, func::FuncDialect, LLVM::LLVMDialect, vector::VectorDialect>();
  auto step = module.lookupSymbol<func::FuncOp>(kStepFunctionName);
  if (!step)
    return module.emitError("the module has no forward_step function to lower");

  std::optional<DispatchFormation> formation;
  try {
    formation.emplace(module, step, options);
  } catch (const Error &e) {
    return step.emitOpError() << e.what();
  }
  RewritePatternSet patterns(ctx);
  patterns.add<ParamToWeight, DimToSymbol, ReturnBuffers,
               ReshapeToView<tensor::ExtractSliceOp, sliceView>,
               ReshapeToView<tensor::ExpandShapeOp, expandView>,
               ReshapeToView<tensor::CollapseShapeOp, collapseView>>(*formation);
  populate(patterns, *formation);

  // After the conversion the step holds buffers, views, symbols and dispatches, and returns
  // nothing; anything else (an axe op, a tensor op, arith on tensors) is an op no pattern lowers.
  ConversionTarget target(*ctx);
  target.addLegalOp<ir::BufferOp, ir::DispatchOp, ir::StepSymbolOp, memref::ReinterpretCastOp, func::FuncOp>();
  target.addDynamicallyLegalOp<func::ReturnOp>([](func::ReturnOp op) { return op.getNumOperands() == 0; });
  target.addDynamicallyLegalDialect<arith::ArithDialect>([](Operation *op) {
    return llvm::none_of(op->getOperandTypes(), isTensor) && llvm::none_of(op->getResultTypes(), isTensor);
  });
  target.markUnknownOpDynamicallyLegal([](Operation *) { return false; });
  // Rollback mode (MLIR's default, said here because the patterns rely on it): replaced ops stay
  // in place until the end, so a lowering still reads its op's original operands and types.
  // There is one pattern per op and the first failure ends the conversion, so nothing reads the
  // formation's caches of values after a rolled-back pattern.
  ConversionConfig config;
  config.allowPatternRollback = true;
  if (failed(applyFullConversion(step, target, std::move(patterns), config)))
    return failure();

  // The buffers are the step's interface now: no arguments, no results.
  Block &body = step.getBody().front();
  body.eraseArguments(0, body.getNumArguments());
  step.setFunctionType(FunctionType::get(ctx, {}, {}));
  step.removeArgAttrsAttr();
  step.removeResAttrsAttr();
  // Views made for reshapes that dispatches re-made, sizes nothing uses any more: whatever is
  // dead but a buffer (an unused input or weight is still part of the step's interface).
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (!isa<ir::BufferOp>(op) && isOpTriviallyDead(&op))
      op.erase();
  if (failed(verify(module)))
    return module.emitError("internal: dispatch formation built an invalid step program");
  return success();
}

} // namespace axe
