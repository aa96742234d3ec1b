//===- CpuDevice.h - runs the step program on the CPU ---------*- C++ -*-===//
//
// Owns the memory of every buffer and runs one step of the program: binds the per-step symbols
// (T, S, R, MB; NB and P are fixed at construction), sizes the input, temp and output buffers
// (64-byte aligned; an allocation is kept across steps while it is big enough), writes the inputs,
// then runs the entries in order, each split over the thread pool by workgroup range.
//
// Weight buffers point into the mmapped weights file. State buffers (KV caches, DeltaNet states)
// are allocated zeroed at construction and persist across steps.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_CPU_CPUDEVICE_H
#define AXE_RUNTIME_CPU_CPUDEVICE_H

#include "runtime/Artifact.h"
#include "runtime/cpu/KernelCall.h"
#include "runtime/cpu/ThreadPool.h"

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace axe {

// The six inputs of one step (docs/artifact.md "Buffers"). T = tokenIds.size(),
// R = logitRows.size(), S = numSeqs, MB = blockTableCols.
struct StepInputs {
  std::vector<int32_t> tokenIds;   // [T]
  std::vector<int32_t> positions;  // [T], position of each token in its sequence
  std::vector<int32_t> seqIds;     // [T], row of each token's sequence in the block table
  std::vector<int32_t> logitRows;  // [R], token rows whose logits are wanted
  std::vector<int32_t> blockTable; // [S, MB], row-major
  std::vector<int32_t> stateSlots; // [S]
  int64_t numSeqs = 0;
  int64_t blockTableCols = 0;
};

// The logits of a step, [rows, cols] f32 row-major; valid until the next step.
struct Logits {
  const float *data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  const float *row(int64_t r) const { return data + r * cols; }
};

class CpuDevice {
public:
  // Allocates the state buffers for `numBlocks` KV blocks (NB) and `numStateSlots` recurrent-state
  // slots (P), and a pool of `numThreads` threads (counting the caller).
  CpuDevice(const Artifact &artifact, int64_t numBlocks, int64_t numStateSlots, unsigned numThreads);
  ~CpuDevice();
  CpuDevice(const CpuDevice &) = delete;
  CpuDevice &operator=(const CpuDevice &) = delete;

  // Checks the inputs (sizes, and every index in range), runs one step, returns the logits.
  Logits step(const StepInputs &inputs);

  // Zeroes slot `slot` of every state buffer sized by P: a sequence starting on that slot must see
  // zero conv and recurrent state.
  void zeroStateSlot(int64_t slot);
  // Copies slot `from` of every state buffer sized by P into slot `to` (a forked completion
  // starts from its parent's recurrent state).
  void copyStateSlot(int64_t from, int64_t to);
  // Copies KV block `from` of every cache sized by NB into block `to` (copy on write).
  void copyKvBlock(int64_t from, int64_t to);

  // Per-kernel wall time, summed over the steps run since enableProfiling(): each dispatch is timed
  // around its parallelFor (workers included), so the times add up to the steps' kernel time.
  struct KernelTime {
    int64_t calls = 0;
    double seconds = 0;
  };
  void enableProfiling() { profile_.assign(manifest_.kernels.size(), KernelTime{}); }
  // Indexed like manifest().kernels; empty unless profiling.
  const std::vector<KernelTime> &profile() const { return profile_; }

  // Observation for evaluation and sensitivity profiling (not used when serving):
  // The recurrent state of slot `slot`: every f32 state buffer sized by P (the Gated DeltaNet
  // recurrent states; the conv states are BF16 and not included), in manifest order, flattened.
  std::vector<float> recurrentState(int64_t slot) const;
  // After enableRouteCapture(), each step keeps the experts every axe.moe_route dispatch chose: its
  // i32 argument [T, K], one entry per dispatch in program order (one per MoE layer).
  void enableRouteCapture();
  const std::vector<std::vector<int32_t>> &capturedRoutes() const { return routes_; }

  // The memory of buffer `id` as the last step bound it (state and weights: always).
  void *bufferData(int64_t id) const { return storage_[size_t(id)].data; }
  uint64_t bufferBytes(int64_t id) const { return storage_[size_t(id)].bytes; }
  const SymbolValues &symbols() const { return symbols_; }
  unsigned numThreads() const { return pool_.numThreads(); }
  int64_t numBlocks() const { return symbols_[int(Symbol::NB)]; }
  int64_t numStateSlots() const { return symbols_[int(Symbol::P)]; }

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

  void checkInputs(const StepInputs &in) const;
  // Checks that every index is below the value of `symbol`, then calls fn(base, sliceBytes) for
  // every state buffer whose first dim is `symbol` (KV caches: NB; recurrent states: P).
  template <typename Fn>
  void forEachStateBuffer(Symbol symbol, std::initializer_list<int64_t> indices, const char *what, Fn fn);
  void runCalls();
  void captureRoutes(); // when enabled: copies each moe_route dispatch's chosen experts
  // Sizes the per-step buffers for symbols_ and rebuilds every descriptor and call.
  void bind();
  uint64_t bufferElements(const BufferDecl &b) const;
  void allocate(Storage &s, uint64_t bytes, bool zeroed);
  static void release(Storage &s);
  std::string symbolsStr() const;

  const Artifact &artifact_;
  const Manifest &manifest_;
  ThreadPool pool_;
  SymbolValues symbols_{};
  bool bound_ = false;
  std::vector<Storage> storage_;              // by buffer id
  std::vector<MemRefDescriptor> descriptors_; // every entry's views, never reallocated
  std::vector<size_t> firstDescriptor_;       // by program entry
  std::vector<Call> calls_;                   // by program entry
  std::vector<KernelTime> profile_;           // by kernel, when profiling
  std::vector<std::pair<size_t, size_t>> routeArgs_; // (program entry, i32 arg) of moe_route dispatches
  std::vector<std::vector<int32_t>> routes_;         // the last step's, when capturing
};

} // namespace axe

#endif // AXE_RUNTIME_CPU_CPUDEVICE_H
