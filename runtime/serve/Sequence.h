//===- Sequence.h - one completion as the scheduler sees it ---*- C++ -*-===//
//
// A sequence is a prompt followed by the tokens generated so far. `numComputed` of its tokens are
// in the caches (KV blocks and its state slot); the next step feeds tokens from there on. A
// preempted sequence loses its caches and starts again from zero (recompute), keeping every
// token it generated: replaying them rebuilds the caches bit for bit (see Scheduler.h).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVE_SEQUENCE_H
#define AXE_RUNTIME_SERVE_SEQUENCE_H

#include "runtime/Sampler.h"
#include "runtime/serve/Request.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace axe {

struct Sequence {
  enum class Status { Waiting, Running, Finished };

  uint64_t requestId = 0;
  int64_t index = 0;        // completion index within the request
  uint64_t arrival = 0;     // scheduling priority: lower arrived earlier (first come, first served)
  Status status = Status::Waiting;

  std::vector<int32_t> tokens; // prompt, then generated tokens
  int64_t promptLen = 0;
  int64_t numComputed = 0;     // tokens whose KV and state are in the caches
  int64_t maxTokens = 0;       // generated tokens allowed

  std::vector<int32_t> blockTable; // blocksFor(numComputed) blocks while running
  int32_t stateSlot = -1;
  // Completions still to fork off this one when its prompt is done (n > 1), and the state slots
  // reserved for them at admission.
  int64_t pendingForks = 0;
  std::vector<int32_t> reservedSlots;

  std::unique_ptr<Sampler> sampler;
  int64_t promptRowsSent = 0;  // prompt logits rows already reported (promptLogits)
  bool scheduled = false;      // scratch: part of the step being planned
  int64_t preemptedAt = -1;    // the scheduling round that last preempted it

  int64_t numGenerated() const { return int64_t(tokens.size()) - promptLen; }
  bool inPrefill() const { return numComputed < promptLen; }
  // Slots this sequence needs while running: its own and the reserved ones.
  int64_t slotsNeeded() const { return 1 + pendingForks; }
};

} // namespace axe

#endif // AXE_RUNTIME_SERVE_SEQUENCE_H
