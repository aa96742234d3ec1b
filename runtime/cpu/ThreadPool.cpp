//===- ThreadPool.cpp - persistent workers for workgroup ranges -----------===//

#include "runtime/cpu/ThreadPool.h"

#include "support/Error.h"

#include <algorithm>

namespace axe {

namespace {

// Polls `ready` for up to `spin`; true as soon as it holds.
template <typename Ready> bool spinUntil(Ready ready, std::chrono::microseconds spin) {
  auto deadline = std::chrono::steady_clock::now() + spin;
  do {
    for (int i = 0; i < 64; ++i) {
      if (ready())
        return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  } while (std::chrono::steady_clock::now() < deadline);
  return ready();
}

// The fields of the claim word (see ThreadPool.h). The generation wraps after 2^40 jobs; a wrap
// could at worst make a waiting worker miss a job, which the caller then runs without it.
constexpr unsigned kIndexBits = 12;
constexpr int64_t kMaxChunks = (int64_t(1) << kIndexBits) - 1;
constexpr uint64_t kIndexMask = (uint64_t(1) << kIndexBits) - 1;
constexpr unsigned kGenerationShift = 2 * kIndexBits;
constexpr uint64_t kGenerationMask = (uint64_t(1) << (64 - kGenerationShift)) - 1;

uint64_t generationOf(uint64_t word) { return word >> kGenerationShift; }
int64_t countOf(uint64_t word) { return int64_t((word >> kIndexBits) & kIndexMask); }
int64_t nextOf(uint64_t word) { return int64_t(word & kIndexMask); }
uint64_t claimWord(uint64_t generation, int64_t count) {
  return generation << kGenerationShift | uint64_t(count) << kIndexBits;
}

} // namespace

ThreadPool::ThreadPool(unsigned numThreads) {
  if (numThreads == 0)
    throw Error("thread pool: the thread count must be at least 1");
  for (unsigned i = 1; i < numThreads; ++i)
    workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread &t : workers_)
    t.join();
}

// About four chunks per thread: a thread descheduled inside a chunk then holds up a quarter of its
// even share rather than all of it, and the threads that do run balance in steps of a quarter
// share. Finer chunks would buy little more: each costs a claim (an atomic on a cache line that all
// threads share) and a kernel call with its per-call setup. Small W gets one workgroup per chunk;
// kMaxChunks bounds the count for very many threads.
int64_t ThreadPool::chunkSize(int64_t W, unsigned numThreads) {
  int64_t chunks = std::min<int64_t>({W, int64_t(numThreads) * 4, kMaxChunks});
  chunks = std::max<int64_t>(chunks, 1);
  return (W + chunks - 1) / chunks;
}

bool ThreadPool::runChunks(uint64_t generation) {
  int64_t ran = 0;
  uint64_t word = claim_.load(std::memory_order_relaxed);
  while (generationOf(word) == generation && nextOf(word) < countOf(word)) {
    if (!claim_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel,
                                      std::memory_order_relaxed))
      continue; // `word` now holds the current value
    // The claim synchronises with the caller's publication, and the job cannot finish before this
    // thread's decrement of unfinished_ below, so its fields are stable here.
    int64_t begin = nextOf(word) * chunk_;
    int64_t end = std::min(begin + chunk_, W_);
    try {
      fn_(ctx_, begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_)
        error_ = std::current_exception();
    }
    ++ran;
    word = claim_.load(std::memory_order_relaxed);
  }
  // One decrement for all the chunks this thread ran; after it, nothing of the job may be touched.
  return ran > 0 && unfinished_.fetch_sub(ran, std::memory_order_acq_rel) == ran;
}

void ThreadPool::run(int64_t W, RangeFn fn, void *ctx) {
  if (W <= 0)
    return;
  if (W == 1 || workers_.empty()) {
    fn(ctx, 0, W);
    return;
  }
  std::lock_guard<std::mutex> call(callMutex_);
  int64_t chunk = chunkSize(W, numThreads());
  int64_t count = (W + chunk - 1) / chunk;
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = fn;
    ctx_ = ctx;
    W_ = W;
    chunk_ = chunk;
    error_ = nullptr;
    unfinished_.store(count, std::memory_order_relaxed);
    generation = (generationOf(claim_.load(std::memory_order_relaxed)) + 1) & kGenerationMask;
    claim_.store(claimWord(generation, count), std::memory_order_release);
  }
  wake_.notify_all();
  // The caller claims chunks like a worker: workers that are late to wake find none left and cost
  // nothing. It then waits only for chunks that others have claimed and not finished.
  runChunks(generation);
  std::exception_ptr error;
  auto finished = [this] { return unfinished_.load(std::memory_order_acquire) == 0; };
  spinUntil(finished, kSpin);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, finished);
    error = error_;
    error_ = nullptr;
  }
  if (error)
    std::rethrow_exception(error);
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  auto newJob = [&] { return generationOf(claim_.load(std::memory_order_acquire)) != seen; };
  for (;;) {
    if (!spinUntil(newJob, kSpin)) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || newJob(); });
      if (stop_)
        return;
    }
    // A worker that slept through jobs joins the newest one; missing the others is harmless, since
    // the caller runs any chunk nobody claimed.
    seen = generationOf(claim_.load(std::memory_order_acquire));
    if (runChunks(seen)) {
      // Taking the mutex orders this notify after the caller's check, if it is about to sleep.
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

} // namespace axe
