//===- ReadStepProgram.cpp - the manifest's step program from the IR -------===//
//
// The artifact writer serializes the dispatch-level module and nothing else: buffers from the
// axe.buffer ops, views from the buffers and their memref.reinterpret_casts, kernels from
// @kernels, the program from the axe.dispatch ops, all in IR order.
//
//===----------------------------------------------------------------------===//

#include "lowering/common/IrEnums.h"
#include "lowering/common/Lowering.h"

#include "dialects/axe/AxeOps.h"
#include "models/WeightTable.h"
#include "support/Error.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "llvm/Support/raw_ostream.h"

#include <map>
#include <set>

namespace axe {

using namespace mlir;
namespace ir = mlir::axe;

namespace {

std::string printed(Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << op->getName() << " at " << op->getLoc();
  return s;
}

// A size, stride, scalar or workgroup count: a constant or a step symbol.
SymInt symIntOf(Value v) {
  if (auto s = v.getDefiningOp<ir::StepSymbolOp>())
    return SymInt::of(symbolOf(s.getSymbol()));
  if (auto c = v.getDefiningOp<arith::ConstantIndexOp>())
    return SymInt::of(c.value());
  throw Error("step program: a size that is neither a constant nor an axe.step_symbol");
}

SymInt symIntOf(OpFoldResult v) {
  if (auto attr = dyn_cast<Attribute>(v))
    return SymInt::of(cast<IntegerAttr>(attr).getInt());
  return symIntOf(cast<Value>(v));
}

} // namespace

std::vector<SymInt> bufferShape(ir::BufferOp op) {
  std::vector<SymInt> shape;
  size_t next = 0;
  for (int64_t d : op.getResult().getType().getShape())
    shape.push_back(ShapedType::isDynamic(d) ? symIntOf(op.getDims()[next++]) : SymInt::of(d));
  return shape;
}

ViewArg readView(Value v, llvm::function_ref<int64_t(ir::BufferOp)> bufferId) {
  if (auto b = v.getDefiningOp<ir::BufferOp>())
    return contiguousView(bufferId(b), bufferShape(b));
  auto cast = v.getDefiningOp<memref::ReinterpretCastOp>();
  ir::BufferOp source = ir::BufferOp::ofView(v);
  if (!cast || !source || cast.getOffsets().size() != 0)
    throw Error("step program: a view must be a buffer or a reinterpret_cast of one with a static offset");
  ViewArg view;
  view.buffer = bufferId(source);
  view.offset = cast.getStaticOffsets()[0];
  for (OpFoldResult s : cast.getMixedSizes())
    view.shape.push_back(symIntOf(s));
  for (OpFoldResult s : cast.getMixedStrides())
    view.strides.push_back(symIntOf(s));
  return view;
}

namespace {

class Reader {
public:
  explicit Reader(StepProgram &program) : program_(program) {}

  void buffer(ir::BufferOp op) {
    BufferDecl b;
    b.id = int64_t(program_.buffers.size());
    b.kind = bufferKindOf(op.getKind());
    b.name = op.getName().str();
    MemRefType type = op.getResult().getType();
    b.dtype = artifactDType(type.getElementType());
    if (!names_.insert(b.name).second)
      throw Error("step program: two buffers are named '" + b.name + "'");
    b.shape = bufferShape(op);
    ids_[op.getResult().getAsOpaquePointer()] = b.id;
    program_.buffers.push_back(std::move(b));
  }

  ViewArg view(Value v) const {
    return readView(v, [&](ir::BufferOp b) { return idOf(b); });
  }

  void dispatch(ir::DispatchOp op, const std::map<std::string, int64_t> &kernels) {
    ProgramEntry e;
    auto it = kernels.find(op.getKernel().getLeafReference().str());
    if (it == kernels.end())
      throw Error("step program: " + printed(op) + " calls a kernel outside @" + kKernelModuleName);
    e.kernel = it->second;
    for (Value v : op.getViews())
      e.args.push_back(view(v));
    for (Value v : op.getScalars())
      e.scalars.push_back(symIntOf(v));
    e.workgroups = symIntOf(op.getWorkgroups());
    program_.dispatches.push_back(std::move(e));
  }

private:
  int64_t idOf(ir::BufferOp op) const { return ids_.at(op.getResult().getAsOpaquePointer()); }

  StepProgram &program_;
  std::map<const void *, int64_t> ids_;
  std::set<std::string> names_; // the artifact names buffers (weights by their tensor)
};

} // namespace

ModuleOp kernelModule(ModuleOp dispatchModule) {
  auto kernels = dispatchModule.lookupSymbol<ModuleOp>(kKernelModuleName);
  if (!kernels)
    throw Error(std::string("step program: no kernel module @") + kKernelModuleName);
  return kernels;
}

StepProgram readStepProgram(ModuleOp dispatchModule) {
  StepProgram program;
  std::map<std::string, int64_t> kernelIndex;
  for (auto f : kernelModule(dispatchModule).getOps<func::FuncOp>()) {
    KernelDecl k;
    k.name = f.getSymName().str();
    k.symbol = "_mlir_ciface_" + k.name;
    auto of = f->getAttrOfType<StringAttr>(kKernelOfAttr);
    if (!of)
      throw Error("step program: kernel @" + k.name + " has no " + kKernelOfAttr);
    k.op = of.getValue().str();
    ArrayRef<Type> inputs = f.getFunctionType().getInputs();
    k.numArgs = llvm::count_if(inputs, [](Type t) { return isa<MemRefType>(t); });
    k.numScalars = int64_t(inputs.size()) - k.numArgs - 2;
    kernelIndex[k.name] = int64_t(program.kernels.size());
    program.kernels.push_back(std::move(k));
  }
  auto step = dispatchModule.lookupSymbol<func::FuncOp>(kStepFunctionName);
  if (!step)
    throw Error(std::string("step program: no @") + kStepFunctionName);
  Reader reader(program);
  for (Operation &op : step.getBody().front()) {
    if (auto b = dyn_cast<ir::BufferOp>(op))
      reader.buffer(b);
    else if (auto d = dyn_cast<ir::DispatchOp>(op))
      reader.dispatch(d, kernelIndex);
    else if (!isa<ir::StepSymbolOp, arith::ConstantIndexOp, memref::ReinterpretCastOp, func::ReturnOp>(op))
      throw Error("step program: unexpected " + printed(&op));
  }
  return program;
}

} // namespace axe
