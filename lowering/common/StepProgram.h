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

#include "artifact/Manifest.h"
#include "models/ParamMaterializer.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <vector>

namespace axe {

// The step program in the artifact's own types (artifact/Manifest.h): what the artifact writer
// serializes is what dispatch formation built, with nothing converted in between.
struct StepProgram {
  std::vector<BufferDecl> buffers;   // indexed by id
  std::vector<ParamDesc> params;     // indexed by buffer id: how each weight is made (others empty)
  std::vector<KernelDecl> kernels;   // name, symbol, op and argument counts; contracts at writing
  std::vector<ProgramEntry> dispatches;
  mlir::OwningOpRef<mlir::ModuleOp> kernelModule; // func.func kernels on memrefs
};

// Dispatch formation itself is in Lowering.h: formDispatches(module, target's op lowering).

} // namespace axe

#endif // AXE_LOWERING_COMMON_STEPPROGRAM_H
