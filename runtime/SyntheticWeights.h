//===- SyntheticWeights.h - weights made from a seed at load --*- C++ -*-===//
//
// An artifact compiled with `axe-compile --config-only config.json --synthetic-weights SEED`
// has no weights file: the loader makes every weight buffer from the seed instead. That lets a
// step program with the real widths of a large model (gigabytes of weights) be timed on a machine
// the weights could never be copied to. The values are random but tame, so that the model's
// activations stay finite and the routing spreads over the experts:
//   - f8e4m3: random sign and mantissa, exponent field 5..8 (|x| in [0.25, 3.75]);
//   - f32 buffers whose name has "_scale" (FP8 scales): (1 + u/4) / (2 sqrt(hidden size));
//   - other float buffers of rank >= 2: uniform in +-1/sqrt(last dimension);
//   - the rest (norm weights, A_log, dt_bias, ...): uniform in +-0.1;
// where u is uniform in [0, 1). Each element comes from a hash of (seed, buffer id, index), so
// the bytes do not depend on the thread count or the machine.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SYNTHETICWEIGHTS_H
#define AXE_RUNTIME_SYNTHETICWEIGHTS_H

#include "artifact/Manifest.h"

#include <cstdint>

namespace axe {

// Writes the bytesOf(b) bytes of weight buffer `b` into `out`, on `threads` threads. Throws
// axe::Error for a dtype synthetic weights do not cover (integers).
void fillSyntheticWeight(const BufferDecl &b, uint64_t seed, int64_t hiddenSize, void *out, unsigned threads);

} // namespace axe

#endif // AXE_RUNTIME_SYNTHETICWEIGHTS_H
