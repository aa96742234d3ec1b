//===- Lowering.h - dispatch formation as a dialect conversion -*- C++ -*-===//
//
// Dispatch formation rewrites the fused `forward_step` in place into the dispatch-level program
// of StepProgram.h, with MLIR's dialect conversion: every axe op, tensor op and tensor-typed arith
// op is illegal, and a target supplies one OpConversionPattern per op it lowers (for the CPU,
// lowering/cpu/*Kernels.cpp). A pattern replaces its op's tensor results by memref views of
// buffers (`axe.buffer`, `memref.reinterpret_cast`), declares kernels in `module @kernels` (built
// once per distinct body) and emits `axe.dispatch` ops. An op no pattern lowers fails with its
// location ("failed to legalize operation").
//
//===----------------------------------------------------------------------===//
#ifndef AXE_LOWERING_COMMON_LOWERING_H
#define AXE_LOWERING_COMMON_LOWERING_H

#include "lowering/common/StepProgram.h"

#include "dialects/axe/AxeOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Transforms/DialectConversion.h"

#include "llvm/ADT/DenseMap.h"

#include <functional>
#include <map>
#include <optional>

namespace axe {

class KernelBuilder;
class Lowering;

// Builds a kernel's body from its memref arguments (by the names the kernel declared), its index
// scalars and its workgroup range.
class KernelArgValues {
public:
  KernelArgValues(std::vector<std::string> names, llvm::ArrayRef<mlir::Value> values)
      : names_(std::move(names)), values_(values.begin(), values.end()) {}
  // The argument called `name`; an unknown name is an error in the lowering, not in the model.
  mlir::Value operator[](llvm::StringRef name) const;

private:
  std::vector<std::string> names_;
  llvm::SmallVector<mlir::Value> values_;
};
using KernelBody = std::function<void(KernelBuilder &kb, const KernelArgValues &args,
                                      llvm::ArrayRef<mlir::Value> scalars, mlir::Value wgBegin,
                                      mlir::Value wgEnd)>;

// What dispatch formation may assume of the weights it lowers.
struct FormationOptions {
  // No e4m3 weight holds a NaN code (0x7F, 0xFF): axe-compile refused them (the default, without
  // --allow-non-finite-weights). Kernel arguments that view an e4m3 weight then carry
  // kNoNaNCodesAttr, and their lane loads skip the NaN fix-up of the decode.
  bool weightsHoldNoNaNCodes = false;
};

// A kernel's memref argument: its name, the view a dispatch passes and the memref type the
// kernel takes (DispatchFormation::memrefType). The kernel's signature and the dispatch's views
// come from one list, so they cannot disagree on the order.
struct KernelArg {
  std::string name;
  ViewArg view;
  mlir::MemRefType type;
};

// What the patterns of one dispatch formation share: the kernel library, the step's buffers
// (input, state and weight buffers are made before the conversion starts) and its symbols.
class DispatchFormation {
public:
  // Adds `module @kernels` to `module` and the buffers of the step's arguments and weights at the
  // top of `step`. Throws axe::Error when an argument lacks its step attributes.
  DispatchFormation(mlir::ModuleOp module, mlir::func::FuncOp step, FormationOptions options = {});

  mlir::MLIRContext *context() const { return ctx_; }
  mlir::func::FuncOp step() const { return step_; }

  // The memref type a kernel takes for a view of `type`: same shape and element type (e4m3 stays
  // f8E4M3FN), dynamic strides and offset but a unit innermost stride.
  mlir::MemRefType memrefType(mlir::RankedTensorType type) const;
  // The index of a kernel for `op` over `args` built by `body`. Deduplication is structural:
  // when an earlier kernel has the same signature and an equivalent body (the same ops,
  // attributes and types, locations aside), that kernel is returned and the new one dropped, so
  // identical layers share kernels whatever their attributes say that the code does not use.
  int kernel(llvm::StringRef op, const std::vector<KernelArg> &args, unsigned numScalars,
             const KernelBody &body);
  llvm::StringRef kernelName(int kernel) const {
    mlir::func::FuncOp func = kernelFuncs_[size_t(kernel)]; // op handles are not const
    return func.getSymName();
  }

  // A new `axe.buffer` at `b`'s insertion point; temporaries without a name are named by their
  // position among the step's buffers ("t12").
  mlir::Value newBuffer(mlir::OpBuilder &b, mlir::Location loc, BufferKind kind, const std::string &name,
                        DType dtype, const std::vector<SymInt> &shape);
  int64_t bufferCount() const { return int64_t(buffers_.size()); }
  // The view a value of the step denotes: a memref made by this formation, or an argument of
  // the step (its buffer).
  ViewArg view(mlir::Value v) const;
  // The memref value of `view`: its buffer when the view is all of it, else a reinterpret_cast.
  mlir::Value viewValue(mlir::OpBuilder &b, mlir::Location loc, const ViewArg &view);
  // A size as an index value of the step: its axe.step_symbol or a constant, defined once at the
  // top of the step.
  mlir::Value symbolValue(mlir::OpBuilder &b, const SymInt &v);
  // The memref a value the conversion maps an operand to stands for: an argument of the step
  // (still a tensor: arguments are removed after the conversion) is its buffer, anything else is
  // itself.
  mlir::Value memrefOf(mlir::Value v) const;
  // The buffer of a param's stored weight.
  mlir::Value weightBuffer(mlir::axe::ParamOp param) const;
  // The name and symbols forward_step's result attributes give to `v` when the step returns it
  // as its output (the logits).
  std::optional<std::pair<std::string, std::vector<SymInt>>> outputOf(mlir::Value v) const;

  // Lowers `op`, whose operands the conversion maps to `operands`, with `lower`; then replaces
  // its results by the views `lower` made (a state update's result by its state's buffer).
  mlir::LogicalResult lowerOp(mlir::Operation *op, mlir::ValueRange operands,
                              mlir::ConversionPatternRewriter &rewriter,
                              llvm::function_ref<mlir::LogicalResult(Lowering &)> lower);

private:
  mlir::MLIRContext *ctx_;
  FormationOptions options_;
  mlir::ModuleOp kernels_;
  mlir::func::FuncOp step_;
  std::vector<mlir::Value> buffers_;             // by id
  llvm::DenseMap<mlir::Operation *, int64_t> ids_; // axe.buffer -> id
  std::vector<mlir::Value> arguments_;           // by argument number
  std::map<std::string, mlir::Value> weights_;   // by artifact weight name
  llvm::DenseMap<mlir::Value, std::pair<std::string, std::vector<SymInt>>> outputs_;
  std::map<int64_t, mlir::Value> constants_;
  std::map<int, mlir::Value> symbols_;
  // Kernels in order (each names its axe op in axe.kernel_of), and by function type: the
  // candidates of deduplication.
  std::vector<mlir::func::FuncOp> kernelFuncs_;
  llvm::DenseMap<mlir::Type, std::vector<int>> kernelsByType_;
};

// What one op's lowering sees: the views of its operands, result buffers, kernels and
// dispatches, all built at the op's place in the step and carrying its location.
class Lowering {
public:
  Lowering(DispatchFormation &formation, mlir::ConversionPatternRewriter &rewriter,
           mlir::Operation *op, mlir::ValueRange operands);

  // The view of operand `v` of the op.
  ViewArg view(mlir::Value v) const;
  // A new contiguous buffer for result `v` of the op. A value the step returns as its output
  // gets the kind, name and symbols forward_step's result attributes say; any other is a
  // temporary whose dynamic first dimension is that of the op's first operand with one (every
  // op of the step is token-major in its first dynamic operand).
  ViewArg result(mlir::Value v);
  // A contiguous temporary not tied to a value (e.g. a GEMM's quantized input), sized like a
  // result of the op.
  ViewArg temp(mlir::RankedTensorType type, const std::string &name);
  // Result `result` lives in `buffer`: an in-place state update (StateUpdateOpInterface).
  void alias(unsigned result, mlir::Value buffer) { results_[result] = buffer; }

  mlir::MemRefType memrefType(mlir::RankedTensorType type) const { return formation_.memrefType(type); }
  int kernel(llvm::StringRef op, const std::vector<KernelArg> &args, unsigned numScalars,
             const KernelBody &body) {
    return formation_.kernel(op, args, numScalars, body);
  }
  // Appends `axe.dispatch` of `kernel` on the views of `args`, the scalars and the workgroups.
  void dispatch(int kernel, const std::vector<KernelArg> &args, const std::vector<SymInt> &scalars,
                SymInt workgroups);
  mlir::MLIRContext *context() const { return formation_.context(); }

  // The values that replace the op's results; throws when the lowering left one without.
  llvm::SmallVector<mlir::Value> replacements() const;

private:
  std::vector<SymInt> shapeOf(mlir::RankedTensorType t) const;

  DispatchFormation &formation_;
  mlir::ConversionPatternRewriter &rewriter_;
  mlir::Operation *op_;
  llvm::SmallVector<mlir::Value> operands_; // memrefs (an argument of the step: its buffer)
  std::map<unsigned, mlir::Value> results_;
};

// The pattern that lowers every `OpT` with `lower`.
template <typename OpT>
class DispatchPattern : public mlir::OpConversionPattern<OpT> {
public:
  using LowerFn = mlir::LogicalResult (*)(OpT, Lowering &);
  DispatchPattern(DispatchFormation &formation, LowerFn lower)
      : mlir::OpConversionPattern<OpT>(formation.context()), formation_(formation), lower_(lower) {}

  mlir::LogicalResult matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                                      mlir::ConversionPatternRewriter &rewriter) const override {
    return formation_.lowerOp(op, adaptor.getOperands(), rewriter,
                              [&](Lowering &lowering) { return lower_(op, lowering); });
  }

private:
  DispatchFormation &formation_;
  LowerFn lower_;
};

template <typename OpT>
void addDispatchPattern(mlir::RewritePatternSet &patterns, DispatchFormation &formation,
                        mlir::LogicalResult (*lower)(OpT, Lowering &)) {
  patterns.add<DispatchPattern<OpT>>(formation, lower);
}

// The artifact element type of a tensor element type (bf16, f8E4M3FN, ...); throws for others.
DType artifactDType(mlir::Type elementType);
// A contiguous view of a new buffer of `shape`.
ViewArg contiguousView(int64_t buffer, const std::vector<SymInt> &shape);

// Implemented by a target: its patterns, one per op it lowers.
using PopulateDispatchPatterns =
    std::function<void(mlir::RewritePatternSet &, DispatchFormation &)>;
// Rewrites `module`'s forward_step into its dispatch-level program, in place, and verifies it;
// buffers are not planned yet. Fails after a diagnostic at the op that cannot be lowered.
mlir::LogicalResult formDispatches(mlir::ModuleOp module, const PopulateDispatchPatterns &populate,
                                   FormationOptions options = {});

} // namespace axe

#endif // AXE_LOWERING_COMMON_LOWERING_H
