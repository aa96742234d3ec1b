//===- WindowLogits.h - logits of token windows, through the serving engine -*- C++ -*-===//
//
// Evaluation feeds a text to the model in windows of a fixed context, each from an empty cache,
// and needs the logits of (some of) every window's positions. Each window is one request that asks
// for its prompt logits; they all go through the engine together, so the batching, the paged KV
// cache and the kernels are the ones serving uses (and batch invariance makes the rows the same as
// one window alone would give).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_EVAL_WINDOWLOGITS_H
#define AXE_RUNTIME_EVAL_WINDOWLOGITS_H

#include "runtime/serve/Engine.h"

#include <cstdint>
#include <vector>

namespace axe {

// Runs every window through `engine` and returns, per window, the logits rows of positions
// [rowBegin, rowEnd) in order, float [rowEnd - rowBegin, vocab] flattened. Throws axe::Error if the
// engine fails a request.
std::vector<std::vector<float>> windowLogits(Engine &engine, const std::vector<std::vector<int32_t>> &windows,
                                             int64_t rowBegin, int64_t rowEnd);

} // namespace axe

#endif // AXE_RUNTIME_EVAL_WINDOWLOGITS_H
