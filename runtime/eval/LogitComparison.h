//===- LogitComparison.h - how far a model's logits are from a reference's -*- C++ -*-===//
//
// `axe-run eval` compares a model with a reference (another artifact, or logits written by
// transformers) position by position over a text, as llama.cpp's KL-divergence tool does. Each
// scored position contributes the two logits rows and the token that came next:
//
//   KLD   = sum_v p_ref(v) (log p_ref(v) - log p(v))      (nats; 0 when the rows agree)
//   top-1 : argmax p == argmax p_ref
//   nll   = -log p(next), -log p_ref(next)               (perplexity = exp(mean nll))
//   dp    = p(next) - p_ref(next)
//
// Everything is computed in double from float rows. A row with a NaN or infinity is an error:
// statistics over it would be meaningless.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_EVAL_LOGITCOMPARISON_H
#define AXE_RUNTIME_EVAL_LOGITCOMPARISON_H

#include <cstdint>
#include <string>
#include <vector>

namespace axe {

// A sample's mean with its standard error, and its quantiles.
struct Distribution {
  double mean = 0, stderror = 0;
  double min = 0, p01 = 0, p1 = 0, p5 = 0, p10 = 0, median = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0;
  double rms = 0;
};
// Summarizes `values` (at least one); the quantile q is the value at rank round(q (n - 1)) of the
// sorted sample.
Distribution describe(std::vector<double> values);

struct ComparisonSummary {
  int64_t positions = 0;
  Distribution kld;           // nats
  Distribution deltaP;        // p(next) - p_ref(next)
  double top1 = 0, top1Error = 0; // agreement fraction and its standard error
  double perplexity = 0, perplexityError = 0;
  double referencePerplexity = 0, referencePerplexityError = 0;
  // mean(nll - nll_ref) = ln(PPL / PPL_ref), its standard error, and exp of it.
  double logPerplexityRatio = 0, logPerplexityRatioError = 0, perplexityRatio = 0;
  double nllCorrelation = 0; // Pearson correlation of the per-position nll pairs
};

class LogitComparison {
public:
  explicit LogitComparison(int64_t vocabSize) : vocab_(vocabSize) {}

  // One scored position: `logits` and `reference` rows of vocabSize floats, and the token that
  // follows. `where` names the position in error messages ("window 3, position 17").
  void add(const float *logits, const float *reference, int32_t next, const std::string &where);

  int64_t positions() const { return int64_t(kld_.size()); }
  // At least one position added.
  ComparisonSummary summarize() const;

private:
  int64_t vocab_;
  std::vector<double> kld_, deltaP_, nll_, referenceNll_;
  int64_t sameTop_ = 0;
  std::vector<double> logProbs_, referenceLogProbs_; // scratch rows
};

} // namespace axe

#endif // AXE_RUNTIME_EVAL_LOGITCOMPARISON_H
