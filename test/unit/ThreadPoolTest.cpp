//===- ThreadPoolTest.cpp - every workgroup exactly once ------------------===//

#include "runtime/cpu/ThreadPool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using axe::ThreadPool;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (unsigned threads : {1u, 2u, 3u, 4u, 7u}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.numThreads(), threads);
    for (int64_t W : {0, 1, 2, 3, 5, 7, 8, 16, 29, 100, 1001, 100003}) {
      for (int repeat = 0; repeat < 20; ++repeat) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(W));
        for (auto &h : hits)
          h = 0;
        std::mutex m;
        std::vector<std::pair<int64_t, int64_t>> ranges;
        std::set<std::thread::id> ids;
        pool.parallelFor(W, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i)
            hits[size_t(i)]++;
          std::lock_guard<std::mutex> lock(m);
          ranges.emplace_back(b, e);
          ids.insert(std::this_thread::get_id());
        });
        for (int64_t i = 0; i < W; ++i)
          ASSERT_EQ(hits[size_t(i)].load(), 1) << "W=" << W << " threads=" << threads << " i=" << i;
        ASSERT_LE(ids.size(), size_t(threads));
        if (W == 0) {
          ASSERT_TRUE(ranges.empty());
          continue;
        }
        // Inline: one call. Otherwise one call per chunk, each a whole chunk.
        int64_t chunk = threads == 1 || W == 1 ? W : ThreadPool::chunkSize(W, threads);
        ASSERT_EQ(int64_t(ranges.size()), ceilDiv(W, chunk)) << "W=" << W << " threads=" << threads;
        for (auto [b, e] : ranges) {
          ASSERT_EQ(b % chunk, 0) << "W=" << W;
          ASSERT_EQ(e, std::min(b + chunk, W)) << "W=" << W;
        }
      }
    }
  }
}

TEST(ThreadPool, ChunkSizeGivesAboutFourChunksPerThread) {
  for (int64_t W : {1, 2, 5, 8, 9, 17, 100, 1000003})
    for (unsigned threads : {1u, 2u, 3u, 8u, 64u}) {
      int64_t chunk = ThreadPool::chunkSize(W, threads);
      int64_t chunks = ceilDiv(W, chunk);
      int64_t target = std::min<int64_t>(W, 4 * int64_t(threads));
      EXPECT_GE(chunk, 1);
      EXPECT_LE(chunks, target) << "W=" << W << " threads=" << threads;
      EXPECT_GE(2 * chunks, target) << "W=" << W << " threads=" << threads;
    }
  // The chunk count fits the claim word however many threads there are.
  EXPECT_LE(ceilDiv(1000003, ThreadPool::chunkSize(1000003, 100000)), 4095);
}

TEST(ThreadPool, RunsInlineWithOneThreadOrOneWorkgroup) {
  for (auto [threads, W] : {std::pair<unsigned, int64_t>{1, 100}, {3, 1}}) {
    ThreadPool pool(threads);
    std::vector<std::pair<int64_t, int64_t>> ranges;
    std::set<std::thread::id> ids;
    pool.parallelFor(W, [&](int64_t b, int64_t e) { // no lock: it must run on this thread only
      ranges.emplace_back(b, e);
      ids.insert(std::this_thread::get_id());
    });
    ASSERT_EQ(ranges.size(), 1u);
    EXPECT_EQ(ranges[0], std::make_pair(int64_t(0), W));
    EXPECT_EQ(*ids.begin(), std::this_thread::get_id());
  }
}

TEST(ThreadPool, UsesWorkerThreadsAndTheCaller) {
  ThreadPool pool(2);
  std::atomic<int> entered{0};
  std::mutex m;
  std::set<std::thread::id> ids;
  // Two chunks; whoever takes the first holds it until the second is taken, by the other thread.
  pool.parallelFor(2, [&](int64_t, int64_t) {
    ++entered;
    while (entered.load() < 2)
      std::this_thread::yield();
    std::lock_guard<std::mutex> lock(m);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 1u);
}

TEST(ThreadPool, RethrowsAndStaysUsable) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.parallelFor(9,
                                [](int64_t b, int64_t) {
                                  if (b > 0)
                                    throw std::runtime_error("boom");
                                }),
               std::runtime_error);
  std::atomic<int64_t> sum{0};
  pool.parallelFor(10, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      sum += i;
  });
  EXPECT_EQ(sum.load(), 45);
}

// Calls back to back find the workers spinning; calls after a pause longer than the spin find
// them asleep. Both hand-overs must deliver every job exactly once.
TEST(ThreadPool, HandsOverToSpinningAndSleepingWorkers) {
  ThreadPool pool(3);
  int64_t total = 0;
  for (int call = 0; call < 400; ++call) {
    if (call % 40 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::atomic<int64_t> covered{0};
    pool.parallelFor(9, [&](int64_t b, int64_t e) { covered += e - b; });
    ASSERT_EQ(covered.load(), 9) << "call " << call;
    total += covered.load();
  }
  EXPECT_EQ(total, 400 * 9);
}

// Many tiny jobs of varying size, each with its own fn on the stack: a worker that took a chunk of
// one job under another job's fields, or ran a chunk twice or never, breaks the per-call checks.
TEST(ThreadPool, ManyTinyJobsBackToBack) {
  ThreadPool pool(3);
  const int64_t sizes[] = {2, 3, 5, 12, 17, 64};
  int64_t bad = 0;
  for (int call = 0; call < 100000; ++call) {
    int64_t W = sizes[call % 6];
    int64_t chunk = ThreadPool::chunkSize(W, 3);
    std::atomic<int64_t> covered{0}, misaligned{0};
    pool.parallelFor(W, [&, W, chunk](int64_t b, int64_t e) {
      if (b % chunk != 0 || e != std::min(b + chunk, W))
        ++misaligned;
      covered += e - b;
    });
    bad += covered.load() != W || misaligned.load() != 0;
  }
  EXPECT_EQ(bad, 0);
}

// A worker descheduled inside its first chunk (here: held until every other chunk is done) holds
// up the call only by that chunk: the caller and the other workers run all the rest, whereas a
// static split would leave the held worker's whole share waiting (and this test would time out).
TEST(ThreadPool, DescheduledWorkerDoesNotStallTheCaller) {
  for (unsigned threads : {2u, 4u}) {
    ThreadPool pool(threads);
    const int64_t W = 64, chunk = ThreadPool::chunkSize(W, threads);
    const std::thread::id caller = std::this_thread::get_id();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::atomic<bool> slowClaimed{false}, slowFinished{false}, timedOut{false};
    std::atomic<int64_t> slowWorkgroups{0}, otherWorkgroups{0}, callerWorkgroups{0}, callerCalls{0};
    auto waitFor = [&](auto ready) {
      while (!ready()) {
        if (std::chrono::steady_clock::now() > deadline) {
          timedOut = true;
          return;
        }
        std::this_thread::yield();
      }
    };
    pool.parallelFor(W, [&](int64_t b, int64_t e) {
      bool isCaller = std::this_thread::get_id() == caller;
      if (!isCaller && !slowClaimed.exchange(true)) {
        slowWorkgroups = e - b;
        waitFor([&] { return otherWorkgroups.load() == W - (e - b); });
        slowFinished = true;
        return;
      }
      // Make sure a worker has taken (and is stuck in) a chunk before the caller runs any.
      if (isCaller && callerCalls++ == 0)
        waitFor([&] { return slowClaimed.load(); });
      if (isCaller)
        callerWorkgroups += e - b;
      otherWorkgroups += e - b;
    });
    ASSERT_FALSE(timedOut) << "threads=" << threads;
    EXPECT_TRUE(slowFinished) << "returned before the slow chunk finished";
    EXPECT_EQ(slowWorkgroups.load(), chunk) << "the slow worker ran one chunk";
    EXPECT_EQ(otherWorkgroups.load(), W - chunk);
    EXPECT_LT(chunk, W / threads) << "a chunk is smaller than a static share";
    if (threads == 2) {
      EXPECT_EQ(callerWorkgroups.load(), W - chunk) << "the caller ran the rest, > its share W/2";
    }
  }
}

TEST(ThreadPool, ConcurrentCallersAreSerialised) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  auto work = [&] {
    for (int i = 0; i < 200; ++i)
      pool.parallelFor(10, [&](int64_t b, int64_t e) { total += e - b; });
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(total.load(), 2 * 200 * 10);
}

} // namespace
