//===- ServePoolsTest.cpp - KV block allocator and state slot pool --------===//

#include "runtime/serve/KvBlockPool.h"
#include "runtime/serve/StateSlotPool.h"

#include "support/Error.h"

#include <gtest/gtest.h>

#include <set>

namespace {

using axe::KvBlockPool;
using axe::StateSlotPool;

TEST(KvBlockPool, AllocatesEveryBlockOnceThenRunsOut) {
  KvBlockPool pool(4);
  std::set<int32_t> got;
  for (int i = 0; i < 4; ++i)
    got.insert(pool.allocate());
  EXPECT_EQ(got, (std::set<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(pool.numFree(), 0);
  EXPECT_EQ(pool.allocate(), -1);
  pool.release(2);
  EXPECT_EQ(pool.numFree(), 1);
  EXPECT_EQ(pool.allocate(), 2);
}

TEST(KvBlockPool, SharedBlocksReturnWithTheirLastReference) {
  KvBlockPool pool(2);
  int32_t b = pool.allocate();
  pool.retain(b);
  pool.retain(b);
  EXPECT_EQ(pool.refCount(b), 3);
  pool.release(b);
  pool.release(b);
  EXPECT_EQ(pool.numFree(), 1); // still held once
  pool.release(b);
  EXPECT_EQ(pool.numFree(), 2);
  EXPECT_EQ(pool.refCount(b), 0);
}

TEST(KvBlockPool, MisuseIsAnError) {
  KvBlockPool pool(2);
  EXPECT_THROW(pool.release(0), axe::Error); // not in use
  EXPECT_THROW(pool.retain(1), axe::Error);
  EXPECT_THROW(pool.release(7), axe::Error);
  EXPECT_THROW(KvBlockPool(-1), axe::Error);
  EXPECT_EQ(axe::blocksFor(0, 16), 0);
  EXPECT_EQ(axe::blocksFor(16, 16), 1);
  EXPECT_EQ(axe::blocksFor(17, 16), 2);
  EXPECT_EQ(axe::blocksFor(17, 0), 0); // no KV cache at all
}

TEST(StateSlotPool, SlotsAreExclusive) {
  StateSlotPool pool(3);
  int32_t a = pool.allocate(), b = pool.allocate(), c = pool.allocate();
  EXPECT_EQ((std::set<int32_t>{a, b, c}), (std::set<int32_t>{0, 1, 2}));
  EXPECT_EQ(pool.allocate(), -1);
  pool.release(b);
  EXPECT_THROW(pool.release(b), axe::Error); // twice
  EXPECT_EQ(pool.allocate(), b);
  EXPECT_THROW(StateSlotPool(0), axe::Error);
}

} // namespace
