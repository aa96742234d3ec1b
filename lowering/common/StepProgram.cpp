//===- StepProgram.cpp - dispatch formation -------------------------------===//

#include "lowering/common/KernelBuilder.h"
#include "lowering/common/IrEnums.h"
#include "lowering/common/Lowering.h"

#include "dialects/axe/AxeOps.h"
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

Lowering::Lowering(MLIRContext *ctx) : ctx_(ctx), builder_(ctx), loc_(UnknownLoc::get(ctx)) {
  Location loc = loc_;
  module_ = ModuleOp::create(loc);
  builder_.setInsertionPointToEnd(module_->getBody());
  kernels_ = ModuleOp::create(builder_, loc, StringRef(kKernelModuleName));
  step_ = func::FuncOp::create(builder_, loc, kStepFunctionName, builder_.getFunctionType({}, {}));
  builder_.setInsertionPointToStart(step_.addEntryBlock());
}

OwningOpRef<ModuleOp> Lowering::takeModule() {
  func::ReturnOp::create(builder_, step_.getLoc());
  return std::move(module_);
}

const ViewArg &Lowering::view(Value v) const {
  auto it = views_.find(v.getAsOpaquePointer());
  if (it == views_.end()) {
    std::string s;
    llvm::raw_string_ostream os(s);
    v.print(os);
    throw Error("internal: no buffer for value " + s);
  }
  return it->second;
}

Value Lowering::symbolValue(const SymInt &v) {
  OpBuilder::InsertionGuard guard(builder_);
  builder_.setInsertionPointToStart(&step_.getBody().front());
  if (v.isSymbol()) {
    Value &value = symbols_[v.symbol];
    if (!value)
      value = ir::StepSymbolOp::create(builder_, step_.getLoc(), builder_.getIndexType(),
                                       ir::StepSymbolAttr::get(ctx_, irSymbol(Symbol(v.symbol))));
    return value;
  }
  Value &value = constants_[v.value];
  if (!value)
    value = arith::ConstantIndexOp::create(builder_, step_.getLoc(), v.value);
  return value;
}

int Lowering::newBuffer(BufferKind kind, const std::string &name, DType dtype,
                       std::vector<SymInt> shape) {
  int id = static_cast<int>(buffers_.size());
  SmallVector<int64_t> sizes;
  SmallVector<Value> dims;
  for (const SymInt &d : shape) {
    sizes.push_back(d.isSymbol() ? ShapedType::kDynamic : d.value);
    if (d.isSymbol())
      dims.push_back(symbolValue(d));
  }
  auto type = MemRefType::get(sizes, elementTypeOf(dtype, ctx_));
  std::string bufferName = name.empty() ? "t" + std::to_string(id) : name;
  buffers_.push_back(ir::BufferOp::create(builder_, loc_, type, irBufferKind(kind),
                                          bufferName, dims));
  bufferShapes_.push_back(std::move(shape));
  return id;
}

BufferKind Lowering::bufferKind(int id) const {
  return bufferKindOf(buffers_[size_t(id)].getDefiningOp<ir::BufferOp>().getKind());
}

std::string Lowering::bufferName(int id) const {
  return buffers_[size_t(id)].getDefiningOp<ir::BufferOp>().getName().str();
}

std::vector<SymInt> Lowering::shapeOf(RankedTensorType t) const {
  std::optional<SymInt> dim0;
  for (Value operand : op_->getOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (type && type.getRank() > 0 && type.isDynamicDim(0) && hasView(operand)) {
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
      throw Error("a result of " + op_->getName().getStringRef().str() +
                  " has a dynamic dimension that no operand's first dimension sizes");
    shape.push_back(*dim0);
  }
  return shape;
}

const ViewArg &Lowering::result(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  auto output = outputs_.find(v.getAsOpaquePointer());
  BufferKind kind = output == outputs_.end() ? BufferKind::Temp : BufferKind::Output;
  std::vector<SymInt> shape = kind == BufferKind::Output ? output->second.second : shapeOf(t);
  int id = newBuffer(kind, kind == BufferKind::Output ? output->second.first : "",
                     artifactDType(t.getElementType()), shape);
  setView(v, contiguousView(id, shape));
  return view(v);
}

ViewArg Lowering::temp(RankedTensorType type, const std::string &name) {
  std::vector<SymInt> shape = shapeOf(type);
  int id = newBuffer(BufferKind::Temp, name + std::to_string(buffers_.size()),
                     artifactDType(type.getElementType()), shape);
  return contiguousView(id, shape);
}

MemRefType Lowering::memrefType(RankedTensorType type) const {
  // Every view's innermost stride is 1 (slices keep it, reshapes keep it): static, so kernels
  // can load vectors along it.
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  if (!strides.empty())
    strides.back() = 1;
  auto layout = StridedLayoutAttr::get(ctx_, ShapedType::kDynamic, strides);
  return MemRefType::get(type.getShape(), type.getElementType(), layout);
}

int Lowering::kernel(StringRef op, ArrayRef<Type> argTypes, unsigned numScalars,
                     const KernelBody &body) {
  int index = static_cast<int>(kernelNames_.size());
  std::string name = "k" + std::to_string(index) + "_" + op.drop_front(4).str(); // "axe."
  OpBuilder b(ctx_);
  b.setInsertionPointToEnd(kernels_.getBody());
  SmallVector<Type> inputs(argTypes.begin(), argTypes.end());
  for (unsigned i = 0; i < numScalars + 2; ++i)
    inputs.push_back(b.getIndexType());
  auto func = func::FuncOp::create(b, kernels_.getLoc(), name, b.getFunctionType(inputs, {}));
  // The C interface wrapper is the only exported symbol; the body itself stays internal.
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  func->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx_, LLVM::Linkage::Internal));
  func->setAttr(kKernelOfAttr, b.getStringAttr(op));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  KernelBuilder kb(b, func);
  SmallVector<Value> args(entry->getArguments().begin(), entry->getArguments().end());
  ArrayRef<Value> all(args);
  body(kb, all.take_front(argTypes.size()), all.slice(argTypes.size(), numScalars),
       all[argTypes.size() + numScalars], all[argTypes.size() + numScalars + 1]);
  func::ReturnOp::create(b, func.getLoc());

  std::vector<int> &sameType = kernelsByType_[func.getFunctionType().getAsOpaquePointer()];
  for (int other : sameType) {
    auto earlier = kernels_.lookupSymbol<func::FuncOp>(kernelNames_[size_t(other)].first);
    if (kernelNames_[size_t(other)].second == op &&
        OperationEquivalence::isRegionEquivalentTo(&earlier.getBody(), &func.getBody(),
                                                   OperationEquivalence::IgnoreLocations)) {
      func.erase();
      return other;
    }
  }
  kernelNames_.emplace_back(name, op.str());
  sameType.push_back(index);
  return index;
}

Value Lowering::viewValue(const ViewArg &view) {
  Value buffer = buffers_[size_t(view.buffer)];
  auto type = cast<MemRefType>(buffer.getType());
  ViewArg whole = contiguousView(view.buffer, bufferShapes_[size_t(view.buffer)]);
  if (view.offset == 0 && view.shape.size() == whole.shape.size() &&
      llvm::all_of(llvm::seq<size_t>(0, view.shape.size()), [&](size_t i) {
        return view.shape[i] == whole.shape[i] && view.strides[i] == whole.strides[i];
      }))
    return buffer;
  auto mixed = [&](const std::vector<SymInt> &values) {
    SmallVector<OpFoldResult> out;
    for (const SymInt &v : values)
      out.push_back(v.isSymbol() ? OpFoldResult(symbolValue(v)) : OpFoldResult(builder_.getIndexAttr(v.value)));
    return out;
  };
  SmallVector<int64_t> sizes, strides;
  for (const SymInt &d : view.shape)
    sizes.push_back(d.isSymbol() ? ShapedType::kDynamic : d.value);
  for (const SymInt &d : view.strides)
    strides.push_back(d.isSymbol() ? ShapedType::kDynamic : d.value);
  auto viewType = MemRefType::get(sizes, type.getElementType(),
                                  StridedLayoutAttr::get(ctx_, view.offset, strides));
  return memref::ReinterpretCastOp::create(builder_, loc_, viewType, buffer,
                                           builder_.getIndexAttr(view.offset), mixed(view.shape),
                                           mixed(view.strides));
}

void Lowering::dispatch(int kernel, std::vector<ViewArg> args, std::vector<SymInt> scalars,
                        SymInt workgroups) {
  for (const ViewArg &v : args)
    if (!v.strides.empty() && (v.strides.back().isSymbol() || v.strides.back().value != 1))
      throw Error("internal: a kernel view whose innermost stride is not 1");
  SmallVector<Value> views, scalarValues;
  for (const ViewArg &v : args)
    views.push_back(viewValue(v));
  for (const SymInt &v : scalars)
    scalarValues.push_back(symbolValue(v));
  auto name = FlatSymbolRefAttr::get(ctx_, kernelNames_[size_t(kernel)].first);
  ir::DispatchOp::create(builder_, loc_,
                         SymbolRefAttr::get(ctx_, kKernelModuleName, {name}), views, scalarValues,
                         symbolValue(workgroups));
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

OwningOpRef<ModuleOp> formDispatches(ModuleOp module, const OpLowering &lowerOp) {
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<arith::ArithDialect, math::MathDialect, memref::MemRefDialect,
                   scf::SCFDialect, func::FuncDialect, LLVM::LLVMDialect, vector::VectorDialect>();
  Lowering lowering(ctx);

  auto func = module.lookupSymbol<func::FuncOp>(kStepFunctionName);
  if (!func)
    throw Error("the module has no forward_step function to lower");

  for (BlockArgument arg : func.getArguments()) {
    unsigned i = arg.getArgNumber();
    std::string what = "argument #" + std::to_string(i);
    auto name = func.getArgAttrOfType<StringAttr>(i, ir::kNameAttr);
    auto kind = func.getArgAttrOfType<ir::StepValueAttr>(i, ir::kStepValueAttr);
    if (!name || !kind || kind.getValue() == ir::StepValue::output)
      throw Error("forward_step " + what + " needs " + ir::kNameAttr + " and an input or state " +
                  ir::kStepValueAttr);
    auto type = cast<RankedTensorType>(arg.getType());
    std::vector<SymInt> shape = stepShape(type, func.getArgAttrOfType<ArrayAttr>(i, ir::kDimsAttr), what);
    BufferKind buffer = kind.getValue() == ir::StepValue::input ? BufferKind::Input : BufferKind::State;
    int id = lowering.newBuffer(buffer, name.getValue().str(), artifactDType(type.getElementType()), shape);
    lowering.setView(arg, contiguousView(id, shape));
  }

  // Weights: one buffer per distinct stored form of a param.
  std::map<std::string, int> weightBuffers;
  for (const WeightEntry &w : collectWeights(module)) {
    std::vector<SymInt> shape;
    for (int64_t d : w.desc.shape)
      shape.push_back(SymInt::of(d));
    int id = lowering.newBuffer(BufferKind::Weight, artifactWeightName(w.desc), w.desc.dtype, shape);
    weightBuffers[artifactWeightName(w.desc)] = id;
  }

  // The step's output (the logits): its buffer's kind, name and symbols are the step's to say.
  Operation *ret = func.getBody().front().getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    auto kind = func.getResultAttrOfType<ir::StepValueAttr>(i, ir::kStepValueAttr);
    auto name = func.getResultAttrOfType<StringAttr>(i, ir::kNameAttr);
    std::string what = "result #" + std::to_string(i);
    if (kind && name && kind.getValue() == ir::StepValue::output)
      lowering.declareOutput(v, name.getValue().str(),
                             stepShape(cast<RankedTensorType>(v.getType()),
                                       func.getResultAttrOfType<ArrayAttr>(i, ir::kDimsAttr), what));
  }
  for (Operation &op : func.getBody().front()) {
    if (&op == ret)
      break;
    if (auto p = dyn_cast<ir::ParamOp>(op)) {
      int id = weightBuffers.at(artifactWeightName(paramDesc(p)));
      lowering.setView(p.getResult(), contiguousView(id, lowering.bufferShape(id)));
      continue;
    }
    if (isa<arith::ConstantOp, tensor::DimOp>(op))
      continue; // sizes are symbols of the step, not values
    if (auto s = dyn_cast<tensor::ExtractSliceOp>(op)) {
      lowering.setView(s.getResult(), sliceView(lowering.view(s.getSource()), s));
      continue;
    }
    if (auto e = dyn_cast<tensor::ExpandShapeOp>(op)) {
      lowering.setView(e.getResult(), expandView(lowering.view(e.getSrc()), e));
      continue;
    }
    if (auto c = dyn_cast<tensor::CollapseShapeOp>(op)) {
      lowering.setView(c.getResult(), collapseView(lowering.view(c.getSrc()), c));
      continue;
    }
    // State updated in place (the dialect verified that nothing reads the old value after the
    // update): the new value lives in the old one's buffer.
    if (auto update = dyn_cast<ir::StateUpdateOpInterface>(op))
      for (auto [operand, result] : update.getStateUpdates())
        lowering.alias(op.getResult(result), op.getOperand(operand));
    lowering.beginOp(&op); // its buffers, views and dispatches carry the op's location
    if (failed(lowerOp(&op, lowering))) {
      op.emitOpError("has no lowering for this target");
      return nullptr;
    }
  }
  // The step returns the logits and its states, which kernels updated in place: each state result
  // must be the value that ends up in the buffer of the argument it names.
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    const ViewArg &out = lowering.view(v);
    auto kind = func.getResultAttrOfType<ir::StepValueAttr>(i, ir::kStepValueAttr);
    auto name = func.getResultAttrOfType<StringAttr>(i, ir::kNameAttr);
    if (!kind || !name)
      throw Error("forward_step result #" + std::to_string(i) + " needs " + ir::kNameAttr +
                  " and " + ir::kStepValueAttr);
    int buffer = int(out.buffer);
    if (kind.getValue() == ir::StepValue::output) {
      if (lowering.bufferKind(buffer) != BufferKind::Output)
        throw Error("internal: the logits are not the step's output buffer");
    } else if (lowering.bufferKind(buffer) != BufferKind::State || lowering.bufferName(buffer) != name.getValue()) {
      throw Error("forward_step result #" + std::to_string(i) + " ('" + name.getValue().str() +
                  "') is not its state updated in place (it is in buffer '" + lowering.bufferName(buffer) + "')");
    }
  }
  OwningOpRef<ModuleOp> dispatchModule = lowering.takeModule();
  (*dispatchModule)->setAttrs(module->getAttrDictionary()); // the model's facts (axe.model, ...)
  if (failed(verify(*dispatchModule)))
    throw Error("internal: dispatch formation built an invalid step program (see above)");
  return dispatchModule;
}

} // namespace axe
