//===- EngineTest.cpp - the serving engine on the fixture artifact --------===//
//
// The fixture's "model" (RuntimeTestArtifact.h) answers token v with logits peaking at v + 1
// (mod 8), whatever came before, and records per state slot how many tokens it was fed, the last
// position, the last block-table entry and the table's width. So every expected token sequence is
// known, and what the engine fed is visible.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/CpuDevice.h"
#include "runtime/serve/Engine.h"

#include "RuntimeTestArtifact.h"
#include "support/Error.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>

namespace {

using namespace axe;
using namespace axe::test;

// Every event of every request, by (request, completion).
struct Collector {
  struct Completion {
    std::vector<int32_t> tokens;
    std::vector<std::vector<float>> logits;      // returnLogits rows
    std::vector<std::vector<float>> promptRows;  // promptLogits rows
    FinishReason finish = FinishReason::None;
    std::string error;
    int64_t events = 0;
  };
  std::mutex mutex;
  std::condition_variable done;
  std::map<std::pair<uint64_t, int64_t>, Completion> completions;
  int64_t finished = 0;

  EventCallback callback() {
    return [this](const SequenceEvent &ev) {
      std::lock_guard<std::mutex> lock(mutex);
      Completion &c = completions[{ev.requestId, ev.index}];
      EXPECT_EQ(c.finish, FinishReason::None) << "an event after the last one";
      ++c.events;
      if (ev.hasToken) {
        c.tokens.push_back(ev.token.token);
        if (ev.logitRows == 1)
          c.logits.emplace_back(ev.logits.begin(), ev.logits.end());
      } else {
        for (int64_t r = 0; r < ev.logitRows; ++r) {
          EXPECT_EQ(ev.firstPromptRow + r, int64_t(c.promptRows.size()));
          c.promptRows.emplace_back(ev.logits.begin() + r * kVocab, ev.logits.begin() + (r + 1) * kVocab);
        }
      }
      if (ev.finish != FinishReason::None) {
        c.finish = ev.finish;
        c.error = ev.error;
        ++finished;
        done.notify_all();
      }
    };
  }
  Completion &get(uint64_t id, int64_t index = 0) { return completions.at({id, index}); }
};

std::vector<float> expectedRow(int32_t v) {
  std::vector<float> row(size_t(kVocab), 0.0f);
  row[size_t((v + 1) % kVocab)] += 2.0f;
  row[0] += 1.0f;
  return row;
}

// Tokens the fixture generates greedily after `last`, `n` of them.
std::vector<int32_t> successors(int32_t last, int n) {
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(last = (last + 1) % int32_t(kVocab));
  return out;
}

class EngineTest : public ::testing::Test {
protected:
  void SetUp() override {
    writeArtifact(dir.path(), baseManifest(), baseWeights());
    artifact = Artifact::load(dir.path());
  }
  EngineOptions options(int64_t maxSeqs = 8, int64_t blocks = 64) {
    EngineOptions o;
    o.threads = 2;
    o.maxNumSeqs = maxSeqs;
    o.maxNumBatchedTokens = maxSeqs + 64;
    o.numKvBlocks = blocks;
    return o;
  }
  Request request(std::vector<int32_t> prompt, int64_t maxTokens, bool ignoreEos = true) {
    Request r;
    r.promptIds = std::move(prompt);
    r.stop.maxTokens = maxTokens;
    r.stop.ignoreEos = ignoreEos;
    return r;
  }
  std::vector<int32_t> seen(const Engine &engine, int32_t slot) const {
    const int32_t *p = static_cast<const int32_t *>(static_cast<const axe::CpuDevice &>(engine.device()).bufferData(kSeen)) + 4 * slot;
    return {p, p + 4};
  }
  std::string submitError(Engine &engine, Request r) {
    try {
      engine.submit(std::move(r), [](const SequenceEvent &) {});
    } catch (const Error &e) {
      return e.what();
    }
    return "no error";
  }
  TempDir dir;
  std::unique_ptr<Artifact> artifact;
};

TEST_F(EngineTest, GreedyUntilEosOrLength) {
  Engine engine(*artifact, options());
  Collector c;
  uint64_t eos = engine.submit(request({2, 3}, 10, /*ignoreEos=*/false), c.callback());
  uint64_t length = engine.submit(request({2, 3}, 6), c.callback());
  engine.runUntilIdle();
  EXPECT_EQ(c.get(eos).tokens, (std::vector<int32_t>{4, 5, 6, 7})); // 7 is the fixture's EOS
  EXPECT_EQ(c.get(eos).finish, FinishReason::Stop);
  EXPECT_EQ(c.get(length).tokens, (std::vector<int32_t>{4, 5, 6, 7, 0, 1}));
  EXPECT_EQ(c.get(length).finish, FinishReason::Length);
  EngineStats s = engine.stats();
  EXPECT_EQ(s.kvBlocksUsed, 0);
  EXPECT_EQ(s.stateSlotsUsed, 0);
  EXPECT_EQ(s.requestsFinished, 2);
  EXPECT_EQ(s.generatedTokens, 10);
  EXPECT_EQ(s.steps, 6); // both in every step: one prefill, then five decodes
  EXPECT_FALSE(engine.step());
}

TEST_F(EngineTest, SequencesShareStepsWithTheirOwnBlocksAndSlots) {
  Engine engine(*artifact, options());
  Collector c;
  std::vector<uint64_t> ids;
  for (int32_t first = 0; first < 5; ++first)
    ids.push_back(engine.submit(request({first, first, first, first, first, first}, 3), c.callback()));
  ASSERT_TRUE(engine.step()); // every prompt in one step
  for (int32_t slot = 0; slot < 5; ++slot) {
    std::vector<int32_t> s = seen(engine, slot);
    EXPECT_EQ(s[0], 6);  // tokens fed
    EXPECT_EQ(s[1], 5);  // last position
    EXPECT_EQ(s[3], 2);  // 6 positions: 2 blocks of 4
  }
  engine.runUntilIdle();
  for (int32_t first = 0; first < 5; ++first)
    EXPECT_EQ(c.get(ids[size_t(first)]).tokens, successors(first, 3));
  EXPECT_EQ(engine.stats().steps, 3);
}

TEST_F(EngineTest, PromptAndTokenLogitsRows) {
  Engine engine(*artifact, options());
  Collector c;
  Request r = request({1, 6, 3, 0, 5}, 2);
  r.promptLogits = r.returnLogits = true;
  uint64_t id = engine.submit(r, c.callback());
  engine.runUntilIdle();
  Collector::Completion &got = c.get(id);
  ASSERT_EQ(got.promptRows.size(), 5u);
  for (size_t i = 0; i < 5; ++i)
    EXPECT_EQ(got.promptRows[i], expectedRow(r.promptIds[i])) << i;
  ASSERT_EQ(got.logits.size(), 2u);
  EXPECT_EQ(got.logits[0], expectedRow(5));
  EXPECT_EQ(got.logits[1], expectedRow(6));
}

TEST_F(EngineTest, ForcedPrefillChunks) {
  EngineOptions o = options();
  o.forcedPrefillChunk = 2;
  Engine engine(*artifact, o);
  Collector c;
  Request r = request({1, 6, 3, 0, 5}, 1);
  r.promptLogits = true;
  uint64_t id = engine.submit(r, c.callback());
  engine.runUntilIdle();
  EXPECT_EQ(engine.stats().steps, 3); // 2 + 2 + 1
  EXPECT_EQ(c.get(id).promptRows.size(), 5u);
  EXPECT_EQ(c.get(id).tokens, (std::vector<int32_t>{6}));
}

TEST_F(EngineTest, CancelFreesEverything) {
  Engine engine(*artifact, options());
  Collector c;
  uint64_t id = engine.submit(request({1, 2, 3}, 20), c.callback());
  uint64_t other = engine.submit(request({4}, 3), c.callback());
  engine.step();
  engine.step();
  EXPECT_GT(engine.stats().kvBlocksUsed, 0);
  engine.cancel(id);
  engine.cancel(12345); // unknown: ignored
  engine.runUntilIdle();
  EXPECT_EQ(c.get(id).finish, FinishReason::Cancelled);
  EXPECT_EQ(c.get(id).tokens.size(), 2u);
  EXPECT_EQ(c.get(other).tokens, successors(4, 3));
  EXPECT_EQ(engine.stats().kvBlocksUsed, 0);
  EXPECT_EQ(engine.stats().stateSlotsUsed, 0);
}

TEST_F(EngineTest, OneCompletionEndsAndTheOthersGoOn) {
  Engine engine(*artifact, options());
  Collector c;
  Request r = request({1, 2}, 6);
  r.n = 2;
  uint64_t id = engine.submit(r, c.callback());
  engine.step();
  engine.step();
  engine.finishCompletion(id, 1, FinishReason::Stop); // a server matched a stop string
  engine.finishCompletion(id, 7, FinishReason::Stop); // no such completion: ignored
  engine.runUntilIdle();
  EXPECT_EQ(c.get(id, 1).finish, FinishReason::Stop);
  EXPECT_EQ(c.get(id, 1).tokens, successors(2, 2));
  EXPECT_EQ(c.get(id, 0).tokens, successors(2, 6));
  EXPECT_EQ(c.get(id, 0).finish, FinishReason::Length);
  EXPECT_EQ(engine.stats().kvBlocksUsed, 0);
}

TEST_F(EngineTest, ParallelCompletionsShareThePrompt) {
  Engine engine(*artifact, options());
  Collector c;
  Request r = request({1, 2, 3, 4, 5, 6}, 4);
  r.n = 3;
  uint64_t id = engine.submit(r, c.callback());
  engine.runUntilIdle();
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(c.get(id, i).tokens, successors(6, 4)) << i;
    EXPECT_EQ(c.get(id, i).finish, FinishReason::Length);
  }
  EXPECT_EQ(engine.stats().kvBlocksUsed, 0);
  EXPECT_EQ(engine.stats().stateSlotsUsed, 0);
  EXPECT_EQ(engine.stats().promptTokens, 6); // the prompt ran once

  // Sampled completions use distinct seeds; completion 0 is what n = 1 gives.
  Collector d;
  r.sampling.temperature = 3.0;
  r.stop.maxTokens = 12;
  r.n = 4;
  uint64_t many = engine.submit(r, d.callback());
  r.n = 1;
  uint64_t one = engine.submit(r, d.callback());
  engine.runUntilIdle();
  EXPECT_EQ(d.get(many, 0).tokens, d.get(one).tokens);
  EXPECT_NE(d.get(many, 1).tokens, d.get(many, 2).tokens);
}

TEST_F(EngineTest, ATinyKvPoolPreemptsAndStillFinishesEverything) {
  Engine engine(*artifact, options(8, /*blocks=*/6)); // 24 positions for 8 sequences
  Collector c;
  std::vector<uint64_t> ids;
  for (int32_t i = 0; i < 8; ++i)
    ids.push_back(engine.submit(request({i, i, i}, 12), c.callback()));
  engine.runUntilIdle();
  for (int32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(c.get(ids[size_t(i)]).tokens, successors(i, 12)) << i;
    EXPECT_EQ(c.get(ids[size_t(i)]).finish, FinishReason::Length);
  }
  EXPECT_GT(engine.stats().preemptions, 0);
  EXPECT_EQ(engine.stats().kvBlocksUsed, 0);
}

TEST_F(EngineTest, RequestsThatCanNeverRunAreRefused) {
  Engine engine(*artifact, options(4, 8)); // max_position_embeddings 64; 8 blocks = 32 positions
  auto has = [](const std::string &message, const std::string &part) {
    return message.find(part) != std::string::npos;
  };
  EXPECT_TRUE(has(submitError(engine, request({}, 1)), "the prompt is empty"));
  EXPECT_TRUE(has(submitError(engine, request({1, 8}, 1)), "prompt token 1 is 8, not a token id"));
  EXPECT_TRUE(has(submitError(engine, request(std::vector<int32_t>(64, 1), 1)), "leaves no room"));
  EXPECT_TRUE(has(submitError(engine, request({1}, 64)), "65 exceeds the maximum model length of 64"));
  EXPECT_TRUE(has(submitError(engine, request({1}, 40)), "needs 10 KV blocks for 40 positions"));
  EXPECT_TRUE(has(submitError(engine, request({1}, 0)), "max_tokens must be at least 1"));
  Request r = request({1}, 1);
  r.n = 5;
  EXPECT_TRUE(has(submitError(engine, r), "n must be in [1, max-num-seqs=4]"));
  r = request({1}, 1);
  r.sampling.topP = 0;
  EXPECT_TRUE(has(submitError(engine, r), "top_p"));
  EXPECT_EQ(engine.stats().waiting, 0); // nothing was queued

  EngineOptions o = options();
  o.maxModelLen = 65;
  EXPECT_THROW(Engine(*artifact, o), Error);
  o = options();
  o.numKvBlocks = 0;
  o.kvCacheMemory = 10; // bytes: not even the state slots fit
  EXPECT_THROW(Engine(*artifact, o), Error);
}

TEST_F(EngineTest, MaxModelLenDefaultsToTheModels) {
  Engine engine(*artifact, options(2, 64));
  EXPECT_EQ(engine.maxModelLen(), 64);
  Collector c;
  uint64_t id = engine.submit(request({1, 2}, -1), c.callback()); // up to the maximum length
  engine.runUntilIdle();
  EXPECT_EQ(c.get(id).tokens.size(), 62u);
}

TEST_F(EngineTest, GenerationConfigAddsEosIds) {
  std::ofstream(dir.path() + "/generation_config.json") << R"({"eos_token_id": [5, 7], "do_sample": false})";
  Engine engine(*artifact, options());
  Collector c;
  uint64_t id = engine.submit(request({2}, 10, /*ignoreEos=*/false), c.callback());
  engine.runUntilIdle();
  EXPECT_EQ(c.get(id).tokens, (std::vector<int32_t>{3, 4, 5}));
  EXPECT_EQ(engine.defaultSampling().temperature, 0.0);

  std::ofstream(dir.path() + "/generation_config.json") << R"({"do_sample": true, "temperature": 0.6, "top_k": 20, "top_p": 0.95})";
  Engine sampling(*artifact, options());
  EXPECT_EQ(sampling.defaultSampling().temperature, 0.6);
  EXPECT_EQ(sampling.defaultSampling().topK, 20);
  EXPECT_EQ(sampling.defaultSampling().topP, 0.95);

  std::ofstream(dir.path() + "/generation_config.json") << R"({"do_sample": true, "temperature": "hot"})";
  EXPECT_THROW(Engine(*artifact, options()), Error);
}

TEST_F(EngineTest, ALoopThreadServesOtherThreads) {
  Engine engine(*artifact, options());
  engine.start();
  Collector c;
  std::vector<std::thread> clients;
  std::vector<uint64_t> ids(6);
  for (int32_t i = 0; i < 6; ++i)
    clients.emplace_back([&, i] { ids[size_t(i)] = engine.submit(request({i}, 5), c.callback()); });
  for (std::thread &t : clients)
    t.join();
  {
    std::unique_lock<std::mutex> lock(c.mutex);
    ASSERT_TRUE(c.done.wait_for(lock, std::chrono::seconds(20), [&] { return c.finished == 6; }));
  }
  engine.stop();
  for (int32_t i = 0; i < 6; ++i)
    EXPECT_EQ(c.get(ids[size_t(i)]).tokens, successors(i, 5));
}

} // namespace
