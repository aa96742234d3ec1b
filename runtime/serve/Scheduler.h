//===- Scheduler.h - iteration-level continuous batching ------*- C++ -*-===//
//
// Before every step the scheduler decides which tokens of which sequences the step feeds, under a
// token budget (`maxNumBatchedTokens`) and a sequence cap (`maxNumSeqs`):
//
//   1. decode first: every running sequence whose prompt is in the caches gets one token, in
//      arrival order;
//   2. then prefill: partially prefilled running sequences, then waiting ones (first come, first
//      served: the head of the queue is never overtaken), each a chunk of what budget remains.
//      A waiting sequence is admitted only when a state slot (n of them for an n-way request)
//      and the KV blocks of its first chunk are free.
//
// When a running sequence needs a KV block and none is free, the latest-arrived running sequence
// not yet planned for this step is preempted (its blocks and slot freed, its tokens kept; it
// waits again in arrival order and recomputes), or, if there is none, the sequence itself is.
// The earliest sequence therefore always progresses, and no request is starved by later ones.
//
// Batch invariance (docs/serving.md): a sequence's logits must not depend on what shares its
// steps. The compiled kernels compute every token independently of the others, except the gated
// delta rule, which works in chunks of `alignment` (64) positions starting where the sequence's
// run in the step starts. So the scheduler feeds a sequence's prompt in pieces that start at
// multiples of `alignment` from position 0 (every piece but the last is a multiple of it), and
// every later token (generated, or replayed after a preemption) alone, one per step. Then a
// sequence's caches and logits are the same bits however the steps were composed, preemptions
// included. `forcedPrefillChunk` overrides the piece size (testing prefill continuation; it
// gives up that guarantee).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVE_SCHEDULER_H
#define AXE_RUNTIME_SERVE_SCHEDULER_H

#include "runtime/serve/KvBlockPool.h"
#include "runtime/serve/Sequence.h"
#include "runtime/serve/StateSlotPool.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace axe {

struct SchedulerConfig {
  int64_t maxNumSeqs = 64;
  int64_t maxNumBatchedTokens = 2048;
  int64_t blockSize = 16;   // positions per KV block; 0: the model has no KV cache
  int64_t alignment = 64;   // prefill pieces start at multiples of it (see above)
  int64_t forcedPrefillChunk = 0;
};

// Tokens [seq->numComputed, + count) go into this step.
struct ScheduledChunk {
  Sequence *seq = nullptr;
  int64_t count = 0;
  bool wantLogits = false;   // the chunk ends at the last known token: sample from its row
  int64_t promptRows = 0;    // promptLogits: rows of this chunk to report (its first ones)
};

// What the scheduler asks the device to do to memory, before the step runs.
struct CacheOps {
  std::function<void(int32_t slot)> zeroSlot;                // a sequence starts on `slot`
  std::function<void(int32_t from, int32_t to)> copyBlock;   // copy on write of a shared block
};

class Scheduler {
public:
  Scheduler(const SchedulerConfig &config, KvBlockPool &blocks, StateSlotPool &slots, CacheOps ops);

  const SchedulerConfig &config() const { return config_; }

  // Queues a sequence (status Waiting, nothing computed, no caches), in arrival order.
  void enqueue(Sequence *seq);
  // Takes a sequence out, wherever it is, and frees its caches.
  void remove(Sequence *seq);
  // Adds a running sequence that already holds its caches (a completion forked off another).
  void addRunning(Sequence *seq);

  // Plans the next step: admits, preempts and allocates as described above. Empty when there is
  // nothing to run. The caller runs the step and then advances each chunk's numComputed.
  std::vector<ScheduledChunk> schedule();

  const std::vector<Sequence *> &waiting() const { return waiting_; }
  const std::vector<Sequence *> &running() const { return running_; }
  int64_t numPreemptions() const { return preemptions_; }

private:
  // KV blocks a chunk of `count` tokens at numComputed needs: new ones and a copy on write.
  int64_t blocksNeeded(const Sequence &seq, int64_t count) const;
  // The next token goes into a block that other sequences share: it must be copied first.
  bool needsCopy(const Sequence &seq) const;
  // The largest prompt piece of at most `limit` tokens that keeps the alignment and fits in
  // `freeBlocks` more blocks.
  int64_t prefillPiece(const Sequence &seq, int64_t limit, int64_t freeBlocks) const;
  // Allocates what the chunk needs (blocksNeeded must be free).
  void reserve(Sequence &seq, int64_t count);
  // Preempts the latest-arrived running sequence, not yet planned, that arrived after `than`.
  bool preemptOneAfter(const Sequence &than);
  // Blocks held by running sequences, not yet planned, that arrived after `than`.
  int64_t blocksHeldAfter(const Sequence &than) const;
  void preempt(Sequence &seq);
  void freeCaches(Sequence &seq);
  int64_t runningSlots() const;
  ScheduledChunk chunkFor(Sequence &seq, int64_t count) const;

  SchedulerConfig config_;
  KvBlockPool &blocks_;
  StateSlotPool &slots_;
  CacheOps ops_;
  std::vector<Sequence *> waiting_; // by arrival
  std::vector<Sequence *> running_; // by arrival
  int64_t preemptions_ = 0;
  int64_t round_ = 0; // schedule() calls
};

} // namespace axe

#endif // AXE_RUNTIME_SERVE_SCHEDULER_H
