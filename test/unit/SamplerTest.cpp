//===- SamplerTest.cpp - greedy argmax and seeded sampling ----------------===//

#include "runtime/Sampler.h"

#include "models/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace {

using axe::Sampler;
using axe::SamplerOptions;

TEST(Sampler, GreedyIsArgmax) {
  Sampler greedy(SamplerOptions{});
  std::vector<float> logits = {0.1f, 3.0f, -2.0f, 3.0f, 1.0f};
  EXPECT_EQ(greedy.sample(logits.data(), 5), 1); // ties: lowest id
  float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> withNan = {nan, -1.0f, nan, -0.5f};
  EXPECT_EQ(greedy.sample(withNan.data(), 4), 3);
  std::vector<float> allNan = {nan, nan};
  EXPECT_THROW(greedy.sample(allNan.data(), 2), axe::Error);
  EXPECT_EQ(axe::argmax(allNan.data(), 2), -1);
}

std::vector<int32_t> draw(const SamplerOptions &o, const std::vector<float> &logits, int n) {
  Sampler s(o);
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(s.sample(logits.data(), int64_t(logits.size())));
  return out;
}

TEST(Sampler, SeededSamplingIsDeterministic) {
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i)
    logits[i] = std::sin(float(i));
  SamplerOptions o;
  o.temperature = 1.0;
  o.seed = 42;
  EXPECT_EQ(draw(o, logits, 200), draw(o, logits, 200));
  SamplerOptions other = o;
  other.seed = 43;
  EXPECT_NE(draw(o, logits, 200), draw(other, logits, 200));
}

TEST(Sampler, FollowsTheSoftmax) {
  // p(1) = 3 / 4 at temperature 1.
  std::vector<float> logits = {0.0f, std::log(3.0f)};
  SamplerOptions o;
  o.temperature = 1.0;
  o.seed = 7;
  std::vector<int32_t> ids = draw(o, logits, 20000);
  double ones = 0;
  for (int32_t id : ids)
    ones += id;
  EXPECT_NEAR(ones / ids.size(), 0.75, 0.015);
}

TEST(Sampler, TopKAndTopPRestrictTheChoice) {
  std::vector<float> logits = {1.0f, 4.0f, 3.0f, 2.0f, 0.0f};
  SamplerOptions o;
  o.temperature = 5.0; // nearly flat
  o.topK = 2;
  for (int32_t id : draw(o, logits, 500))
    EXPECT_TRUE(id == 1 || id == 2) << id;
  o.topK = 1;
  for (int32_t id : draw(o, logits, 50))
    EXPECT_EQ(id, 1);
  o.topK = 0;
  o.temperature = 1.0;
  o.topP = 0.01; // only the most likely token is inside the nucleus
  for (int32_t id : draw(o, logits, 50))
    EXPECT_EQ(id, 1);
}

TEST(Sampler, RejectsBadOptions) {
  SamplerOptions o;
  o.temperature = -1;
  EXPECT_THROW(Sampler{o}, axe::Error);
  o = SamplerOptions();
  o.topP = 0;
  EXPECT_THROW(Sampler{o}, axe::Error);
  o = SamplerOptions();
  o.topK = -3;
  EXPECT_THROW(Sampler{o}, axe::Error);
}

} // namespace
