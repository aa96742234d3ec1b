//===- CpuDevice.h - runs the step program on the CPU ---------*- C++ -*-===//
//
// The Device (runtime/Device.h) of cpu/kernels.so: buffers in host memory (64-byte aligned; an
// allocation is kept across steps while it is big enough), each program entry split over the
// thread pool by workgroup range.
//
// Weight buffers point into the mmapped weights file. State buffers (KV caches, DeltaNet states)
// are allocated zeroed at construction and persist across steps.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_CPU_CPUDEVICE_H
#define AXE_RUNTIME_CPU_CPUDEVICE_H

#include "runtime/Device.h"
#include "runtime/cpu/KernelCall.h"
#include "runtime/cpu/ThreadPool.h"

#include <cstdint>
#include <vector>

namespace axe {

class CpuDevice : public Device {
public:
  // Allocates the state buffers for `numBlocks` KV blocks (NB) and `numStateSlots` recurrent-state
  // slots (P), and a pool of `numThreads` threads (counting the caller).
  CpuDevice(const Artifact &artifact, int64_t numBlocks, int64_t numStateSlots, unsigned numThreads);
  ~CpuDevice() override;

  Logits step(const StepInputs &inputs) override;
  void zeroStateSlot(int64_t slot) override;
  void copyStateSlot(int64_t from, int64_t to) override;
  void copyKvBlock(int64_t from, int64_t to) override;
  std::vector<float> recurrentState(int64_t slot) const override;

  // The memory of buffer `id` as the last step bound it (state and weights: always).
  void *bufferData(int64_t id) const { return storage_[size_t(id)].data; }
  uint64_t bufferBytes(int64_t id) const { return storage_[size_t(id)].bytes; }
  unsigned numThreads() const { return pool_.numThreads(); }

private:
  struct Storage {
    void *data = nullptr;
    uint64_t bytes = 0;    // what the current binding needs
    uint64_t capacity = 0; // what is allocated (0 for weights)
    bool mapped = false;   // allocated with mmap rather than aligned_alloc
  };
  struct Call {
    KernelCall call;
    int64_t workgroups = 0;
    int64_t kernel = 0; // index in manifest_.kernels
  };

  void runCalls();
  void captureRoutes(); // when enabled: copies each moe_route dispatch's chosen experts
  // Sizes the per-step buffers for symbols_ and rebuilds every descriptor and call.
  void bind();
  void allocate(Storage &s, uint64_t bytes, bool zeroed);
  static void release(Storage &s);

  ThreadPool pool_;
  bool bound_ = false;
  std::vector<Storage> storage_;              // by buffer id
  std::vector<MemRefDescriptor> descriptors_; // every entry's views, never reallocated
  std::vector<size_t> firstDescriptor_;       // by program entry
  std::vector<Call> calls_;                   // by program entry
};

} // namespace axe

#endif // AXE_RUNTIME_CPU_CPUDEVICE_H
