//===- Sampler.cpp - picks the next token from logits ---------------------===//

#include "runtime/Sampler.h"

#include "models/Error.h"

#include <algorithm>
#include <cmath>

namespace axe {

int64_t argmax(const float *logits, int64_t n) {
  int64_t best = -1;
  for (int64_t i = 0; i < n; ++i)
    if (!std::isnan(logits[i]) && (best < 0 || logits[i] > logits[best]))
      best = i;
  return best;
}

Sampler::Sampler(const SamplerOptions &options) : options_(options), rng_(options.seed) {
  if (!(options.temperature >= 0.0) || std::isinf(options.temperature))
    throw Error("sampler: temperature must be a finite number >= 0");
  if (options.topK < 0)
    throw Error("sampler: top-k must be >= 0 (0 disables it)");
  if (!(options.topP > 0.0 && options.topP <= 1.0))
    throw Error("sampler: top-p must be in (0, 1]");
}

int32_t Sampler::sample(const float *logits, int64_t vocabSize) {
  int64_t best = argmax(logits, vocabSize);
  if (best < 0)
    throw Error("sampler: every logit is NaN");
  if (options_.temperature == 0.0)
    return int32_t(best);

  // Candidates by descending logit (ties: lower id first), cut to top-k.
  candidates_.clear();
  for (int64_t i = 0; i < vocabSize; ++i)
    if (!std::isnan(logits[i]))
      candidates_.emplace_back(logits[i], int32_t(i));
  auto byLogit = [](const std::pair<float, int32_t> &a, const std::pair<float, int32_t> &b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  size_t keep = candidates_.size();
  if (options_.topK > 0 && size_t(options_.topK) < keep)
    keep = size_t(options_.topK);
  std::partial_sort(candidates_.begin(), candidates_.begin() + keep, candidates_.end(), byLogit);
  candidates_.resize(keep);

  // Softmax at the temperature, in double, relative to the largest logit.
  std::vector<double> weights(keep);
  double maxLogit = candidates_[0].first, total = 0.0;
  if (std::isinf(maxLogit))
    return candidates_[0].second; // +inf outweighs everything (and would make the softmax NaN)
  for (size_t i = 0; i < keep; ++i) {
    weights[i] = std::exp((double(candidates_[i].first) - maxLogit) / options_.temperature);
    total += weights[i];
  }
  // Top-p: the smallest prefix whose probability reaches topP.
  if (options_.topP < 1.0) {
    double mass = 0.0;
    size_t cut = keep;
    for (size_t i = 0; i < keep; ++i) {
      mass += weights[i] / total;
      if (mass >= options_.topP) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    total = 0.0;
    for (size_t i = 0; i < keep; ++i)
      total += weights[i];
  }

  // A uniform double in [0, 1) from the top 53 bits of one draw.
  double u = double(rng_() >> 11) * (1.0 / 9007199254740992.0);
  double target = u * total, acc = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    acc += weights[i];
    if (target < acc)
      return candidates_[i].second;
  }
  return candidates_[keep - 1].second; // rounding left target at the very end
}

} // namespace axe
