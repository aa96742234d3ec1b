//===- SchedulerTest.cpp - admission, chunking, decode first, preemption --===//
//
// The scheduler on its own: sequences without samplers, pools without a device. `advance` plays
// the engine's part: it feeds the planned tokens and appends a generated token where a chunk asks
// for logits.
//
//===----------------------------------------------------------------------===//

#include "runtime/serve/Scheduler.h"

#include "support/Error.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace {

using namespace axe;

struct Fixture {
  KvBlockPool blocks;
  StateSlotPool slots;
  std::vector<int32_t> zeroed;
  std::vector<std::pair<int32_t, int32_t>> copies;
  Scheduler scheduler;
  std::vector<std::unique_ptr<Sequence>> seqs;

  Fixture(const SchedulerConfig &c, int64_t numBlocks, int64_t numSlots)
      : blocks(numBlocks), slots(numSlots),
        scheduler(c, blocks, slots,
                  CacheOps{[this](int32_t s) { zeroed.push_back(s); },
                           [this](int32_t a, int32_t b) { copies.emplace_back(a, b); }}) {}

  Sequence *add(int64_t promptLen, int64_t maxTokens = 100) {
    auto s = std::make_unique<Sequence>();
    s->requestId = seqs.size() + 1;
    s->arrival = s->requestId << 20;
    s->tokens.assign(size_t(promptLen), 1);
    s->promptLen = promptLen;
    s->maxTokens = maxTokens;
    s->promptRowsSent = promptLen;
    scheduler.enqueue(s.get());
    seqs.push_back(std::move(s));
    return seqs.back().get();
  }
  std::vector<ScheduledChunk> step() {
    std::vector<ScheduledChunk> plan = scheduler.schedule();
    for (const ScheduledChunk &c : plan) {
      c.seq->numComputed += c.count;
      if (c.wantLogits)
        c.seq->tokens.push_back(2);
    }
    return plan;
  }
};

SchedulerConfig config(int64_t maxSeqs, int64_t budget, int64_t blockSize = 16, int64_t alignment = 64) {
  SchedulerConfig c;
  c.maxNumSeqs = maxSeqs;
  c.maxNumBatchedTokens = budget;
  c.blockSize = blockSize;
  c.alignment = alignment;
  return c;
}

TEST(Scheduler, PromptPiecesKeepTheAlignment) {
  Fixture f(config(2, 100), 64, 2);
  Sequence *a = f.add(150);
  auto plan = f.step();
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].count, 64); // 100 rounded down to the alignment
  EXPECT_FALSE(plan[0].wantLogits);
  EXPECT_EQ(a->blockTable.size(), 4u);
  EXPECT_EQ(f.zeroed, (std::vector<int32_t>{a->stateSlot}));
  plan = f.step();
  EXPECT_EQ(plan[0].count, 86); // the rest fits the budget: the last piece need not be aligned
  EXPECT_TRUE(plan[0].wantLogits);
  EXPECT_EQ(a->blockTable.size(), 10u);
  plan = f.step(); // decoding now
  EXPECT_EQ(plan[0].count, 1);
  EXPECT_EQ(a->blockTable.size(), 10u); // position 150 is still in block 9
}

TEST(Scheduler, DecodeFirstThenPrefillInTheSameStep) {
  Fixture f(config(2, 100), 64, 2);
  Sequence *a = f.add(10);
  f.step();
  Sequence *b = f.add(100);
  auto plan = f.step();
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].seq, a);
  EXPECT_EQ(plan[0].count, 1);
  EXPECT_EQ(plan[1].seq, b);
  EXPECT_EQ(plan[1].count, 64); // 99 left after the decode, rounded down
  EXPECT_EQ(f.scheduler.running().size(), 2u);
}

TEST(Scheduler, FirstComeFirstServedAndTheSequenceCap) {
  Fixture f(config(2, 200), 6, 4);
  Sequence *a = f.add(64);  // 4 blocks
  Sequence *b = f.add(100); // 2 blocks left: not even an aligned 64-token piece fits
  Sequence *c = f.add(10);  // would fit, but may not overtake b
  auto plan = f.step();
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].seq, a);
  EXPECT_EQ(b->status, Sequence::Status::Waiting);
  EXPECT_EQ(c->status, Sequence::Status::Waiting);
  plan = f.step(); // a decodes into a fifth block; b still does not fit
  ASSERT_EQ(plan.size(), 1u);
  f.scheduler.remove(a);
  EXPECT_EQ(a->status, Sequence::Status::Finished);
  EXPECT_EQ(a->blockTable.size(), 0u);
  EXPECT_EQ(a->stateSlot, -1);
  EXPECT_EQ(f.blocks.numFree(), 6);
  plan = f.step();
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].seq, b);
  EXPECT_EQ(plan[0].count, 64); // 6 blocks hold 96 positions: the aligned piece is 64
  EXPECT_EQ(plan[1].seq, c);
  EXPECT_EQ(plan[1].count, 10);
  Sequence *d = f.add(10);
  plan = f.step();
  EXPECT_EQ(d->status, Sequence::Status::Waiting); // max-num-seqs = 2
  EXPECT_EQ(f.scheduler.numPreemptions(), 0);
}

TEST(Scheduler, PreemptsTheLatestArrivalAndKeepsItsTokens) {
  Fixture f(config(3, 200), 3, 3);
  Sequence *a = f.add(16), *b = f.add(16), *c = f.add(16); // one block each, pool full
  f.step();
  EXPECT_EQ(f.blocks.numFree(), 0);
  // Each decode needs a second block: a takes c's, b then has nothing later to take from.
  auto plan = f.step();
  EXPECT_EQ(f.scheduler.numPreemptions(), 2);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].seq, a);
  EXPECT_EQ(b->status, Sequence::Status::Waiting);
  EXPECT_EQ(c->status, Sequence::Status::Waiting);
  EXPECT_EQ(c->numComputed, 0);
  EXPECT_EQ(c->tokens.size(), 17u); // its generated token is kept
  EXPECT_EQ(c->stateSlot, -1);
  ASSERT_EQ(f.scheduler.waiting().size(), 2u);
  EXPECT_EQ(f.scheduler.waiting()[0], b); // arrival order
  // After a finishes, b recomputes first: its prompt in one piece, then its generated token alone.
  f.scheduler.remove(a);
  plan = f.step();
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].seq, b);
  EXPECT_EQ(plan[0].count, 16);
  EXPECT_FALSE(plan[0].wantLogits); // the prompt's logits were used before
  plan = f.step();
  EXPECT_EQ(plan[0].seq, b);
  EXPECT_EQ(plan[0].count, 1);
  EXPECT_TRUE(plan[0].wantLogits);
}

TEST(Scheduler, SharedBlocksAreCopiedBeforeAWrite) {
  Fixture f(config(2, 200), 4, 2);
  Sequence *a = f.add(20); // blocks 0, 1; position 20 is inside block 1
  f.step();
  auto child = std::make_unique<Sequence>();
  child->arrival = a->arrival + 1;
  child->tokens = a->tokens;
  child->promptLen = a->promptLen;
  child->numComputed = a->numComputed;
  child->promptRowsSent = a->promptLen;
  child->blockTable = a->blockTable;
  for (int32_t blk : child->blockTable)
    f.blocks.retain(blk);
  child->stateSlot = f.slots.allocate();
  f.scheduler.addRunning(child.get());
  int32_t shared = a->blockTable[1];
  f.step();
  // a writes first and copies; the child then holds the original alone and writes into it.
  ASSERT_EQ(f.copies.size(), 1u);
  EXPECT_EQ(f.copies[0].first, shared);
  EXPECT_EQ(a->blockTable[1], f.copies[0].second);
  EXPECT_EQ(child->blockTable[1], shared);
  EXPECT_EQ(a->blockTable[0], child->blockTable[0]); // the full block stays shared
  EXPECT_EQ(f.blocks.refCount(a->blockTable[0]), 2);
  f.scheduler.remove(child.get());
  f.scheduler.remove(a);
  EXPECT_EQ(f.blocks.numFree(), 4);
  EXPECT_EQ(f.slots.numFree(), 2);
}

TEST(Scheduler, ForkingRequestsReserveTheirSlots) {
  Fixture f(config(4, 200), 16, 4);
  Sequence *a = f.add(10);
  a->pendingForks = 2; // n = 3
  Sequence *b = f.add(10);
  b->pendingForks = 1; // n = 2: 3 + 2 slots > 4
  auto plan = f.step();
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(a->reservedSlots.size(), 2u);
  EXPECT_EQ(f.slots.numFree(), 1);
  EXPECT_EQ(b->status, Sequence::Status::Waiting);
  f.scheduler.remove(a);
  EXPECT_EQ(f.slots.numFree(), 4); // reserved slots go back with the sequence
}

TEST(Scheduler, ConfigErrors) {
  KvBlockPool blocks(4);
  StateSlotPool slots(2);
  EXPECT_THROW(Scheduler(config(0, 100), blocks, slots, {}), Error);
  EXPECT_THROW(Scheduler(config(64, 100), blocks, slots, {}), Error); // budget < seqs + alignment
}

} // namespace
