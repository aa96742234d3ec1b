//===- StepProgram.h - dispatches, buffers and their order ----*- C++ -*-===//
//
// Dispatch formation: turns the fused `forward_step` into the step program of docs/artifact.md:
// buffers (inputs, weights, states, temporaries, the logits), strided views of them for every
// tensor value (slices and reshapes are views, not copies), and the kernels to run in order.
// Kernels are built by a target (lowering/cpu) into `kernels`, one func.func per distinct
// (op, types, attributes); identical layers share their kernels.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_LOWERING_COMMON_STEPPROGRAM_H
#define AXE_LOWERING_COMMON_STEPPROGRAM_H

#include "models/ParamMaterializer.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace axe {

// A size: a number, or a symbol of the step (T, S, R, MB) or of the load (NB, P).
struct Dim {
  int64_t value = 0;
  std::string symbol;
  static Dim of(int64_t v) { return {v, ""}; }
  static Dim sym(std::string s) { return {0, std::move(s)}; }
  bool isSymbol() const { return !symbol.empty(); }
};

enum class BufferKind { Input, Weight, State, Temp, Output };
const char *bufferKindName(BufferKind k);

struct Buffer {
  int id;
  BufferKind kind;
  std::string name;       // inputs/states: their axe.name; weights: the key in weights.safetensors
  std::string dtype;      // artifact dtype name: bf16, f16, f32, i32, i64, f8e4m3
  std::vector<Dim> shape;
  ParamDesc param;        // weights: how the artifact writer makes it
};

struct View {
  int buffer = -1;
  int64_t offset = 0;
  std::vector<Dim> shape;
  std::vector<Dim> strides; // numbers, except the block table's row stride (MB)
  int64_t stride(size_t i) const; // a numeric stride; throws for a symbolic one
};

struct KernelInfo {
  std::string name; // also the func.func name; the symbol is _mlir_ciface_<name>
  std::string op;   // the axe op it computes (for people)
  unsigned numArgs = 0, numScalars = 0;
};

struct Dispatch {
  int kernel;
  std::vector<View> args;
  std::vector<Dim> scalars;
  Dim workgroups;
};

struct StepProgram {
  std::vector<Buffer> buffers;
  std::vector<KernelInfo> kernels;
  std::vector<Dispatch> dispatches;
  mlir::OwningOpRef<mlir::ModuleOp> kernelModule; // func.func kernels on memrefs
};

// Dispatch formation itself is in Lowering.h: formDispatches(module, target's op lowering).

} // namespace axe

#endif // AXE_LOWERING_COMMON_STEPPROGRAM_H
