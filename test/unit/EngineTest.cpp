//===- EngineTest.cpp - one sequence: chunked prefill, decode, logits rows ===//

#include "runtime/Engine.h"

#include "RuntimeTestArtifact.h"
#include "models/Error.h"
#include "runtime/Sampler.h"

#include <gtest/gtest.h>

namespace {

using axe::Engine;
using axe::EngineOptions;
using namespace axe::test;

class EngineTest : public ::testing::Test {
protected:
  void SetUp() override {
    writeArtifact(dir.path(), baseManifest(), baseWeights());
    artifact = axe::Artifact::load(dir.path());
  }
  std::vector<int32_t> seen() const { // state slot 0 of the fixture's `seen` buffer
    const int32_t *p = static_cast<const int32_t *>(engine->device().bufferData(kSeen));
    return {p, p + 4};
  }
  TempDir dir;
  std::unique_ptr<axe::Artifact> artifact;
  std::unique_ptr<Engine> engine;
};

std::vector<float> expectedRow(int32_t v) {
  std::vector<float> row(size_t(kVocab), 0.0f);
  row[size_t((v + 1) % kVocab)] += 2.0f;
  row[0] += 1.0f;
  return row;
}

TEST_F(EngineTest, GreedyDecode) {
  EngineOptions o;
  o.maxContext = 16;
  o.threads = 2;
  engine = std::make_unique<Engine>(*artifact, o);
  axe::Sampler greedy(axe::SamplerOptions{});
  const float *logits = engine->prefill({2, 3});
  std::vector<int32_t> out;
  for (int i = 0; i < 6; ++i) {
    out.push_back(greedy.sample(logits, kVocab));
    logits = engine->decode(out.back());
  }
  EXPECT_EQ(out, (std::vector<int32_t>{4, 5, 6, 7, 0, 1}));
  EXPECT_EQ(engine->position(), 8);
  // 8 tokens fed, the last at position 7, in block 1 of a 2-block table.
  EXPECT_EQ(seen(), (std::vector<int32_t>{8, 7, 1, 2}));
}

TEST_F(EngineTest, ChunkedPrefillWithEveryRow) {
  EngineOptions o;
  o.maxContext = 8;
  o.prefillChunk = 2;
  o.allLogits = true;
  engine = std::make_unique<Engine>(*artifact, o);
  std::vector<int32_t> prompt = {1, 6, 3, 0, 5};
  std::vector<int64_t> chunkRows;
  std::vector<std::vector<float>> rows;
  const float *last = engine->prefill(prompt, [&](const float *data, int64_t n) {
    chunkRows.push_back(n);
    for (int64_t r = 0; r < n; ++r)
      rows.emplace_back(data + r * kVocab, data + (r + 1) * kVocab);
  });
  EXPECT_EQ(chunkRows, (std::vector<int64_t>{2, 2, 1}));
  ASSERT_EQ(rows.size(), prompt.size());
  for (size_t i = 0; i < prompt.size(); ++i)
    EXPECT_EQ(rows[i], expectedRow(prompt[i])) << i;
  EXPECT_EQ(std::vector<float>(last, last + kVocab), expectedRow(5));
  EXPECT_EQ(seen(), (std::vector<int32_t>{5, 4, 1, 2}));
}

TEST_F(EngineTest, ChunkedPrefillOnlyLastRow) {
  EngineOptions o;
  o.maxContext = 8;
  o.prefillChunk = 3;
  engine = std::make_unique<Engine>(*artifact, o);
  const float *last = engine->prefill({1, 6, 3, 0, 5, 2, 4});
  EXPECT_EQ(std::vector<float>(last, last + kVocab), expectedRow(4));
  EXPECT_EQ(engine->device().symbols()[int(axe::Symbol::R)], 1);
  EXPECT_EQ(seen(), (std::vector<int32_t>{7, 6, 1, 2}));
  const float *next = engine->decode(3);
  EXPECT_EQ(std::vector<float>(next, next + kVocab), expectedRow(3));
}

TEST_F(EngineTest, ResetStartsANewSequence) {
  EngineOptions o;
  o.maxContext = 4;
  engine = std::make_unique<Engine>(*artifact, o);
  engine->prefill({1, 2, 3});
  EXPECT_EQ(seen(), (std::vector<int32_t>{3, 2, 0, 1}));
  engine->reset();
  EXPECT_EQ(engine->position(), 0);
  EXPECT_EQ(seen(), (std::vector<int32_t>{0, 0, 0, 0}));
  engine->prefill({4});
  EXPECT_EQ(seen(), (std::vector<int32_t>{1, 0, 0, 1}));
}

TEST_F(EngineTest, Errors) {
  EngineOptions o;
  o.maxContext = 4;
  engine = std::make_unique<Engine>(*artifact, o);
  auto message = [](auto fn) {
    try {
      fn();
    } catch (const axe::Error &e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { engine->prefill({1, 2, 3, 4, 5}); }).find("context overflow"), std::string::npos);
  EXPECT_NE(message([&] { engine->prefill({}); }).find("the prompt is empty"), std::string::npos);
  EXPECT_NE(message([&] { engine->prefill({1, 8}); }).find("token id 8 is not in [0, vocab_size=8)"),
            std::string::npos);
  engine->prefill({1, 2, 3, 4});
  EXPECT_NE(message([&] { engine->decode(1); }).find("context overflow: 4 tokens + 1 new exceed the context of 4"),
            std::string::npos);
  o.maxContext = 0;
  EXPECT_THROW(Engine(*artifact, o), axe::Error);
}

} // namespace
