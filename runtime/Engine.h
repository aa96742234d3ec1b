//===- Engine.h - generation for one sequence -----------------*- C++ -*-===//
//
// The first engine: one sequence at a time on a CpuDevice, with a contiguous KV cache (block
// table 0, 1, 2, ...; NB = ceil(maxContext / kv_block_size)) and recurrent-state slot 0, zeroed
// when a sequence starts. The prompt is fed in chunks of at most `prefillChunk` tokens, one step
// each, with positions continuing; decode feeds one token per step.
//
// Only the rows of logits that are needed are computed: the last token's, or every token's when
// `allLogits` is set (for comparing with a reference position by position).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_ENGINE_H
#define AXE_RUNTIME_ENGINE_H

#include "runtime/Artifact.h"
#include "runtime/cpu/CpuDevice.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace axe {

struct EngineOptions {
  int64_t maxContext = 0;   // tokens the KV cache holds; must be >= 1
  int64_t prefillChunk = 0; // tokens per prefill step; 0: the whole prompt in one step
  unsigned threads = 1;     // counting the calling thread
  bool allLogits = false;   // compute every token's logits, not only the last one's
  bool profile = false;     // time every kernel (CpuDevice::profile)
};

class Engine {
public:
  // Receives rows of logits, [numRows, vocabSize], valid only during the call.
  using RowsCallback = std::function<void(const float *rows, int64_t numRows)>;

  Engine(const Artifact &artifact, const EngineOptions &options);

  // Starts a new sequence: position 0 and a zeroed state slot.
  void reset();
  // Feeds `ids` at the next positions, in chunks. Returns the last token's logits row (valid until
  // the next step). With allLogits, `onRows` receives every fed token's row, in order. Throws
  // axe::Error for an empty prompt, an id outside the vocabulary, or a context overflow.
  const float *prefill(const std::vector<int32_t> &ids, const RowsCallback &onRows = {});
  // Feeds one token at the next position; returns its logits row.
  const float *decode(int32_t id);

  int64_t position() const { return position_; } // tokens fed since reset()
  int64_t maxContext() const { return options_.maxContext; }
  int64_t vocabSize() const { return artifact_.manifest().model.vocabSize; }
  const CpuDevice &device() const { return *device_; }

private:
  enum class LogitRows { None, Last, All };
  // Runs one step over `count` ids at positions position_.. and returns the logits rows asked for.
  Logits step(const int32_t *ids, int64_t count, LogitRows rows);

  const Artifact &artifact_;
  EngineOptions options_;
  std::unique_ptr<CpuDevice> device_;
  int64_t position_ = 0;
  StepInputs inputs_; // reused across steps
};

} // namespace axe

#endif // AXE_RUNTIME_ENGINE_H
