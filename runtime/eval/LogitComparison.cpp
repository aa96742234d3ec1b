//===- LogitComparison.cpp ------------------------------------------------===//

#include "runtime/eval/LogitComparison.h"

#include "support/Error.h"

#include <algorithm>
#include <cmath>

namespace axe {

namespace {

// log-softmax of `row` into `out` (double); throws on a non-finite logit. Returns the argmax.
int64_t logSoftmax(const float *row, int64_t n, std::vector<double> &out, const char *whose,
                   const std::string &where) {
  out.resize(size_t(n));
  int64_t best = 0;
  for (int64_t v = 0; v < n; ++v) {
    if (!std::isfinite(row[v]))
      throw Error(std::string(whose) + " logits are not finite at " + where + " (token " + std::to_string(v) +
                  ": " + std::to_string(row[v]) + ")");
    if (row[v] > row[best])
      best = v;
  }
  double top = row[best], sum = 0;
  for (int64_t v = 0; v < n; ++v)
    sum += std::exp(double(row[v]) - top);
  double logZ = top + std::log(sum);
  for (int64_t v = 0; v < n; ++v)
    out[size_t(v)] = double(row[v]) - logZ;
  return best;
}

double meanOf(const std::vector<double> &x) {
  double s = 0;
  for (double v : x)
    s += v;
  return s / double(x.size());
}

double stderrOf(const std::vector<double> &x, double mean) {
  if (x.size() < 2)
    return 0;
  double s = 0;
  for (double v : x)
    s += (v - mean) * (v - mean);
  return std::sqrt(s / double(x.size() - 1) / double(x.size()));
}

} // namespace

Distribution describe(std::vector<double> values) {
  if (values.empty())
    throw Error("describe: no values");
  Distribution d;
  d.mean = meanOf(values);
  d.stderror = stderrOf(values, d.mean);
  double squares = 0;
  for (double v : values)
    squares += v * v;
  d.rms = std::sqrt(squares / double(values.size()));
  std::sort(values.begin(), values.end());
  auto at = [&](double q) { return values[size_t(std::llround(q * double(values.size() - 1)))]; };
  d.min = values.front();
  d.p01 = at(0.001);
  d.p1 = at(0.01);
  d.p5 = at(0.05);
  d.p10 = at(0.10);
  d.median = at(0.5);
  d.p90 = at(0.90);
  d.p95 = at(0.95);
  d.p99 = at(0.99);
  d.p999 = at(0.999);
  d.max = values.back();
  return d;
}

void LogitComparison::add(const float *logits, const float *reference, int32_t next, const std::string &where) {
  if (next < 0 || next >= vocab_)
    throw Error("token " + std::to_string(next) + " at " + where + " is outside the vocabulary of " +
                std::to_string(vocab_));
  int64_t top = logSoftmax(logits, vocab_, logProbs_, "the model's", where);
  int64_t referenceTop = logSoftmax(reference, vocab_, referenceLogProbs_, "the reference's", where);
  double kld = 0;
  for (int64_t v = 0; v < vocab_; ++v) {
    double lr = referenceLogProbs_[size_t(v)];
    kld += std::exp(lr) * (lr - logProbs_[size_t(v)]);
  }
  // Rounding can leave a tiny negative sum where the rows agree; KL is never below 0.
  kld_.push_back(std::max(kld, 0.0));
  double lm = logProbs_[size_t(next)], lr = referenceLogProbs_[size_t(next)];
  nll_.push_back(-lm);
  referenceNll_.push_back(-lr);
  deltaP_.push_back(std::exp(lm) - std::exp(lr));
  sameTop_ += top == referenceTop;
}

ComparisonSummary LogitComparison::summarize() const {
  if (kld_.empty())
    throw Error("no positions were scored");
  ComparisonSummary s;
  s.positions = int64_t(kld_.size());
  double n = double(kld_.size());
  s.kld = describe(kld_);
  s.deltaP = describe(deltaP_);
  s.top1 = double(sameTop_) / n;
  s.top1Error = std::sqrt(s.top1 * (1 - s.top1) / n);

  double nll = meanOf(nll_), referenceNll = meanOf(referenceNll_);
  s.perplexity = std::exp(nll);
  s.perplexityError = s.perplexity * stderrOf(nll_, nll);
  s.referencePerplexity = std::exp(referenceNll);
  s.referencePerplexityError = s.referencePerplexity * stderrOf(referenceNll_, referenceNll);
  std::vector<double> logRatio(nll_.size());
  for (size_t i = 0; i < nll_.size(); ++i)
    logRatio[i] = nll_[i] - referenceNll_[i];
  s.logPerplexityRatio = meanOf(logRatio);
  s.logPerplexityRatioError = stderrOf(logRatio, s.logPerplexityRatio);
  s.perplexityRatio = std::exp(s.logPerplexityRatio);

  double covariance = 0, variance = 0, referenceVariance = 0;
  for (size_t i = 0; i < nll_.size(); ++i) {
    covariance += (nll_[i] - nll) * (referenceNll_[i] - referenceNll);
    variance += (nll_[i] - nll) * (nll_[i] - nll);
    referenceVariance += (referenceNll_[i] - referenceNll) * (referenceNll_[i] - referenceNll);
  }
  s.nllCorrelation = variance > 0 && referenceVariance > 0 ? covariance / std::sqrt(variance * referenceVariance) : 1.0;
  return s;
}

} // namespace axe
