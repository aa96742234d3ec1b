//===- SamplerTest.cpp - greedy, seeded sampling, penalties, logprobs -----===//
//
// Distribution checks draw 20,000 tokens with a fixed seed and allow each token's frequency 5
// binomial standard deviations, sqrt(p (1 - p) / n), around its expected probability; a token
// that should be cut must never be drawn. Fixed seeds make them deterministic, not flaky.
//
//===----------------------------------------------------------------------===//

#include "runtime/Sampler.h"

#include "support/Error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using axe::SampledToken;
using axe::Sampler;
using axe::SamplingParams;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

SamplingParams sampling(double temperature, uint64_t seed = 7) {
  SamplingParams p;
  p.temperature = temperature;
  p.seed = seed;
  return p;
}

std::vector<int32_t> draw(const SamplingParams &p, const std::vector<float> &logits, int n,
                          const std::vector<int32_t> &prompt = {}) {
  Sampler s(p, prompt);
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(s.sample(logits.data(), int64_t(logits.size())).token);
  return out;
}

// softmax(logits / temperature) in double.
std::vector<double> softmax(const std::vector<float> &logits, double temperature = 1.0) {
  double max = *std::max_element(logits.begin(), logits.end()), total = 0.0;
  std::vector<double> p;
  for (float l : logits) {
    p.push_back(std::exp((double(l) - max) / temperature));
    total += p.back();
  }
  for (double &v : p)
    v /= total;
  return p;
}

// `probs` restricted to `ids` and renormalised.
std::vector<double> restrict(const std::vector<double> &probs, const std::vector<int32_t> &ids) {
  std::vector<double> out(probs.size(), 0.0);
  double total = 0.0;
  for (int32_t id : ids)
    total += probs[size_t(id)];
  for (int32_t id : ids)
    out[size_t(id)] = probs[size_t(id)] / total;
  return out;
}

void expectFrequencies(const SamplingParams &p, const std::vector<float> &logits,
                       const std::vector<double> &probs, int n = 20000,
                       const std::vector<int32_t> &prompt = {}) {
  std::vector<int> counts(logits.size(), 0);
  for (int32_t id : draw(p, logits, n, prompt)) {
    ASSERT_GE(id, 0);
    ASSERT_LT(size_t(id), logits.size());
    ++counts[size_t(id)];
  }
  for (size_t i = 0; i < logits.size(); ++i) {
    double freq = double(counts[i]) / n;
    if (probs[i] == 0.0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " should be cut";
      continue;
    }
    double tolerance = 5.0 * std::sqrt(probs[i] * (1.0 - probs[i]) / n);
    EXPECT_NEAR(freq, probs[i], tolerance) << "token " << i;
  }
}

std::vector<float> logOf(const std::vector<double> &probs) {
  std::vector<float> out;
  for (double p : probs)
    out.push_back(float(std::log(p)));
  return out;
}

TEST(Sampler, GreedyIsArgmax) {
  Sampler greedy(SamplingParams{}, {});
  std::vector<float> logits = {0.1f, 3.0f, -2.0f, 3.0f, 1.0f};
  EXPECT_EQ(greedy.sample(logits.data(), 5).token, 1); // ties: lowest id
  std::vector<float> withNan = {kNaN, -1.0f, kNaN, -0.5f};
  EXPECT_EQ(greedy.sample(withNan.data(), 4).token, 3);
  std::vector<float> allNan = {kNaN, kNaN};
  EXPECT_THROW(greedy.sample(allNan.data(), 2), axe::Error);
  EXPECT_EQ(axe::argmax(allNan.data(), 2), -1);
  EXPECT_EQ(greedy.generated(), (std::vector<int32_t>{1, 3})); // not the failed call
  std::vector<float> withInf = {1.0f, kInf, 2.0f, kInf};
  EXPECT_EQ(greedy.sample(withInf.data(), 4).token, 1);
  SampledToken t = greedy.sample(logits.data(), 5);
  EXPECT_EQ(t.logprob, 0.0f); // logprobs off
  EXPECT_TRUE(t.top.empty());
}

TEST(Sampler, SeededSamplingIsDeterministic) {
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i)
    logits[i] = std::sin(float(i));
  SamplingParams p = sampling(1.0, 42);
  std::vector<int32_t> first = draw(p, logits, 200);
  EXPECT_EQ(first, draw(p, logits, 200));
  EXPECT_NE(first, draw(sampling(1.0, 43), logits, 200));

  // Another sampler running in between changes nothing.
  Sampler a(p, {}), b(sampling(1.0, 42), {});
  std::vector<int32_t> interleaved;
  for (int i = 0; i < 200; ++i) {
    interleaved.push_back(a.sample(logits.data(), 50).token);
    b.sample(logits.data(), 50);
  }
  EXPECT_EQ(interleaved, first);
  EXPECT_EQ(a.generated(), first);
}

TEST(Sampler, FollowsTheSoftmax) {
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 1.0f, 0.0f};
  expectFrequencies(sampling(1.0), logits, softmax(logits));
  // Two tokens, p(1) = 3 / 4.
  expectFrequencies(sampling(1.0, 11), {0.0f, std::log(3.0f)}, {0.25, 0.75});
}

TEST(Sampler, TemperatureSharpens) {
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 1.0f, 0.0f};
  std::vector<double> sharp = softmax(logits, 0.5);
  EXPECT_GT(sharp[1], softmax(logits)[1] + 0.2); // the test means something
  expectFrequencies(sampling(0.5), logits, sharp);
  expectFrequencies(sampling(2.0), logits, softmax(logits, 2.0));
}

TEST(Sampler, TopKDrawsOnlyTheBest) {
  std::vector<float> logits = {1.0f, 4.0f, 3.0f, 2.0f, 0.0f};
  SamplingParams p = sampling(5.0); // nearly flat
  p.topK = 2;
  expectFrequencies(p, logits, restrict(softmax(logits, 5.0), {1, 2}));
  p.topK = 1;
  for (int32_t id : draw(p, logits, 50))
    EXPECT_EQ(id, 1);
  // Ties at the cut: the lower ids.
  std::vector<float> tied = {1.0f, 3.0f, 3.0f, 3.0f, 0.0f};
  p.topK = 2;
  expectFrequencies(p, tied, {0.0, 0.5, 0.5, 0.0, 0.0});
  p.topK = 100; // more than the vocabulary: no cut
  expectFrequencies(p, logits, softmax(logits, 5.0));
  // The same in a larger vocabulary, where a small k is picked differently.
  std::vector<float> flat(100, 1.0f);
  flat[50] = kNaN;
  flat[70] = 2.0f;
  std::vector<double> expected(100, 0.0);
  expected[70] = std::exp(1.0 / 5.0) / (std::exp(1.0 / 5.0) + 2.0);
  expected[0] = expected[1] = 1.0 / (std::exp(1.0 / 5.0) + 2.0);
  p.topK = 3;
  expectFrequencies(p, flat, expected);
}

TEST(Sampler, TopPCutsWhereExpected) {
  // By probability: 1 (0.4), 3 (0.3), 0 (0.2), 2 (0.1).
  std::vector<double> probs = {0.2, 0.4, 0.1, 0.3};
  std::vector<float> logits = logOf(probs);
  SamplingParams p = sampling(1.0);
  p.topP = 0.01; // only the most likely
  expectFrequencies(p, logits, {0.0, 1.0, 0.0, 0.0});
  p.topP = 0.65; // 0.4 < 0.65 <= 0.7
  expectFrequencies(p, logits, restrict(probs, {1, 3}));
  p.topP = 0.75; // 0.7 < 0.75 <= 0.9
  expectFrequencies(p, logits, restrict(probs, {0, 1, 3}));
  p.topP = 0.95;
  expectFrequencies(p, logits, probs);
  // Reaching counts: four equal weights, 0.5 is reached by exactly two (the lower ids).
  p.topP = 0.5;
  expectFrequencies(p, {0.0f, 0.0f, 0.0f, 0.0f}, {0.5, 0.5, 0.0, 0.0});
  // After top-k, on the renormalised top 2: 0.4 / 0.7 = 0.57 reaches 0.55 alone.
  p.topK = 2;
  p.topP = 0.55;
  expectFrequencies(p, logits, {0.0, 1.0, 0.0, 0.0});
  p.topK = 0; // without it, 0.4 does not
  expectFrequencies(p, logits, restrict(probs, {1, 3}));
}

TEST(Sampler, MinPCutsWhereExpected) {
  std::vector<double> probs = {0.2, 0.4, 0.1, 0.3};
  std::vector<float> logits = logOf(probs);
  SamplingParams p = sampling(1.0);
  p.minP = 0.6; // below 0.24
  expectFrequencies(p, logits, restrict(probs, {1, 3}));
  p.minP = 0.3; // below 0.12
  expectFrequencies(p, logits, restrict(probs, {0, 1, 3}));
  p.minP = 1.0; // only the most likely, ties included
  expectFrequencies(p, logits, {0.0, 1.0, 0.0, 0.0});
  expectFrequencies(p, {2.0f, 1.0f, 2.0f}, {0.5, 0.0, 0.5});
  // Relative to the maximum after the temperature: at 0.5, 0.3 / 0.4 becomes 0.5625.
  p.temperature = 0.5;
  p.minP = 0.6;
  expectFrequencies(p, logits, {0.0, 1.0, 0.0, 0.0});

  // Min-p comes after top-p: with 0.5, 0.3, 0.2, top-p 0.6 keeps two tokens and min-p 0.5 keeps
  // both (0.3 >= 0.25). The other way round, top-p would see 0.625 and keep one.
  std::vector<double> three = {0.5, 0.3, 0.2};
  p = sampling(1.0);
  p.topP = 0.6;
  p.minP = 0.5;
  expectFrequencies(p, logOf(three), restrict(three, {0, 1}));
}

TEST(Sampler, InfiniteLogits) {
  // The +inf logits share everything.
  expectFrequencies(sampling(1.0), {1.0f, kInf, 0.0f, kInf, kNaN}, {0.0, 0.5, 0.0, 0.5, 0.0});
  // Every logit -inf: all alike.
  expectFrequencies(sampling(1.0), {-kInf, -kInf, kNaN, -kInf}, {1 / 3.0, 1 / 3.0, 0.0, 1 / 3.0});
  // -inf is never drawn beside a finite logit, nor NaN.
  SamplingParams p = sampling(1.0);
  expectFrequencies(p, {-kInf, 0.0f, kNaN, std::log(3.0f)}, {0.0, 0.25, 0.0, 0.75});
  p.topP = 0.99;
  expectFrequencies(p, {-kInf, 0.0f, kNaN, std::log(3.0f)}, {0.0, 0.25, 0.0, 0.75});
  std::vector<float> allNan = {kNaN, kNaN, kNaN};
  Sampler s(p, {});
  EXPECT_THROW(s.sample(allNan.data(), 3), axe::Error);
}

TEST(Sampler, PenaltiesMatchAHandComputedCase) {
  std::vector<float> raw = {2.0f, -1.0f, 0.5f, 3.0f, 0.0f};
  std::vector<int32_t> prompt = {0, 2}, generated = {3, 3, 1};
  auto penalized = [&](double presence, double frequency, double repetition) {
    SamplingParams p;
    p.presencePenalty = presence;
    p.frequencyPenalty = frequency;
    p.repetitionPenalty = repetition;
    std::vector<float> logits = raw;
    axe::applyPenalties(logits.data(), 5, p, prompt, generated);
    return logits;
  };
  // Repetition over the prompt and the generated tokens: positive / 2, negative * 2.
  EXPECT_EQ(penalized(0, 0, 2.0), (std::vector<float>{1.0f, -2.0f, 0.25f, 1.5f, 0.0f}));
  // Frequency over the generated tokens only: 3 twice, 1 once.
  EXPECT_EQ(penalized(0, 0.5, 1.0), (std::vector<float>{2.0f, -1.5f, 0.5f, 2.0f, 0.0f}));
  // Presence: once per generated token, whatever the count.
  EXPECT_EQ(penalized(0.25, 0, 1.0), (std::vector<float>{2.0f, -1.25f, 0.5f, 2.75f, 0.0f}));
  // All three: repetition first, then frequency and presence.
  EXPECT_EQ(penalized(0.25, 0.5, 2.0), (std::vector<float>{1.0f, -2.75f, 0.25f, 0.25f, 0.0f}));
  // Negative penalties encourage repetition.
  EXPECT_EQ(penalized(-1.0, -0.5, 1.0), (std::vector<float>{2.0f, 0.5f, 0.5f, 5.0f, 0.0f}));

  // A Sampler keeps the same history itself: force 3, 3, 1 (penalties cannot overturn 100),
  // then the raw logits' greedy choice 3 becomes 0, and its penalized logits are those above.
  SamplingParams p;
  p.presencePenalty = 0.25;
  p.frequencyPenalty = 0.5;
  p.repetitionPenalty = 2.0;
  Sampler s(p, prompt);
  for (int32_t id : generated) {
    std::vector<float> force(5, 0.0f);
    force[size_t(id)] = 100.0f;
    ASSERT_EQ(s.sample(force.data(), 5).token, id);
  }
  EXPECT_EQ(s.generated(), generated);
  std::vector<float> logits = raw;
  EXPECT_EQ(s.sample(logits.data(), 5).token, 0);
  EXPECT_EQ(logits, raw); // the caller's logits are not modified
  EXPECT_EQ(draw(SamplingParams{}, raw, 1, prompt)[0], 3);

  // Sampling sees the penalized logits too. Repetition 2 halves the prompt's token 0 (2 -> 1) and
  // leaves the zeros as they are, so every draw follows softmax(1, 0, 0).
  p = sampling(1.0);
  p.repetitionPenalty = 2.0;
  expectFrequencies(p, {2.0f, 0.0f, 0.0f}, softmax({1.0f, 0.0f, 0.0f}), 20000, {0});
}

TEST(Sampler, LogprobsAreThoseOfTheRawLogits) {
  std::vector<float> raw = {1.0f, 2.0f, 3.0f, 0.5f, 2.0f, kNaN};
  double max = 3.0, total = 0.0;
  for (float l : raw)
    if (!std::isnan(l))
      total += std::exp(double(l) - max);
  auto expected = [&](int32_t id) { return double(raw[size_t(id)]) - max - std::log(total); };

  SamplingParams p;
  p.logprobs = 3;
  Sampler greedy(p, {});
  SampledToken t = greedy.sample(raw.data(), 6);
  EXPECT_EQ(t.token, 2);
  EXPECT_NEAR(t.logprob, expected(2), 1e-6);
  ASSERT_EQ(t.top.size(), 3u);
  int32_t order[] = {2, 1, 4}; // 1 and 4 tie: the lower id first
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(t.top[i].token, order[i]);
    EXPECT_NEAR(t.top[i].logprob, expected(order[i]), 1e-6);
  }

  // Penalties and the temperature change the choice, not the reported values.
  p.temperature = 0.3;
  p.repetitionPenalty = 1.7;
  p.presencePenalty = 1.5;
  p.frequencyPenalty = 0.7;
  p.topK = 4;
  p.logprobs = 20; // more than there are numbers: all five
  Sampler s(p, {2, 4});
  for (int step = 0; step < 50; ++step) {
    t = s.sample(raw.data(), 6);
    EXPECT_NEAR(t.logprob, expected(t.token), 1e-6);
    ASSERT_EQ(t.top.size(), 5u);
    int32_t all[] = {2, 1, 4, 0, 3};
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(t.top[i].token, all[i]);
      EXPECT_NEAR(t.top[i].logprob, expected(all[i]), 1e-6);
    }
  }
  std::vector<int32_t> seen = s.generated();
  std::sort(seen.begin(), seen.end());
  EXPECT_GT(std::unique(seen.begin(), seen.end()) - seen.begin(), 1); // the penalties worked

  // 0: the chosen token's only.
  p = SamplingParams();
  p.logprobs = 0;
  t = Sampler(p, {}).sample(raw.data(), 6);
  EXPECT_NEAR(t.logprob, expected(2), 1e-6);
  EXPECT_TRUE(t.top.empty());

  // A +inf logit takes everything.
  std::vector<float> withInf = {0.0f, kInf, 1.0f};
  p.logprobs = 2;
  t = Sampler(p, {}).sample(withInf.data(), 3);
  EXPECT_EQ(t.token, 1);
  EXPECT_EQ(t.logprob, 0.0f);
  ASSERT_EQ(t.top.size(), 2u);
  EXPECT_EQ(t.top[1].token, 2);
  EXPECT_EQ(t.top[1].logprob, -kInf);
}

TEST(Sampler, RejectsBadParams) {
  double nan = std::numeric_limits<double>::quiet_NaN(), inf = kInf;
  struct Case {
    void (*set)(SamplingParams &, double);
    double value;
    const char *message;
  } cases[] = {
      {[](SamplingParams &p, double v) { p.temperature = v; }, -1, "sampling: temperature must"},
      {[](SamplingParams &p, double v) { p.temperature = v; }, nan, "sampling: temperature must"},
      {[](SamplingParams &p, double v) { p.temperature = v; }, inf, "sampling: temperature must"},
      {[](SamplingParams &p, double v) { p.topK = int64_t(v); }, -1, "sampling: top_k must"},
      {[](SamplingParams &p, double v) { p.topP = v; }, 0, "sampling: top_p must"},
      {[](SamplingParams &p, double v) { p.topP = v; }, 1.5, "sampling: top_p must"},
      {[](SamplingParams &p, double v) { p.topP = v; }, nan, "sampling: top_p must"},
      {[](SamplingParams &p, double v) { p.minP = v; }, -0.1, "sampling: min_p must"},
      {[](SamplingParams &p, double v) { p.minP = v; }, 1.1, "sampling: min_p must"},
      {[](SamplingParams &p, double v) { p.minP = v; }, nan, "sampling: min_p must"},
      {[](SamplingParams &p, double v) { p.presencePenalty = v; }, 2.5,
       "sampling: presence_penalty must"},
      {[](SamplingParams &p, double v) { p.presencePenalty = v; }, -inf,
       "sampling: presence_penalty must"},
      {[](SamplingParams &p, double v) { p.presencePenalty = v; }, nan,
       "sampling: presence_penalty must"},
      {[](SamplingParams &p, double v) { p.frequencyPenalty = v; }, -2.5,
       "sampling: frequency_penalty must"},
      {[](SamplingParams &p, double v) { p.frequencyPenalty = v; }, nan,
       "sampling: frequency_penalty must"},
      {[](SamplingParams &p, double v) { p.repetitionPenalty = v; }, 0,
       "sampling: repetition_penalty must"},
      {[](SamplingParams &p, double v) { p.repetitionPenalty = v; }, -1,
       "sampling: repetition_penalty must"},
      {[](SamplingParams &p, double v) { p.repetitionPenalty = v; }, inf,
       "sampling: repetition_penalty must"},
      {[](SamplingParams &p, double v) { p.repetitionPenalty = v; }, nan,
       "sampling: repetition_penalty must"},
      {[](SamplingParams &p, double v) { p.logprobs = int64_t(v); }, -2, "sampling: logprobs must"},
      {[](SamplingParams &p, double v) { p.logprobs = int64_t(v); }, 21, "sampling: logprobs must"},
  };
  for (const Case &c : cases) {
    SamplingParams p;
    c.set(p, c.value);
    SCOPED_TRACE(std::string(c.message) + " " + std::to_string(c.value));
    try {
      p.validate();
      ADD_FAILURE() << "accepted";
    } catch (const axe::Error &e) {
      EXPECT_EQ(std::string(e.what()).rfind(c.message, 0), 0u) << e.what();
    }
    EXPECT_THROW((Sampler{p, {}}), axe::Error);
  }

  // The edges are fine.
  SamplingParams ok;
  ok.temperature = 100;
  ok.topK = 1;
  ok.topP = 1;
  ok.minP = 1;
  ok.presencePenalty = -2;
  ok.frequencyPenalty = 2;
  ok.repetitionPenalty = 1e-3;
  ok.logprobs = 20;
  ok.validate();

  // Token ids and the vocabulary.
  EXPECT_THROW((Sampler{SamplingParams(), {1, -4}}), axe::Error);
  Sampler s(SamplingParams(), {0, 7});
  std::vector<float> logits(5, 0.0f);
  try {
    s.sample(logits.data(), 5);
    ADD_FAILURE() << "accepted prompt id 7";
  } catch (const axe::Error &e) {
    EXPECT_STREQ(e.what(), "sampling: prompt token id 7 is not in [0, vocab_size=5)");
  }
  EXPECT_THROW(s.sample(logits.data(), 0), axe::Error);
  SamplingParams p;
  p.frequencyPenalty = 1;
  EXPECT_THROW(axe::applyPenalties(logits.data(), 5, p, {}, {5}), axe::Error);
  EXPECT_THROW(axe::applyPenalties(logits.data(), 5, p, {-1}, {}), axe::Error);
}

// The reference: the spec applied naively, sorting the whole vocabulary, with the same uniform.
int32_t referenceDraw(const SamplingParams &p, const std::vector<float> &x, std::mt19937_64 &rng) {
  double u = double(rng() >> 11) * (1.0 / 9007199254740992.0);
  double max = -kInf;
  std::vector<int32_t> order;
  for (size_t i = 0; i < x.size(); ++i)
    if (!std::isnan(x[i])) {
      max = std::max(max, double(x[i]));
      order.push_back(int32_t(i));
    }
  std::vector<double> w;
  for (float l : x)
    w.push_back(std::isnan(l) ? 0.0 : std::exp((double(l) - max) / p.temperature));
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return x[size_t(a)] > x[size_t(b)]; });
  if (p.topK > 0 && size_t(p.topK) < order.size())
    order.resize(size_t(p.topK));
  double mass = 0.0, acc = 0.0;
  for (int32_t id : order)
    mass += w[size_t(id)];
  for (size_t j = 0; j < order.size() && p.topP < 1.0; ++j) {
    acc += w[size_t(order[j])];
    if (acc >= p.topP * mass) {
      order.resize(j + 1);
      break;
    }
  }
  std::vector<int32_t> kept;
  for (int32_t id : order)
    if (w[size_t(id)] >= p.minP)
      kept.push_back(id);
  std::sort(kept.begin(), kept.end());
  double total = 0.0;
  for (int32_t id : kept)
    total += w[size_t(id)];
  double target = u * total;
  acc = 0.0;
  for (int32_t id : kept) {
    acc += w[size_t(id)];
    if (target < acc)
      return id;
  }
  return kept.back();
}

TEST(Sampler, LargeVocabularyMatchesAReference) {
  // Qwen3.5's vocabulary, logits spread like a language model's: a few likely tokens, a long tail.
  std::vector<float> logits(248320);
  std::mt19937_64 gen(1);
  for (float &l : logits)
    l = float(double(gen() >> 11) * (1.0 / 9007199254740992.0));
  for (float &l : logits)
    l = 12.0f * l * l * l * l;
  struct Config {
    double temperature, topP, minP;
    int64_t topK;
  } configs[] = {{0.8, 1.0, 0.0, 50},     {0.8, 0.9, 0.0, 0},  {1.0, 0.95, 0.0, 1000},
                 {0.7, 0.8, 0.05, 40},    {1.0, 1.0, 0.01, 0}, {1.3, 1.0, 0.0, 0},
                 {1.0, 0.9, 0.0, 100000}, {0.9, 1.0, 0.0, 30000}};
  for (const Config &c : configs) {
    SamplingParams p = sampling(c.temperature, 99);
    p.topP = c.topP;
    p.minP = c.minP;
    p.topK = c.topK;
    SCOPED_TRACE("temperature " + std::to_string(c.temperature) + " top_k " +
                 std::to_string(c.topK) + " top_p " + std::to_string(c.topP) + " min_p " +
                 std::to_string(c.minP));
    Sampler s(p, {});
    std::mt19937_64 rng(99);
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(s.sample(logits.data(), int64_t(logits.size())).token,
                referenceDraw(p, logits, rng));
  }
}

TEST(Sampler, SmallVocabulariesMatchAReference) {
  // Random parameters over logits with ties, NaN and -inf, a few draws each.
  std::mt19937_64 gen(3);
  auto uniform = [&] { return double(gen() >> 11) * (1.0 / 9007199254740992.0); };
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<float> logits(size_t(1 + gen() % 400));
    for (float &l : logits) {
      double r = uniform();
      l = r < 0.05 ? kNaN : r < 0.1 ? -kInf : float(std::round(uniform() * 40.0) / 4.0);
    }
    logits[gen() % logits.size()] = 3.0f; // not all NaN
    SamplingParams p = sampling(0.2 + 2.0 * uniform(), gen());
    p.topK = gen() % 3 ? int64_t(gen() % (logits.size() + 2)) : 0;
    p.topP = gen() % 2 ? 0.05 + 0.95 * uniform() : 1.0;
    p.minP = gen() % 3 ? 0.0 : 0.3 * uniform();
    SCOPED_TRACE("trial " + std::to_string(trial));
    Sampler s(p, {});
    std::mt19937_64 rng(p.seed);
    for (int i = 0; i < 5; ++i)
      ASSERT_EQ(s.sample(logits.data(), int64_t(logits.size())).token,
                referenceDraw(p, logits, rng));
  }
}

TEST(Sampler, ScoreReportsAGivenTokenAsSampleWould) {
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 1.0f, 2.0f};
  SamplingParams p;
  p.logprobs = 2;
  Sampler sampler(p, {});
  SampledToken chosen = sampler.sample(logits.data(), 5); // greedy: token 1
  SampledToken scored = Sampler(p, {}).score(logits.data(), 5, 1);
  EXPECT_EQ(scored.token, 1);
  EXPECT_EQ(scored.logprob, chosen.logprob);
  ASSERT_EQ(scored.top.size(), 2u);
  EXPECT_EQ(scored.top[0].token, chosen.top[0].token);
  SampledToken other = Sampler(p, {}).score(logits.data(), 5, 2);
  double sum = 0;
  for (float l : logits)
    sum += std::exp(double(l) - 2.0);
  EXPECT_NEAR(other.logprob, -1.0 - 2.0 - std::log(sum), 1e-6);
  EXPECT_TRUE(sampler.generated().size() == 1); // scoring records nothing
  EXPECT_THROW(Sampler(p, {}).score(logits.data(), 5, 5), axe::Error);
}

} // namespace
