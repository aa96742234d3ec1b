//===- Sampler.cpp - picks the next token from logits ---------------------===//
//
// The vocabulary can be ~250k tokens, so no step sorts all of it, and exp() is computed only
// where needed. Greedy is one argmax pass. Top-k picks the k best logits with a heap (nth_element
// when k is large) and weighs only those. Top-p without top-k weighs every token for the mass, but
// sorts only the tokens heavy enough to matter, a prefix at a time, doubling it. The draw walks
// the kept tokens by id, so sampling with neither sorts nothing. Buffers are reused across calls.
//
//===----------------------------------------------------------------------===//

#include "runtime/Sampler.h"

#include "support/Error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace axe {

namespace {

std::string str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string notInVocab(int32_t id, int64_t vocabSize) {
  return "token id " + std::to_string(id) + " is not in [0, vocab_size=" +
         std::to_string(vocabSize) + ")";
}

// The unnormalised probability exp((logit - max) / temperature), with the softmax's limits when
// the largest logit is infinite; 0 for NaN. The largest logit weighs exactly 1.
double weight(float logit, double maxLogit, double temperature) {
  if (std::isnan(logit))
    return 0.0;
  if (maxLogit == std::numeric_limits<double>::infinity())
    return double(logit) == maxLogit ? 1.0 : 0.0; // the +inf logits share everything
  if (maxLogit == -std::numeric_limits<double>::infinity())
    return 1.0; // every logit is -inf: all alike
  return std::exp((double(logit) - maxLogit) / temperature);
}

void penalize(float *logits, int64_t vocabSize, const SamplingParams &p,
              const std::unordered_map<int32_t, int32_t> &counts) {
  for (const auto &[id, times] : counts) {
    if (id < 0 || id >= vocabSize)
      throw Error("sampling: " + notInVocab(id, vocabSize));
    double v = logits[id];
    if (p.repetitionPenalty != 1.0)
      v = v > 0 ? v / p.repetitionPenalty : v * p.repetitionPenalty;
    if (times > 0)
      v -= p.frequencyPenalty * times + p.presencePenalty;
    logits[id] = float(v);
  }
}

} // namespace

void SamplingParams::validate() const {
  if (!(temperature >= 0.0) || std::isinf(temperature))
    throw Error("sampling: temperature must be a finite number >= 0, got " + str(temperature));
  if (topK < 0)
    throw Error("sampling: top_k must be >= 0 (0: no limit), got " + std::to_string(topK));
  if (!(topP > 0.0 && topP <= 1.0))
    throw Error("sampling: top_p must be in (0, 1], got " + str(topP));
  if (!(minP >= 0.0 && minP <= 1.0))
    throw Error("sampling: min_p must be in [0, 1], got " + str(minP));
  if (!(presencePenalty >= -2.0 && presencePenalty <= 2.0))
    throw Error("sampling: presence_penalty must be in [-2, 2], got " + str(presencePenalty));
  if (!(frequencyPenalty >= -2.0 && frequencyPenalty <= 2.0))
    throw Error("sampling: frequency_penalty must be in [-2, 2], got " + str(frequencyPenalty));
  if (!(repetitionPenalty > 0.0) || std::isinf(repetitionPenalty))
    throw Error("sampling: repetition_penalty must be a finite number > 0, got " +
                str(repetitionPenalty));
  if (logprobs < -1 || logprobs > kMaxLogprobs)
    throw Error("sampling: logprobs must be in [-1, " + std::to_string(kMaxLogprobs) +
                "] (-1: none), got " + std::to_string(logprobs));
}

bool SamplingParams::hasPenalties() const {
  return presencePenalty != 0.0 || frequencyPenalty != 0.0 || repetitionPenalty != 1.0;
}

void applyPenalties(float *logits, int64_t vocabSize, const SamplingParams &params,
                    const std::vector<int32_t> &promptIds, const std::vector<int32_t> &generated) {
  std::unordered_map<int32_t, int32_t> counts;
  for (int32_t id : promptIds)
    counts.emplace(id, 0);
  for (int32_t id : generated)
    ++counts[id];
  penalize(logits, vocabSize, params, counts);
}

int64_t argmax(const float *logits, int64_t n) {
  int64_t i = 0;
  while (i < n && std::isnan(logits[i]))
    ++i;
  if (i == n)
    return -1;
  int64_t best = i;
  float bestLogit = logits[i];
  for (++i; i < n; ++i)
    if (logits[i] > bestLogit) { // false for NaN
      best = i;
      bestLogit = logits[i];
    }
  return best;
}

Sampler::Sampler(const SamplingParams &params, const std::vector<int32_t> &promptIds)
    : params_(params), rng_(params.seed) {
  params.validate();
  for (size_t i = 0; i < promptIds.size(); ++i) {
    if (promptIds[i] < 0)
      throw Error("sampling: prompt token id " + std::to_string(promptIds[i]) + " (position " +
                  std::to_string(i) + ") is negative");
    maxPromptId_ = std::max(maxPromptId_, promptIds[i]);
  }
  // Only the repetition penalty looks at the prompt.
  if (params.repetitionPenalty != 1.0)
    for (int32_t id : promptIds)
      counts_.emplace(id, 0);
}

void Sampler::fillLogprobs(const float *logits, int64_t vocabSize, double rawSum, SampledToken &out) {
  // Log-softmax of the raw logits: logit - max - log(sum exp(logit - max)).
  double maxLogit = logits[argmax(logits, vocabSize)];
  if (!(rawSum > 0.0)) {
    rawSum = 0.0;
    for (int64_t i = 0; i < vocabSize; ++i)
      rawSum += weight(logits[i], maxLogit, 1.0);
  }
  double logSum = std::log(rawSum);
  auto logprob = [&](float logit) {
    if (std::isinf(maxLogit))
      return float(std::log(weight(logit, maxLogit, 1.0)) - logSum);
    return float(double(logit) - maxLogit - logSum);
  };
  out.logprob = logprob(logits[out.token]);
  selectBest(logits, vocabSize, size_t(std::max<int64_t>(params_.logprobs, 0)));
  std::sort(candidates_.begin(), candidates_.end(), ranksBefore);
  out.top.clear();
  out.top.reserve(candidates_.size());
  for (const Candidate &c : candidates_)
    out.top.push_back({c.id, logprob(c.logit)});
}

SampledToken Sampler::score(const float *logits, int64_t vocabSize, int32_t token) {
  if (vocabSize < 1 || vocabSize > INT32_MAX || token < 0 || token >= vocabSize)
    throw Error("sampling: " + notInVocab(token, vocabSize));
  if (argmax(logits, vocabSize) < 0)
    throw Error("sampling: every logit is NaN");
  SampledToken out;
  out.token = token;
  fillLogprobs(logits, vocabSize, 0.0, out);
  return out;
}

SampledToken Sampler::sample(const float *logits, int64_t vocabSize) {
  if (vocabSize < 1 || vocabSize > INT32_MAX)
    throw Error("sampling: the vocabulary size must be in [1, 2^31), got " +
                std::to_string(vocabSize));
  if (maxPromptId_ >= vocabSize)
    throw Error("sampling: prompt " + notInVocab(maxPromptId_, vocabSize));

  const float *x = logits;
  if (params_.hasPenalties()) {
    penalized_.assign(logits, logits + vocabSize);
    penalize(penalized_.data(), vocabSize, params_, counts_);
    x = penalized_.data();
  }
  SampledToken out;
  double sumAll = 0.0;
  out.token = draw(x, vocabSize, sumAll); // penalties keep NaN as NaN and nothing else

  if (params_.logprobs >= 0)
    // The draw's sum is the raw one when it saw the raw logits at temperature 1.
    fillLogprobs(logits, vocabSize, x == logits && params_.temperature == 1.0 ? sumAll : 0.0, out);

  generated_.push_back(out.token);
  if (params_.hasPenalties())
    ++counts_[out.token];
  return out;
}

bool Sampler::ranksBefore(const Candidate &a, const Candidate &b) {
  return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
}

void Sampler::selectBest(const float *x, int64_t vocabSize, size_t k) {
  std::vector<Candidate> &cands = candidates_;
  cands.clear();
  if (k == 0)
    return;
  if (int64_t(k) * 16 > vocabSize) {
    for (int64_t i = 0; i < vocabSize; ++i)
      if (!std::isnan(x[i]))
        cands.push_back({x[i], int32_t(i), 0.0});
    if (k < cands.size()) {
      std::nth_element(cands.begin(), cands.begin() + ptrdiff_t(k), cands.end(), ranksBefore);
      cands.resize(k);
    }
    return;
  }
  // A heap of the best so far, the worst in front. Scanning by id, a later token ranks before
  // the worst only with a larger logit, which most tokens fail at the first comparison.
  float worst = 0.0f;
  for (int64_t i = 0; i < vocabSize; ++i) {
    float logit = x[i];
    if (cands.size() == k) {
      if (!(logit > worst))
        continue;
      std::pop_heap(cands.begin(), cands.end(), ranksBefore);
      cands.back() = {logit, int32_t(i), 0.0};
    } else if (std::isnan(logit)) {
      continue;
    } else {
      cands.push_back({logit, int32_t(i), 0.0});
    }
    std::push_heap(cands.begin(), cands.end(), ranksBefore);
    worst = cands.front().logit;
  }
}

int32_t Sampler::draw(const float *x, int64_t vocabSize, double &sumAll) {
  int64_t best = argmax(x, vocabSize);
  if (best < 0)
    throw Error("sampling: every logit is NaN");
  if (params_.temperature == 0.0)
    return int32_t(best); // greedy: no draw

  // A uniform double in [0, 1) from the top 53 bits of one draw.
  double u = double(rng_() >> 11) * (1.0 / 9007199254740992.0);

  // Weights are relative to the largest, which weighs 1: min-p keeps weights >= minP.
  double maxLogit = x[best], temperature = params_.temperature, minWeight = params_.minP;
  std::vector<Candidate> &cands = candidates_;
  bool topK = params_.topK > 0 && params_.topK < vocabSize, topP = params_.topP < 1.0;

  if (!topK && !topP) {
    // Min-p at most: walk the whole vocabulary by id, nothing sorted.
    double kept = 0.0;
    weights_.resize(size_t(vocabSize));
    for (int64_t i = 0; i < vocabSize; ++i) {
      double w = weight(x[i], maxLogit, temperature);
      weights_[size_t(i)] = w;
      sumAll += w;
      kept += w >= minWeight ? w : 0.0;
    }
    double target = u * kept, acc = 0.0;
    int32_t last = int32_t(best);
    for (int64_t i = 0; i < vocabSize; ++i) {
      double w = weights_[size_t(i)];
      if (w > 0.0 && w >= minWeight) {
        acc += w;
        last = int32_t(i);
        if (target < acc)
          return int32_t(i);
      }
    }
    return last; // rounding left target at the very end
  }

  // The candidates for top-p, with their weights, and the mass it takes a share of: with top-k,
  // the k best (k weights to compute); without, every token's weight is needed for the mass, but
  // only those heavy enough to matter become candidates (a prefix by logit; all of them when
  // that prefix falls short).
  double mass = 0.0;
  bool partial = false;
  auto addAbove = [&](double minLogit) {
    cands.clear();
    for (int64_t i = 0; i < vocabSize; ++i)
      if (double(x[i]) >= minLogit) // false for NaN
        cands.push_back({x[i], int32_t(i), weight(x[i], maxLogit, temperature)});
  };
  if (topK) {
    selectBest(x, vocabSize, size_t(params_.topK));
    for (Candidate &c : cands) {
      c.weight = weight(c.logit, maxLogit, temperature);
      mass += c.weight;
    }
  } else {
    int64_t count = 0;
    for (int64_t i = 0; i < vocabSize; ++i) {
      mass += weight(x[i], maxLogit, temperature);
      count += !std::isnan(x[i]);
    }
    sumAll = mass;
    // The tokens below w can weigh (1 - topP) * mass / 2 together at most: the cut comes before.
    double w = 0.5 * (1.0 - params_.topP) * mass / double(count);
    partial = std::isfinite(maxLogit) && w > 0.0;
    addAbove(partial ? maxLogit + temperature * std::log(w) : -HUGE_VAL);
  }

  // Top-p: sorts a prefix of the candidates, doubling it until it holds the share of the mass.
  size_t keep = cands.size();
  if (topP) {
    double threshold = params_.topP * mass;
    for (bool again = true; again;) {
      again = false;
      double acc = 0.0;
      size_t sorted = 0, j = 0, end = cands.size();
      auto begin = cands.begin();
      for (; j < end; ++j) {
        if (j == sorted) {
          size_t n = std::min(end, std::max<size_t>(2 * sorted, 64));
          if (n < end)
            std::nth_element(begin + ptrdiff_t(sorted), begin + ptrdiff_t(n),
                             begin + ptrdiff_t(end), ranksBefore);
          std::sort(begin + ptrdiff_t(sorted), begin + ptrdiff_t(n), ranksBefore);
          sorted = n;
        }
        acc += cands[j].weight;
        if (acc >= threshold)
          break;
      }
      keep = std::min(j + 1, end); // all of them when rounding kept acc below
      if (j == end && partial) {
        addAbove(-HUGE_VAL); // rounding: start again with every token
        partial = false;
        again = true;
      }
    }
  }

  // Min-p, then the draw by ascending id.
  auto keptEnd = std::remove_if(cands.begin(), cands.begin() + ptrdiff_t(keep),
                                [&](const Candidate &c) { return !(c.weight >= minWeight); });
  std::sort(cands.begin(), keptEnd, [](const Candidate &a, const Candidate &b) { return a.id < b.id; });
  double total = 0.0;
  for (auto it = cands.begin(); it != keptEnd; ++it)
    total += it->weight;
  double target = u * total, acc = 0.0;
  int32_t last = int32_t(best);
  for (auto it = cands.begin(); it != keptEnd; ++it) {
    if (it->weight > 0.0) {
      acc += it->weight;
      last = it->id;
      if (target < acc)
        return it->id;
    }
  }
  return last; // rounding left target at the very end
}

} // namespace axe
