//===- CpuDeviceTest.cpp - running fixture programs on the CPU device -----===//

#include "runtime/cpu/CpuDevice.h"

#include "RuntimeTestArtifact.h"
#include "support/Error.h"

#include <gtest/gtest.h>

namespace {

using axe::CpuDevice;
using axe::Logits;
using axe::StepInputs;
using namespace axe::test;

#define EXPECT_THROW_CONTAINS(stmt, needle)                                                        \
  do {                                                                                             \
    try {                                                                                          \
      stmt;                                                                                        \
      ADD_FAILURE() << "no error; expected: " << (needle);                                         \
    } catch (const axe::Error &e) {                                                                \
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();                \
    }                                                                                              \
  } while (0)

std::unique_ptr<axe::Artifact> makeArtifact(const TempDir &dir, json manifest) {
  writeArtifact(dir.path(), std::move(manifest), baseWeights());
  return axe::Artifact::load(dir.path());
}

StepInputs oneSequence(std::vector<int32_t> ids, std::vector<int32_t> logitRows, int32_t slot = 0) {
  StepInputs in;
  in.tokenIds = ids;
  for (size_t i = 0; i < ids.size(); ++i)
    in.positions.push_back(int32_t(i));
  in.seqIds.assign(ids.size(), 0);
  in.logitRows = std::move(logitRows);
  in.numSeqs = 1;
  in.blockTableCols = int64_t((ids.size() + kBlockSize - 1) / kBlockSize);
  for (int64_t k = 0; k < in.blockTableCols; ++k)
    in.blockTable.push_back(int32_t(k));
  in.stateSlots = {slot};
  return in;
}

// Expected fixture logits of token v: 2 * one-hot((v + 1) % 8), plus 1 in column 0.
std::vector<float> expectedRow(int32_t v) {
  std::vector<float> row(size_t(kVocab), 0.0f);
  row[size_t((v + 1) % kVocab)] += 2.0f;
  row[0] += 1.0f;
  return row;
}

std::vector<float> rowOf(const Logits &l, int64_t r) { return {l.row(r), l.row(r) + l.cols}; }

// counter [NB, 2] f32: entry 0 adds 1 to column 0 of every row (a strided view, W = NB), entry 1
// to both elements of row 0 (W = 2). State persists across steps.
json twoEntryProgram() {
  json m = baseManifest();
  m["buffers"].push_back(bufferJson(kNumBaseBuffers, "state", "counter", "f32", {"NB", 2}));
  m["kernels"] = {{{"name", "test_add_one"}, {"symbol", "_mlir_ciface_test_add_one"}, {"op", "test.add_one"},
                   {"num_args", 1}, {"num_scalars", 0}}};
  m["program"] = {
      {{"kernel", 0}, {"args", {viewJson(kNumBaseBuffers, 0, {"NB"}, {2})}}, {"scalars", json::array()}, {"workgroups", "NB"}},
      {{"kernel", 0}, {"args", {viewJson(kNumBaseBuffers, 0, {2}, {1})}}, {"scalars", json::array()}, {"workgroups", 2}},
  };
  return m;
}

TEST(CpuDevice, TwoEntryProgramOverTheThreadPool) {
  TempDir dir;
  auto artifact = makeArtifact(dir, twoEntryProgram());
  for (unsigned threads : {1u, 2u, 3u, 4u}) {
    SCOPED_TRACE(threads);
    const int64_t NB = 4;
    CpuDevice device(*artifact, NB, 1, threads);
    EXPECT_EQ(device.numThreads(), threads);
    ASSERT_EQ(device.bufferBytes(kNumBaseBuffers), NB * 2 * sizeof(float));
    const float *counter = static_cast<const float *>(device.bufferData(kNumBaseBuffers));
    for (int64_t i = 0; i < 2 * NB; ++i)
      EXPECT_EQ(counter[i], 0.0f); // zeroed at load
    device.step(oneSequence({1}, {0}));
    EXPECT_EQ(std::vector<float>(counter, counter + 2 * NB), (std::vector<float>{2, 1, 1, 0, 1, 0, 1, 0}));
    device.step(oneSequence({1, 2}, {}));
    EXPECT_EQ(std::vector<float>(counter, counter + 2 * NB), (std::vector<float>{4, 2, 2, 0, 2, 0, 2, 0}));
  }
}

TEST(CpuDevice, ProfileCountsEveryDispatchOfItsKernel) {
  TempDir dir;
  auto artifact = makeArtifact(dir, twoEntryProgram());
  CpuDevice device(*artifact, /*numBlocks=*/4, 1, 2);
  device.step(oneSequence({1}, {0}));
  EXPECT_TRUE(device.profile().empty()); // off by default
  device.enableProfiling();
  for (int i = 0; i < 3; ++i)
    device.step(oneSequence({1}, {0}));
  ASSERT_EQ(device.profile().size(), 1u); // one kernel, two entries
  EXPECT_EQ(device.profile()[0].calls, 6);
  EXPECT_GT(device.profile()[0].seconds, 0.0);
}

TEST(CpuDevice, FixtureModelComputesLogitsAndState) {
  TempDir dir;
  auto artifact = makeArtifact(dir, baseManifest());
  CpuDevice device(*artifact, /*numBlocks=*/2, /*numStateSlots=*/2, /*numThreads=*/2);
  EXPECT_EQ(device.bufferBytes(kKvCache), uint64_t(2 * kBlockSize * 2 * 2)); // [NB, 4, 2] bf16

  Logits l = device.step(oneSequence({1, 5, 7}, {2, 0}, /*slot=*/1));
  ASSERT_EQ(l.rows, 2);
  ASSERT_EQ(l.cols, kVocab);
  EXPECT_EQ(rowOf(l, 0), expectedRow(7));
  EXPECT_EQ(rowOf(l, 1), expectedRow(1));
  const int32_t *seen = static_cast<const int32_t *>(device.bufferData(kSeen));
  EXPECT_EQ(std::vector<int32_t>(seen, seen + 8), (std::vector<int32_t>{0, 0, 0, 0, 3, 2, 0, 1}));

  // Two sequences: the [S, MB] block table is read through its symbolic row stride MB.
  StepInputs in;
  in.tokenIds = {1, 2, 3};
  in.positions = {4, 5, 0};
  in.seqIds = {0, 0, 1};
  in.logitRows = {1};
  in.numSeqs = 2;
  in.blockTableCols = 2;
  in.blockTable = {0, 1, 1, 0};
  in.stateSlots = {1, 0};
  l = device.step(in);
  EXPECT_EQ(rowOf(l, 0), expectedRow(2));
  EXPECT_EQ(std::vector<int32_t>(seen, seen + 8), (std::vector<int32_t>{1, 0, 0, 2, 5, 5, 1, 2}));

  device.zeroStateSlot(1);
  EXPECT_EQ(std::vector<int32_t>(seen, seen + 8), (std::vector<int32_t>{1, 0, 0, 2, 0, 0, 0, 0}));
  EXPECT_THROW_CONTAINS(device.zeroStateSlot(2), "state slot 2 is not in [0, P=2)");
}

TEST(CpuDevice, ReusesTempAllocations) {
  TempDir dir;
  auto artifact = makeArtifact(dir, baseManifest());
  CpuDevice device(*artifact, 4, 1, 1);
  device.step(oneSequence({1, 2, 3, 4, 5, 6}, {5}));
  void *hidden = device.bufferData(kHidden);
  EXPECT_EQ(device.bufferBytes(kHidden), 6u * kVocab * sizeof(float));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(hidden) % 64, 0u);
  Logits l = device.step(oneSequence({3, 4}, {0, 1}));
  EXPECT_EQ(device.bufferData(kHidden), hidden);
  EXPECT_EQ(device.bufferBytes(kHidden), 2u * kVocab * sizeof(float));
  EXPECT_EQ(rowOf(l, 1), expectedRow(4));
  EXPECT_EQ(device.symbols()[int(axe::Symbol::T)], 2);
  EXPECT_EQ(device.symbols()[int(axe::Symbol::R)], 2);
}

TEST(CpuDevice, RejectsBadInputs) {
  TempDir dir;
  auto artifact = makeArtifact(dir, baseManifest());
  CpuDevice device(*artifact, 2, 1, 1);
  EXPECT_THROW_CONTAINS(device.step(oneSequence({8}, {0})), "token_ids[0]=8 is not in [0, vocab_size=8)");
  EXPECT_THROW_CONTAINS(device.step(oneSequence({-1}, {0})), "token_ids[0]=-1");
  EXPECT_THROW_CONTAINS(device.step(oneSequence({1, 2}, {2})), "logit_rows[0]=2 is not in [0, T)");
  EXPECT_THROW_CONTAINS(device.step(oneSequence({1}, {0}, 1)), "state_slots[0]=1 is not in [0, P=1)");
  EXPECT_THROW_CONTAINS(device.step(oneSequence({}, {})), "the token count T=0");
  StepInputs in = oneSequence({1, 2}, {1});
  in.blockTable[0] = 2;
  EXPECT_THROW_CONTAINS(device.step(in), "block_table entry 0=2 is not in [0, NB=2)");
  in = oneSequence({1, 2}, {1});
  in.positions[1] = kBlockSize; // needs a second block table column
  EXPECT_THROW_CONTAINS(device.step(in), "positions[1]=4 is negative or beyond the block table's 1 blocks");
  in = oneSequence({1, 2}, {1});
  in.seqIds[1] = 1;
  EXPECT_THROW_CONTAINS(device.step(in), "seq_ids[1]=1 is not in [0, S)");
  in = oneSequence({1, 2}, {1});
  in.blockTable.push_back(0);
  EXPECT_THROW_CONTAINS(device.step(in), "block_table must have S*MB=1 entries");
  // Still usable after rejected steps.
  Logits l = device.step(oneSequence({6}, {0}));
  EXPECT_EQ(rowOf(l, 0), expectedRow(6));
}

TEST(CpuDevice, ChecksViewsAgainstTheBoundSymbols) {
  // test_rows reads [R, 8] rows of the [T, 8] hidden state: fine while R <= T.
  json m = baseManifest();
  m["program"][3]["args"][0] = viewJson(kHidden, 0, {"R", kVocab}, {kVocab, 1});
  TempDir dir;
  auto artifact = makeArtifact(dir, m);
  CpuDevice device(*artifact, 2, 1, 2);
  EXPECT_THROW_CONTAINS(device.step(oneSequence({1}, {0, 0})),
                        "program[3] (kernel 'test_rows').args[0]: the view reaches element 15 of buffer 8 "
                        "('hidden'), which has 8 at T=1 S=1 R=2 MB=1 NB=2 P=1");
  Logits l = device.step(oneSequence({1, 2}, {1, 0}));
  EXPECT_EQ(rowOf(l, 0), expectedRow(2));
}

TEST(CpuDevice, RejectsBadSizes) {
  TempDir dir;
  auto artifact = makeArtifact(dir, baseManifest());
  EXPECT_THROW_CONTAINS(CpuDevice(*artifact, 0, 1, 1), "NB=0");
  EXPECT_THROW_CONTAINS(CpuDevice(*artifact, 1, 0, 1), "P=0");
  EXPECT_THROW_CONTAINS(CpuDevice(*artifact, 1, 1, 0), "thread count");
}

} // namespace
