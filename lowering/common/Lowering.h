//===- Lowering.h - what an op lowering sees while forming dispatches -*- C++ -*-===//
//
// Dispatch formation builds the dispatch-level module of StepProgram.h from `forward_step`. The
// per-op lowerings of a target (lowering/cpu/*Kernels.cpp) get the views of their operands, ask
// for result buffers, declare kernels (built once per distinct body) and append dispatches; each
// of those becomes IR (axe.buffer, memref.reinterpret_cast, axe.dispatch) as it is made.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_LOWERING_COMMON_LOWERING_H
#define AXE_LOWERING_COMMON_LOWERING_H

#include "lowering/common/StepProgram.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OwningOpRef.h"

#include <functional>
#include <map>

namespace axe {

class KernelBuilder;

// Builds a kernel's body: its memref args, its index scalars and its workgroup range.
using KernelBody = std::function<void(KernelBuilder &kb, llvm::ArrayRef<mlir::Value> args,
                                      llvm::ArrayRef<mlir::Value> scalars, mlir::Value wgBegin,
                                      mlir::Value wgEnd)>;

class Lowering {
public:
  explicit Lowering(mlir::MLIRContext *ctx);

  // The view of a tensor value defined earlier in the step.
  const ViewArg &view(mlir::Value v) const;
  bool hasView(mlir::Value v) const { return views_.count(v.getAsOpaquePointer()) != 0; }
  void setView(mlir::Value v, ViewArg view) { views_[v.getAsOpaquePointer()] = std::move(view); }
  // A new contiguous buffer for result `v` of the op being lowered. A value the step returns as
  // its output gets the kind, name and symbols its axe.step_value, axe.name and axe.dims say;
  // any other is a temporary whose dynamic first dimension is that of the op's first operand
  // with one (every op of the step is token-major in its first dynamic operand).
  const ViewArg &result(mlir::Value v);
  // A contiguous temporary not tied to a value (e.g. a GEMM's quantized input), sized like a
  // result of the op being lowered.
  ViewArg temp(mlir::RankedTensorType type, const std::string &name);
  // `updated` (a state result) lives in the buffer of `state` (its operand): an in-place update
  // that StateUpdateOpInterface declares and verifies. formDispatches calls it for every such op.
  void alias(mlir::Value updated, mlir::Value state) { setView(updated, view(state)); }

  // The memref type a kernel takes for a view of `type`: same shape and element type (e4m3 stays
  // f8E4M3FN), dynamic strides and offset but a unit innermost stride.
  mlir::MemRefType memrefType(mlir::RankedTensorType type) const;
  // The index of a kernel for `op` built by `body`. Deduplication is structural: when an earlier
  // kernel has the same signature and an equivalent body (the same ops, attributes and types,
  // locations aside), that kernel is returned and the new one dropped, so identical layers share
  // kernels whatever their attributes say that the code does not use.
  int kernel(llvm::StringRef op, llvm::ArrayRef<mlir::Type> argTypes, unsigned numScalars,
             const KernelBody &body);
  // Appends `axe.dispatch` of kernel `kernel` on the views, scalars and workgroup count.
  void dispatch(int kernel, std::vector<ViewArg> args, std::vector<SymInt> scalars, SymInt workgroups);

  mlir::MLIRContext *context() const { return ctx_; }
  // The op lowered from now on: the ops built get its location, results their sizes from it.
  void beginOp(mlir::Operation *op) {
    op_ = op;
    loc_ = op->getLoc();
  }
  // A value the step returns as its output (the logits), with its name and declared symbols.
  void declareOutput(mlir::Value v, std::string name, std::vector<SymInt> shape) {
    outputs_[v.getAsOpaquePointer()] = {std::move(name), std::move(shape)};
  }

  // A new `axe.buffer`; its id is its position among the step's buffers.
  int newBuffer(BufferKind kind, const std::string &name, DType dtype, std::vector<SymInt> shape);
  const std::vector<SymInt> &bufferShape(int id) const { return bufferShapes_[size_t(id)]; }
  BufferKind bufferKind(int id) const;
  std::string bufferName(int id) const;

  // The module built so far; formDispatches hands it out when the step is done.
  mlir::OwningOpRef<mlir::ModuleOp> takeModule();

private:
  mlir::Value symbolValue(const SymInt &v);
  mlir::Value viewValue(const ViewArg &view);
  // The shape of a result or temporary of type `t` of the op being lowered.
  std::vector<SymInt> shapeOf(mlir::RankedTensorType t) const;

  mlir::MLIRContext *ctx_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
  mlir::ModuleOp kernels_;
  mlir::func::FuncOp step_;
  mlir::OpBuilder builder_;          // at the end of the step function
  mlir::Location loc_;
  mlir::Operation *op_ = nullptr;
  std::map<const void *, std::pair<std::string, std::vector<SymInt>>> outputs_;
  std::map<const void *, ViewArg> views_;
  std::vector<mlir::Value> buffers_; // by id
  std::vector<std::vector<SymInt>> bufferShapes_;
  std::map<int64_t, mlir::Value> constants_;
  std::map<int, mlir::Value> symbols_;
  // Kernels in order (name, axe op), and by function type: the candidates of deduplication.
  std::vector<std::pair<std::string, std::string>> kernelNames_;
  std::map<const void *, std::vector<int>> kernelsByType_;
};

// The artifact element type of a tensor element type (bf16, f8E4M3FN, ...); throws for others.
DType artifactDType(mlir::Type elementType);
// A contiguous view of a new buffer of `shape`.
ViewArg contiguousView(int64_t buffer, const std::vector<SymInt> &shape);

// Implemented by a target: lowers one op of the step into kernels and dispatches.
using OpLowering = std::function<mlir::LogicalResult(mlir::Operation *, Lowering &)>;
// The dispatch-level module of `module`'s forward_step, verified, buffers not yet planned; null
// after an error diagnostic at the op that `lowerOp` cannot lower.
mlir::OwningOpRef<mlir::ModuleOp> formDispatches(mlir::ModuleOp module, const OpLowering &lowerOp);

} // namespace axe

#endif // AXE_LOWERING_COMMON_LOWERING_H
