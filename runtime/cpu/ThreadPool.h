//===- ThreadPool.h - persistent workers for workgroup ranges -*- C++ -*-===//
//
// A program step calls hundreds of kernels, each over a workgroup range [0, W). Spawning threads per
// call would cost more than a small kernel, so the workers persist. Between calls a worker first
// spins for a short while (kSpin), since the next kernel of a step usually follows within
// microseconds, then sleeps on a condition variable: waking a sleeping thread costs tens of
// microseconds, more than most decode kernels take, while an unbounded spin would steal a core
// from the caller between steps. The calling thread takes part, so a pool of N threads has N - 1
// workers.
//
// The work is split dynamically. [0, W) is cut into chunks of chunkSize(W, N) workgroups, and the
// caller and the workers claim them one at a time from a shared counter until none are left; the
// call returns when every claimed chunk has finished. A static split (one range per thread) makes
// every call wait for the slowest thread, and on busy cores a worker may not run for a whole
// scheduler slice (milliseconds) after it is woken: with 2 threads on 2 busy cores decode fell from
// over 1,000 tok/s to 31. Here a worker that has not claimed anything costs nothing (the caller
// takes its chunks), and one descheduled inside a chunk costs that chunk, not its whole share.
//
// The counter is one 64-bit word, claim_, holding the job's generation, its chunk count and the
// next chunk to hand out; the caller publishes a job by storing it. A claim is a compare-and-swap
// that bumps the next chunk, and only while the word still holds the generation the claimer set out
// with and chunks remain: a worker that wakes late finds the job finished or replaced and claims
// nothing, and the chunk index and count it does claim always come from the same job. The job's
// other fields (fn, ctx, W, chunk size) are read only after a successful claim, and the job cannot
// finish, so the caller cannot move on and overwrite them, before the claimer has accounted for its
// chunks. Waiting workers watch the generation to tell a new job from the one they last served.
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

  // Calls fn(begin, end) for disjoint, non-empty ranges that cover [0, W) exactly once, from the
  // caller and the workers concurrently; returns when all have returned. The ranges are the chunks
  // [k * C, min((k + 1) * C, W)) for C = chunkSize(W, numThreads()); W == 1 or a pool of one thread
  // runs fn(0, W) inline. The first exception thrown by fn is rethrown here (the other chunks still
  // run). Calls from several threads are serialised; fn must not call parallelFor on the same pool.
  template <typename Fn> void parallelFor(int64_t W, Fn &&fn) {
    using F = std::remove_reference_t<Fn>;
    run(W, [](void *ctx, int64_t b, int64_t e) { (*static_cast<F *>(ctx))(b, e); },
        const_cast<void *>(static_cast<const void *>(&fn)));
  }

  // The number of workgroups per chunk when `numThreads` threads share [0, W), W >= 1.
  static int64_t chunkSize(int64_t W, unsigned numThreads);

private:
  using RangeFn = void (*)(void *ctx, int64_t begin, int64_t end);
  void run(int64_t W, RangeFn fn, void *ctx);
  void workerLoop();
  // Claims and runs chunks of job `generation` until none are left; true if that finished the job.
  bool runChunks(uint64_t generation);

  std::vector<std::thread> workers_;
  std::mutex callMutex_; // one parallelFor at a time

  // How long a waiting thread polls before it sleeps.
  static constexpr std::chrono::microseconds kSpin{100};

  // generation << 24 | chunk count << 12 | next chunk to hand out (ThreadPool.cpp). 12 bits bound
  // a job to 4095 chunks (chunkSize grows to respect that).
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> unfinished_{0}; // chunks of the current job not finished yet

  std::mutex mutex_; // taken to publish a job (so a sleeping worker cannot miss it), and for error_
  std::condition_variable wake_, done_;
  bool stop_ = false;
  // The current job; written by the caller before it publishes claim_, read after a claim.
  RangeFn fn_ = nullptr;
  void *ctx_ = nullptr;
  int64_t W_ = 0;
  int64_t chunk_ = 0;
  std::exception_ptr error_;
};

} // namespace axe

#endif // AXE_RUNTIME_CPU_THREADPOOL_H
