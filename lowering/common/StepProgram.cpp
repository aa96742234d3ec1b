//===- StepProgram.cpp - dispatch formation -------------------------------===//

#include "lowering/common/KernelBuilder.h"
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

#include "llvm/Support/raw_ostream.h"

#include <map>

namespace axe {

using namespace mlir;
namespace ir = mlir::axe;

const char *bufferKindName(BufferKind k) {
  switch (k) {
  case BufferKind::Input: return "input";
  case BufferKind::Weight: return "weight";
  case BufferKind::State: return "state";
  case BufferKind::Temp: return "temp";
  case BufferKind::Output: return "output";
  }
  return "?";
}

std::string artifactDType(Type t) {
  if (t.isBF16()) return "bf16";
  if (t.isF16()) return "f16";
  if (t.isF32()) return "f32";
  if (isa<Float8E4M3FNType>(t)) return "f8e4m3";
  if (t.isInteger(32)) return "i32";
  if (t.isInteger(64)) return "i64";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  throw Error("no artifact dtype for element type " + s);
}

int64_t View::stride(size_t i) const {
  if (strides[i].isSymbol())
    throw Error("internal: a view with a symbolic stride cannot be sliced or reshaped");
  return strides[i].value;
}

View contiguousView(int buffer, const std::vector<Dim> &shape) {
  View v;
  v.buffer = buffer;
  v.shape = shape;
  v.strides.assign(shape.size(), Dim::of(1));
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) {
    const Dim &inner = shape[i + 1];
    const Dim &next = v.strides[i + 1];
    if (next.isSymbol() || (inner.isSymbol() && next.value != 1))
      throw Error("internal: a buffer may have one symbolic inner dimension, innermost");
    v.strides[i] = inner.isSymbol() ? inner : Dim::of(next.value * inner.value);
  }
  return v;
}

static std::vector<Dim> dimsOf(RankedTensorType t, const std::string &dim0) {
  std::vector<Dim> dims;
  for (auto [i, d] : llvm::enumerate(t.getShape())) {
    if (ShapedType::isDynamic(d)) {
      if (i != 0)
        throw Error("a dynamic dimension other than the first cannot be lowered");
      dims.push_back(Dim::sym(dim0));
    } else {
      dims.push_back(Dim::of(d));
    }
  }
  return dims;
}

Lowering::Lowering(StepProgram &program, MLIRContext *ctx) : program_(program), ctx_(ctx) {}

const View &Lowering::view(Value v) const {
  auto it = views_.find(v.getAsOpaquePointer());
  if (it == views_.end()) {
    std::string s;
    llvm::raw_string_ostream os(s);
    v.print(os);
    throw Error("internal: no buffer for value " + s);
  }
  return it->second;
}

int Lowering::newBuffer(BufferKind kind, const std::string &name, const std::string &dtype,
                        std::vector<Dim> shape) {
  Buffer buf;
  buf.id = static_cast<int>(program_.buffers.size());
  buf.kind = kind;
  buf.name = name.empty() ? "t" + std::to_string(buf.id) : name;
  buf.dtype = dtype;
  buf.shape = std::move(shape);
  program_.buffers.push_back(std::move(buf));
  return program_.buffers.back().id;
}

const View &Lowering::result(Value v, const std::string &dim0, BufferKind kind) {
  auto t = cast<RankedTensorType>(v.getType());
  std::vector<Dim> shape = dimsOf(t, dim0);
  int id = newBuffer(kind, kind == BufferKind::Output ? "logits" : "",
                     artifactDType(t.getElementType()), shape);
  setView(v, contiguousView(id, shape));
  return view(v);
}

View Lowering::temp(RankedTensorType type, const std::string &name, const std::string &dim0) {
  std::vector<Dim> shape = dimsOf(type, dim0);
  int id = newBuffer(BufferKind::Temp, "", artifactDType(type.getElementType()), shape);
  program_.buffers[id].name = name + std::to_string(id);
  return contiguousView(id, shape);
}

MemRefType Lowering::memrefType(RankedTensorType type) const {
  Type elem = type.getElementType();
  if (isa<Float8E4M3FNType>(elem))
    elem = IntegerType::get(ctx_, 8);
  // Every view's innermost stride is 1 (slices keep it, reshapes keep it): static, so kernels
  // can load vectors along it.
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  if (!strides.empty())
    strides.back() = 1;
  auto layout = StridedLayoutAttr::get(ctx_, ShapedType::kDynamic, strides);
  return MemRefType::get(type.getShape(), elem, layout);
}

int Lowering::kernel(StringRef op, const std::string &key, ArrayRef<Type> argTypes,
                     unsigned numScalars, const KernelBody &body) {
  auto it = kernelsByKey_.find(key);
  if (it != kernelsByKey_.end())
    return it->second;
  int index = static_cast<int>(program_.kernels.size());
  std::string name = "k" + std::to_string(index) + "_" + op.drop_front(4).str(); // "axe."
  OpBuilder b(ctx_);
  b.setInsertionPointToEnd(program_.kernelModule->getBody());
  SmallVector<Type> inputs(argTypes.begin(), argTypes.end());
  for (unsigned i = 0; i < numScalars + 2; ++i)
    inputs.push_back(b.getIndexType());
  auto func = func::FuncOp::create(b, program_.kernelModule->getLoc(), name,
                                   b.getFunctionType(inputs, {}));
  // The C interface wrapper is the only exported symbol; the body itself stays internal.
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  func->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx_, LLVM::Linkage::Internal));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  KernelBuilder kb(b, func);
  SmallVector<Value> args(entry->getArguments().begin(), entry->getArguments().end());
  ArrayRef<Value> all(args);
  body(kb, all.take_front(argTypes.size()), all.slice(argTypes.size(), numScalars),
       all[argTypes.size() + numScalars], all[argTypes.size() + numScalars + 1]);
  func::ReturnOp::create(b, func.getLoc());
  program_.kernels.push_back({name, op.str(), static_cast<unsigned>(argTypes.size()), numScalars});
  kernelsByKey_[key] = index;
  return index;
}

void Lowering::dispatch(int kernel, std::vector<View> args, std::vector<Dim> scalars,
                        Dim workgroups) {
  for (const View &v : args)
    if (!v.strides.empty() && (v.strides.back().isSymbol() || v.strides.back().value != 1))
      throw Error("internal: a kernel view whose innermost stride is not 1");
  program_.dispatches.push_back({kernel, std::move(args), std::move(scalars), workgroups});
}

std::string Lowering::keyOf(Operation *op, const std::string &extra) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << op->getName();
  for (NamedAttribute a : op->getAttrs())
    if (a.getName() != ir::kPrecisionRuleAttr)
      os << " " << a.getName() << "=" << a.getValue();
  for (Type t : op->getOperandTypes())
    os << " " << t;
  os << " ->";
  for (Type t : op->getResultTypes())
    os << " " << t;
  os << " " << extra;
  return s;
}

namespace {

// The symbol of each argument's dynamic first dimension (docs/artifact.md).
std::vector<Dim> argShape(StringRef name, RankedTensorType t) {
  if (name == "block_table")
    return {Dim::sym("S"), Dim::sym("MB")};
  std::string dim0 = "T";
  if (name == "logit_rows")
    dim0 = "R";
  else if (name == "state_slots")
    dim0 = "S";
  else if (name.ends_with("_cache"))
    dim0 = "NB";
  else if (name.ends_with("_state"))
    dim0 = "P";
  return dimsOf(t, dim0);
}

// Views of the upstream tensor ops the importer uses to split heads and channels.
View sliceView(const View &src, tensor::ExtractSliceOp op) {
  View v = src;
  for (auto [i, off] : llvm::enumerate(op.getStaticOffsets())) {
    if (ShapedType::isDynamic(off))
      throw Error("tensor.extract_slice with a dynamic offset cannot be lowered");
    v.offset += off == 0 ? 0 : off * src.stride(i);
  }
  for (int64_t s : op.getStaticStrides())
    if (s != 1)
      throw Error("tensor.extract_slice with strides cannot be lowered");
  auto t = op.getResultType();
  for (int64_t i = 1; i < t.getRank(); ++i)
    v.shape[i] = Dim::of(t.getDimSize(i));
  return v;
}

View expandView(const View &src, tensor::ExpandShapeOp op) {
  View v;
  v.buffer = src.buffer;
  v.offset = src.offset;
  auto t = op.getResultType();
  for (auto [srcDim, group] : llvm::enumerate(op.getReassociationIndices())) {
    int64_t stride = src.stride(srcDim);
    std::vector<int64_t> strides(group.size());
    for (int i = static_cast<int>(group.size()) - 1; i >= 0; --i) {
      strides[i] = stride;
      if (!ShapedType::isDynamic(t.getDimSize(group[i])))
        stride *= t.getDimSize(group[i]);
    }
    for (auto [i, d] : llvm::enumerate(group)) {
      v.shape.push_back(i == 0 && srcDim == 0 ? src.shape[0] : Dim::of(t.getDimSize(d)));
      v.strides.push_back(Dim::of(strides[i]));
    }
  }
  return v;
}

View collapseView(const View &src, tensor::CollapseShapeOp op) {
  View v;
  v.buffer = src.buffer;
  v.offset = src.offset;
  for (auto [i, group] : llvm::enumerate(op.getReassociationIndices())) {
    for (size_t j = 0; j + 1 < group.size(); ++j)
      if (src.shape[group[j + 1]].isSymbol() ||
          src.stride(group[j]) != src.stride(group[j + 1]) * src.shape[group[j + 1]].value)
        throw Error("tensor.collapse_shape of non-contiguous dimensions needs a copy (unsupported)");
    int64_t size = 1;
    bool symbolic = false;
    for (int64_t d : group) {
      symbolic |= src.shape[d].isSymbol();
      size *= src.shape[d].isSymbol() ? 1 : src.shape[d].value;
    }
    v.shape.push_back(symbolic ? src.shape[group.front()] : Dim::of(size));
    v.strides.push_back(src.strides[group.back()]);
  }
  return v;
}

// Temporaries whose lifetimes (first to last dispatch that touches them) do not overlap share a
// buffer when their dtype and shape are the same; buffers are then renumbered densely. Without
// this a long prefill would hold every intermediate of every layer at once.
void reuseTemporaries(StepProgram &program) {
  size_t n = program.buffers.size();
  std::vector<int> first(n, -1), last(n, -1);
  for (auto [i, d] : llvm::enumerate(program.dispatches))
    for (const View &v : d.args) {
      if (first[v.buffer] < 0)
        first[v.buffer] = static_cast<int>(i);
      last[v.buffer] = static_cast<int>(i);
    }
  auto key = [&](const Buffer &b) {
    std::string k = b.dtype;
    for (const Dim &d : b.shape)
      k += "," + (d.isSymbol() ? d.symbol : std::to_string(d.value));
    return k;
  };
  std::vector<int> physical(n);
  for (size_t b = 0; b < n; ++b)
    physical[b] = static_cast<int>(b);
  std::map<std::string, std::vector<int>> free;
  std::vector<std::vector<int>> endingAt(program.dispatches.size());
  for (size_t b = 0; b < n; ++b)
    if (program.buffers[b].kind == BufferKind::Temp && last[b] >= 0)
      endingAt[last[b]].push_back(static_cast<int>(b));
  for (size_t i = 0; i < program.dispatches.size(); ++i) {
    for (const View &v : program.dispatches[i].args) {
      const Buffer &b = program.buffers[v.buffer];
      if (b.kind != BufferKind::Temp || first[v.buffer] != static_cast<int>(i) ||
          physical[v.buffer] != v.buffer)
        continue;
      std::vector<int> &pool = free[key(b)];
      if (!pool.empty()) {
        physical[v.buffer] = pool.back();
        pool.pop_back();
      }
    }
    for (int b : endingAt[i]) // released after the dispatch: nothing aliases within one
      free[key(program.buffers[b])].push_back(physical[b]);
  }
  // Keep every buffer that is its own physical buffer (and used, unless not a temporary).
  std::vector<int> renumber(n, -1);
  std::vector<Buffer> kept;
  for (size_t b = 0; b < n; ++b) {
    Buffer &buf = program.buffers[b];
    if (physical[b] != static_cast<int>(b) || (buf.kind == BufferKind::Temp && first[b] < 0))
      continue;
    renumber[b] = static_cast<int>(kept.size());
    buf.id = renumber[b];
    kept.push_back(std::move(buf));
  }
  for (Dispatch &d : program.dispatches)
    for (View &v : d.args)
      v.buffer = renumber[physical[v.buffer]];
  program.buffers = std::move(kept);
}

} // namespace

StepProgram formDispatches(ModuleOp module, const OpLowering &lowerOp) {
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<arith::ArithDialect, math::MathDialect, memref::MemRefDialect,
                   scf::SCFDialect, func::FuncDialect, LLVM::LLVMDialect, vector::VectorDialect>();
  StepProgram program;
  program.kernelModule = ModuleOp::create(UnknownLoc::get(ctx));
  Lowering lowering(program, ctx);

  auto func = module.lookupSymbol<func::FuncOp>("forward_step");
  if (!func)
    throw Error("the module has no forward_step function to lower");

  for (BlockArgument arg : func.getArguments()) {
    auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), ir::kNameAttr);
    auto type = cast<RankedTensorType>(arg.getType());
    BufferKind kind = arg.getArgNumber() < 6 ? BufferKind::Input : BufferKind::State;
    std::vector<Dim> shape = argShape(name.getValue(), type);
    int id = lowering.newBuffer(kind, name.getValue().str(), artifactDType(type.getElementType()), shape);
    lowering.setView(arg, contiguousView(id, shape));
  }

  // Weights: one buffer per distinct stored form of a param.
  std::map<std::string, int> weightBuffers;
  for (const WeightEntry &w : collectWeights(module)) {
    std::vector<Dim> shape;
    for (int64_t d : w.desc.shape)
      shape.push_back(Dim::of(d));
    std::string dtype = w.desc.dtype == DType::F8_E4M3 ? "f8e4m3"
                                                       : llvm::StringRef(dtypeName(w.desc.dtype)).lower();
    int id = lowering.newBuffer(BufferKind::Weight, artifactWeightName(w.desc), dtype, shape);
    program.buffers[id].param = w.desc;
    weightBuffers[artifactWeightName(w.desc)] = id;
  }

  Operation *ret = func.getBody().front().getTerminator();
  for (Operation &op : func.getBody().front()) {
    if (&op == ret)
      break;
    if (auto p = dyn_cast<ir::ParamOp>(op)) {
      int id = weightBuffers.at(artifactWeightName(paramDesc(p)));
      lowering.setView(p.getResult(), contiguousView(id, program.buffers[id].shape));
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
    if (failed(lowerOp(&op, lowering))) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << op.getName();
      throw Error("no CPU lowering for " + s);
    }
  }
  // The step returns the logits and its states, which kernels updated in place.
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    const View &out = lowering.view(v);
    if (i == 0) {
      if (program.buffers[out.buffer].kind != BufferKind::Output)
        throw Error("internal: the logits are not the step's output buffer");
    } else if (out.buffer != lowering.view(func.getArgument(5 + i)).buffer) {
      throw Error("internal: a state result is not updated in place");
    }
  }
  reuseTemporaries(program);
  return program;
}

} // namespace axe
