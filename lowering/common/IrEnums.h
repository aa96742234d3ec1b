//===- IrEnums.h - the artifact's enums as the dialect spells them -*- C++ -*-===//
//
// The step program's symbols and buffer kinds exist twice on purpose: in artifact/ (no MLIR, for
// the runtime) and as dialect attributes (for the IR). These are the only conversions.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_LOWERING_COMMON_IRENUMS_H
#define AXE_LOWERING_COMMON_IRENUMS_H

#include "artifact/Manifest.h"
#include "dialects/axe/AxeAttrs.h"

namespace axe {

static_assert(int(mlir::axe::StepSymbol::T) == int(Symbol::T) && int(mlir::axe::StepSymbol::S) == int(Symbol::S) &&
              int(mlir::axe::StepSymbol::R) == int(Symbol::R) && int(mlir::axe::StepSymbol::MB) == int(Symbol::MB) &&
              int(mlir::axe::StepSymbol::NB) == int(Symbol::NB) && int(mlir::axe::StepSymbol::P) == int(Symbol::P));
static_assert(int(mlir::axe::BufferKind::input) == int(BufferKind::Input) &&
              int(mlir::axe::BufferKind::weight) == int(BufferKind::Weight) &&
              int(mlir::axe::BufferKind::state) == int(BufferKind::State) &&
              int(mlir::axe::BufferKind::temp) == int(BufferKind::Temp) &&
              int(mlir::axe::BufferKind::output) == int(BufferKind::Output));

// Both enums list the symbols in the artifact's order (T, S, R, MB, NB, P).
inline mlir::axe::StepSymbol irSymbol(Symbol s) { return mlir::axe::StepSymbol(int(s)); }
inline Symbol symbolOf(mlir::axe::StepSymbol s) { return Symbol(int(s)); }
// ... and the buffer kinds in the same order (input, weight, state, temp, output).
inline mlir::axe::BufferKind irBufferKind(BufferKind k) { return mlir::axe::BufferKind(int(k)); }
inline BufferKind bufferKindOf(mlir::axe::BufferKind k) { return BufferKind(int(k)); }

} // namespace axe

#endif // AXE_LOWERING_COMMON_IRENUMS_H
