//===- ThreadPool.cpp - persistent workers for workgroup ranges -----------===//

#include "runtime/cpu/ThreadPool.h"

#include "models/Error.h"

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

} // namespace

ThreadPool::ThreadPool(unsigned numThreads) {
  if (numThreads == 0)
    throw Error("thread pool: the thread count must be at least 1");
  for (unsigned i = 1; i < numThreads; ++i)
    workers_.emplace_back([this, i] { workerLoop(i); });
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

void ThreadPool::splitRange(int64_t W, int64_t parts, int64_t i, int64_t &begin, int64_t &end) {
  int64_t base = W / parts, extra = W % parts;
  begin = i * base + std::min(i, extra);
  end = begin + base + (i < extra ? 1 : 0);
}

void ThreadPool::runRange(unsigned part) {
  int64_t begin, end;
  splitRange(W_, parts_, part, begin, end);
  try {
    fn_(ctx_, begin, end);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_)
      error_ = std::current_exception();
  }
}

void ThreadPool::run(int64_t W, RangeFn fn, void *ctx) {
  if (W <= 0)
    return;
  int64_t parts = std::min<int64_t>(W, numThreads());
  if (parts == 1) {
    fn(ctx, 0, W);
    return;
  }
  std::lock_guard<std::mutex> call(callMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = fn;
    ctx_ = ctx;
    W_ = W;
    parts_ = parts;
    pending_.store(parts - 1, std::memory_order_relaxed);
    error_ = nullptr;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  runRange(0);
  std::exception_ptr error;
  auto finished = [this] { return pending_.load(std::memory_order_acquire) == 0; };
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

void ThreadPool::workerLoop(unsigned index) {
  uint64_t seen = 0;
  auto newJob = [&] { return generation_.load(std::memory_order_acquire) != seen; };
  for (;;) {
    spinUntil(newJob, kSpin);
    int64_t parts;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || newJob(); });
      if (stop_)
        return;
      seen = generation_.load(std::memory_order_relaxed);
      parts = parts_;
    }
    if (int64_t(index) >= parts)
      continue; // fewer ranges than threads this time
    // The job's fields are stable until pending_ reaches 0, which needs this worker's decrement.
    runRange(index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Taking the mutex orders this notify after the caller's check, if it is about to sleep.
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

} // namespace axe
