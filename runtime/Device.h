//===- Device.h - what runs the step program, CPU or GPU ------*- C++ -*-===//
//
// A device owns the memory of every buffer of the step program and runs one step: it binds the
// per-step symbols (T, S, R, MB; NB and P are fixed at construction), sizes the input, temp and
// output buffers, writes the inputs, runs the program's entries in order and returns the logits.
// State buffers (KV caches, DeltaNet states) persist across steps. This base holds what does not
// depend on where the memory is: the input checks, buffer sizes and views, which buffers are
// state slices, which arguments hold the routing; CpuDevice (runtime/cpu) and CudaDevice
// (runtime/cuda) own memory and launches.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_DEVICE_H
#define AXE_RUNTIME_DEVICE_H

#include "runtime/Artifact.h"

#include <cstdint>
#include <string>
#include <utility>
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

// The logits of a step, [rows, cols] f32 row-major, in host memory; valid until the next step.
struct Logits {
  const float *data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  const float *row(int64_t r) const { return data + r * cols; }
};

class Device {
public:
  virtual ~Device() = default;
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;

  // Checks the inputs (sizes, and every index in range), runs one step, returns the logits.
  virtual Logits step(const StepInputs &inputs) = 0;

  // Zeroes slot `slot` of every state buffer sized by P: a sequence starting on that slot must see
  // zero conv and recurrent state.
  virtual void zeroStateSlot(int64_t slot) = 0;
  // Copies slot `from` of every state buffer sized by P into slot `to` (a forked completion
  // starts from its parent's recurrent state).
  virtual void copyStateSlot(int64_t from, int64_t to) = 0;
  // Copies KV block `from` of every cache sized by NB into block `to` (copy on write).
  virtual void copyKvBlock(int64_t from, int64_t to) = 0;

  // Per-kernel time, summed over the steps run since enableProfiling(): each dispatch is timed
  // until it has finished, so the times add up to the steps' kernel time.
  struct KernelTime {
    int64_t calls = 0;
    double seconds = 0;
  };
  void enableProfiling() {
    profile_.assign(manifest_.kernels.size(), KernelTime{});
    entryProfile_.assign(manifest_.program.size(), KernelTime{});
  }
  // Indexed like manifest().kernels; empty unless profiling.
  const std::vector<KernelTime> &profile() const { return profile_; }
  // The same time by dispatch, indexed like manifest().program: which layer a dispatch serves
  // shows in the weights it reads (axe-run --profile-json).
  const std::vector<KernelTime> &entryProfile() const { return entryProfile_; }

  // Observation for evaluation and sensitivity profiling (not used when serving):
  // The recurrent state of slot `slot`: every f32 state buffer sized by P (the Gated DeltaNet
  // recurrent states; the conv states are BF16 and not included), in manifest order, flattened.
  virtual std::vector<float> recurrentState(int64_t slot) const = 0;
  // After enableRouteCapture(), each step keeps the experts every axe.moe_route dispatch chose: its
  // i32 argument [T, K], one entry per dispatch in program order (one per MoE layer).
  void enableRouteCapture();
  const std::vector<std::vector<int32_t>> &capturedRoutes() const { return routes_; }

  const SymbolValues &symbols() const { return symbols_; }
  int64_t numBlocks() const { return symbols_[int(Symbol::NB)]; }
  int64_t numStateSlots() const { return symbols_[int(Symbol::P)]; }

protected:
  // `name` ("cpu", "cuda") prefixes error messages. Throws when NB or P is out of range.
  Device(const char *name, const Artifact &artifact, int64_t numBlocks, int64_t numStateSlots);

  // The views of program entry `entry` argument `arg` at the current symbols: sizes and strides in
  // elements (rank = the view's). Throws when the view reaches past its buffer.
  struct View {
    int rank = 0;
    int64_t offset = 0;
    int64_t sizes[Manifest::kMaxViewRank] = {};
    int64_t strides[Manifest::kMaxViewRank] = {};
  };
  View view(size_t entry, size_t arg) const;
  void checkInputs(const StepInputs &in) const;
  // Sets T, S, R, MB from the inputs; true when they changed (the buffers must be bound again).
  bool bindSymbols(const StepInputs &in);
  uint64_t bufferElements(const BufferDecl &b) const;
  uint64_t bytesOf(const BufferDecl &b) const { return bufferElements(b) * dtypeSize(b.dtype); }
  std::string symbolsStr() const;
  // The state buffers whose first dimension is `symbol` (KV caches: NB; recurrent states: P), as
  // (buffer id, bytes of one slice), after checking every index against the symbol's value.
  std::vector<std::pair<int64_t, uint64_t>> stateSlices(Symbol symbol, std::initializer_list<int64_t> indices,
                                                        const char *what) const;
  // The (program entry, argument) of each moe_route dispatch's chosen experts, when capturing.
  const std::vector<std::pair<size_t, size_t>> &routeArguments() const { return routeArgs_; }
  std::vector<std::vector<int32_t>> &routes() { return routes_; }
  bool profiling() const { return !profile_.empty(); }
  // Adds one run of program entry `entry` to both profiles.
  void addEntryTime(size_t entry, double seconds);

  const std::string name_;
  const Artifact &artifact_;
  const Manifest &manifest_;
  SymbolValues symbols_{};

private:
  std::vector<KernelTime> profile_;                  // by kernel, when profiling
  std::vector<KernelTime> entryProfile_;             // by program entry, when profiling
  std::vector<std::pair<size_t, size_t>> routeArgs_; // (program entry, i32 arg) of moe_route dispatches
  std::vector<std::vector<int32_t>> routes_;         // the last step's, when capturing
};

} // namespace axe

#endif // AXE_RUNTIME_DEVICE_H
