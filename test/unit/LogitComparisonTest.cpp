//===- LogitComparisonTest.cpp - the figures axe-run eval reports ---------===//
//
// Each figure is checked against a value worked out by hand from its definition
// (runtime/eval/LogitComparison.h), on rows small enough to do so.
//
//===----------------------------------------------------------------------===//

#include "runtime/eval/LogitComparison.h"

#include "support/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace {

using axe::LogitComparison;

TEST(LogitComparisonTest, IdenticalRowsAgreeExactly) {
  LogitComparison c(4);
  std::vector<float> row = {1.0f, -2.0f, 0.5f, 3.0f};
  c.add(row.data(), row.data(), 2, "p0");
  c.add(row.data(), row.data(), 3, "p1");
  axe::ComparisonSummary s = c.summarize();
  EXPECT_EQ(s.positions, 2);
  EXPECT_EQ(s.kld.max, 0.0);
  EXPECT_EQ(s.top1, 1.0);
  EXPECT_DOUBLE_EQ(s.perplexityRatio, 1.0);
  EXPECT_EQ(s.deltaP.max, 0.0);
}

TEST(LogitComparisonTest, TwoTokenRowsMatchTheirClosedForms) {
  // Reference p_ref = (1/2, 1/2); model p = (e/(1+e), 1/(1+e)) from logits (1, 0).
  LogitComparison c(2);
  std::vector<float> model = {1.0f, 0.0f}, reference = {0.0f, 0.0f};
  c.add(model.data(), reference.data(), 1, "p0");
  axe::ComparisonSummary s = c.summarize();
  double p0 = std::exp(1.0) / (1 + std::exp(1.0)), p1 = 1 - p0;
  double kld = 0.5 * std::log(0.5 / p0) + 0.5 * std::log(0.5 / p1);
  EXPECT_NEAR(s.kld.mean, kld, 1e-12);
  EXPECT_NEAR(s.deltaP.mean, p1 - 0.5, 1e-12);
  EXPECT_NEAR(s.perplexity, 1 / p1, 1e-12);
  EXPECT_NEAR(s.referencePerplexity, 2.0, 1e-12);
  EXPECT_NEAR(s.perplexityRatio, 0.5 / p1, 1e-12);
  // Ties go to the lower index, so the reference's argmax is token 0, the model's too.
  EXPECT_EQ(s.top1, 1.0);
}

TEST(LogitComparisonTest, TopOneCountsDisagreements) {
  LogitComparison c(3);
  std::vector<float> a = {0, 5, 0}, b = {5, 0, 0};
  c.add(a.data(), a.data(), 0, "p0");
  c.add(a.data(), b.data(), 0, "p1");
  c.add(a.data(), a.data(), 0, "p2");
  c.add(b.data(), a.data(), 0, "p3");
  axe::ComparisonSummary s = c.summarize();
  EXPECT_DOUBLE_EQ(s.top1, 0.5);
  EXPECT_NEAR(s.top1Error, std::sqrt(0.25 / 4), 1e-15);
}

TEST(LogitComparisonTest, LargeLogitsDoNotOverflow) {
  LogitComparison c(2);
  std::vector<float> a = {3e38f, 0}, b = {3e38f, 1e38f};
  c.add(a.data(), b.data(), 0, "p0");
  axe::ComparisonSummary s = c.summarize();
  EXPECT_TRUE(std::isfinite(s.kld.mean));
  EXPECT_EQ(s.kld.mean, 0.0); // both put all their mass on token 0
}

TEST(LogitComparisonTest, NonFiniteRowsAndBadTokensAreErrors) {
  LogitComparison c(2);
  std::vector<float> good = {0, 1}, nan = {0, std::numeric_limits<float>::quiet_NaN()},
                     inf = {std::numeric_limits<float>::infinity(), 0};
  EXPECT_THROW(c.add(nan.data(), good.data(), 0, "window 0, position 5"), axe::Error);
  EXPECT_THROW(c.add(good.data(), inf.data(), 0, "p"), axe::Error);
  EXPECT_THROW(c.add(good.data(), good.data(), 2, "p"), axe::Error);
  EXPECT_THROW(c.summarize(), axe::Error); // nothing was added
  try {
    c.add(nan.data(), good.data(), 0, "window 0, position 5");
  } catch (const axe::Error &e) {
    EXPECT_NE(std::string(e.what()).find("window 0, position 5"), std::string::npos) << e.what();
  }
}

TEST(LogitComparisonTest, DescribeTakesQuantilesByRank) {
  std::vector<double> v;
  for (int i = 100; i >= 0; --i) // 0..100, unsorted
    v.push_back(i);
  axe::Distribution d = axe::describe(v);
  EXPECT_EQ(d.min, 0);
  EXPECT_EQ(d.max, 100);
  EXPECT_EQ(d.median, 50);
  EXPECT_EQ(d.p1, 1);
  EXPECT_EQ(d.p99, 99);
  EXPECT_EQ(d.p90, 90);
  EXPECT_DOUBLE_EQ(d.mean, 50);
  // Sample variance: sum (x - 50)^2 / (n - 1) = 2 (50 * 51 * 101 / 6) / 100 = 858.5; stderr = sqrt(858.5 / n).
  EXPECT_NEAR(d.stderror, std::sqrt(858.5 / 101), 1e-12);
  EXPECT_THROW(axe::describe({}), axe::Error);
}

} // namespace
