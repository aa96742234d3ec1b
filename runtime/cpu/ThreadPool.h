//===- ThreadPool.h - persistent workers for workgroup ranges -*- C++ -*-===//
//
// A program step calls hundreds of kernels, each over a workgroup range [0, W). Spawning threads per
// call would cost more than a small kernel, so the workers persist. Between calls a worker first
// spins for a short while (kSpin), since the next kernel of a step usually follows within
// microseconds, then sleeps on a condition variable: waking a sleeping thread costs tens of
// microseconds, more than most decode kernels take, while an unbounded spin would steal a core
// from the caller between steps. The calling thread takes part, so a pool of N threads has N - 1
// workers, and it waits for them the same way.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_CPU_THREADPOOL_H
#define AXE_RUNTIME_CPU_THREADPOOL_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace axe {

class ThreadPool {
public:
  // `numThreads` counts the calling thread: 1 runs everything inline. Must be >= 1.
  explicit ThreadPool(unsigned numThreads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned numThreads() const { return unsigned(workers_.size()) + 1; }

  // Splits [0, W) into min(W, numThreads()) contiguous ranges of near-equal size and calls
  // fn(begin, end) once per range, concurrently; returns when all have returned. The first
  // exception thrown by fn is rethrown here. Calls from several threads are serialised; fn must not
  // call parallelFor on the same pool.
  template <typename Fn> void parallelFor(int64_t W, Fn &&fn) {
    using F = std::remove_reference_t<Fn>;
    run(W, [](void *ctx, int64_t b, int64_t e) { (*static_cast<F *>(ctx))(b, e); },
        const_cast<void *>(static_cast<const void *>(&fn)));
  }

  // The i-th of `parts` contiguous ranges of [0, W): sizes differ by at most one.
  static void splitRange(int64_t W, int64_t parts, int64_t i, int64_t &begin, int64_t &end);

private:
  using RangeFn = void (*)(void *ctx, int64_t begin, int64_t end);
  void run(int64_t W, RangeFn fn, void *ctx);
  void workerLoop(unsigned index);
  void runRange(unsigned part);

  std::vector<std::thread> workers_;
  std::mutex callMutex_; // one parallelFor at a time

  // How long a waiting thread polls before it sleeps.
  static constexpr std::chrono::microseconds kSpin{100};

  std::mutex mutex_; // guards the job's fields and error_; generation_ and pending_ change under it
  std::condition_variable wake_, done_;
  std::atomic<uint64_t> generation_{0}; // bumped for each job (after its fields are written)
  std::atomic<int64_t> pending_{0};     // worker ranges not finished yet
  bool stop_ = false;
  RangeFn fn_ = nullptr;
  void *ctx_ = nullptr;
  int64_t W_ = 0;
  int64_t parts_ = 0;
  std::exception_ptr error_;
};

} // namespace axe

#endif // AXE_RUNTIME_CPU_THREADPOOL_H
