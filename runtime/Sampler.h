//===- Sampler.h - picks the next token from logits -----------*- C++ -*-===//
//
// Greedy (temperature 0) or random sampling with temperature, top-k and top-p. Random sampling is
// deterministic for a given seed: std::mt19937_64 is fully specified by the standard, and the
// uniform draw is computed here rather than by a library distribution.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SAMPLER_H
#define AXE_RUNTIME_SAMPLER_H

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace axe {

struct SamplerOptions {
  double temperature = 0.0; // 0: greedy
  int64_t topK = 0;         // 0: no limit
  double topP = 1.0;        // 1: no limit
  uint64_t seed = 0;
};

class Sampler {
public:
  // Throws axe::Error for a negative temperature or top-k, or top-p outside (0, 1].
  explicit Sampler(const SamplerOptions &options);

  // The next token from `vocabSize` f32 logits. NaN logits are never chosen; throws axe::Error
  // when every logit is NaN.
  int32_t sample(const float *logits, int64_t vocabSize);

  const SamplerOptions &options() const { return options_; }

private:
  SamplerOptions options_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> candidates_; // reused across calls
};

// Index of the largest logit, the lowest index on ties, NaN skipped; -1 when all are NaN.
int64_t argmax(const float *logits, int64_t n);

} // namespace axe

#endif // AXE_RUNTIME_SAMPLER_H
