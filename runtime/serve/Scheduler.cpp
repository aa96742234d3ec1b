//===- Scheduler.cpp - iteration-level continuous batching ----------------===//

#include "runtime/serve/Scheduler.h"

#include "support/Error.h"

#include <algorithm>
#include <string>

namespace axe {

namespace {

// Inserts `seq` into `list`, kept sorted by arrival.
void insertByArrival(std::vector<Sequence *> &list, Sequence *seq) {
  auto at = std::upper_bound(list.begin(), list.end(), seq,
                             [](const Sequence *a, const Sequence *b) { return a->arrival < b->arrival; });
  list.insert(at, seq);
}

bool eraseFrom(std::vector<Sequence *> &list, const Sequence *seq) {
  auto it = std::find(list.begin(), list.end(), seq);
  if (it == list.end())
    return false;
  list.erase(it);
  return true;
}

} // namespace

Scheduler::Scheduler(const SchedulerConfig &config, KvBlockPool &blocks, StateSlotPool &slots, CacheOps ops)
    : config_(config), blocks_(blocks), slots_(slots), ops_(std::move(ops)) {
  if (config.maxNumSeqs < 1)
    throw Error("scheduler: max-num-seqs must be at least 1");
  if (config.alignment < 1)
    throw Error("scheduler: the prefill alignment must be at least 1");
  if (config.maxNumBatchedTokens < config.maxNumSeqs + config.alignment)
    throw Error("scheduler: max-num-batched-tokens (" + std::to_string(config.maxNumBatchedTokens) +
                ") must be at least max-num-seqs + " + std::to_string(config.alignment) + " (" +
                std::to_string(config.maxNumSeqs + config.alignment) +
                "), so that a prefill piece fits beside a full batch of decodes");
  if (config.blockSize < 0)
    throw Error("scheduler: the KV block size must be >= 0");
  if (config.forcedPrefillChunk < 0)
    throw Error("scheduler: the forced prefill chunk must be >= 0");
}

void Scheduler::enqueue(Sequence *seq) {
  seq->status = Sequence::Status::Waiting;
  insertByArrival(waiting_, seq);
}

void Scheduler::addRunning(Sequence *seq) {
  seq->status = Sequence::Status::Running;
  insertByArrival(running_, seq);
}

void Scheduler::remove(Sequence *seq) {
  if (!eraseFrom(running_, seq))
    eraseFrom(waiting_, seq);
  freeCaches(*seq);
  seq->status = Sequence::Status::Finished;
}

void Scheduler::freeCaches(Sequence &seq) {
  for (int32_t b : seq.blockTable)
    blocks_.release(b);
  seq.blockTable.clear();
  if (seq.stateSlot >= 0)
    slots_.release(seq.stateSlot);
  seq.stateSlot = -1;
  for (int32_t s : seq.reservedSlots)
    slots_.release(s);
  seq.reservedSlots.clear();
}

void Scheduler::preempt(Sequence &seq) {
  eraseFrom(running_, &seq);
  freeCaches(seq);
  seq.numComputed = 0;
  seq.preemptedAt = round_;
  enqueue(&seq);
  ++preemptions_;
}

bool Scheduler::preemptOneAfter(const Sequence &than) {
  for (auto it = running_.rbegin(); it != running_.rend(); ++it) {
    Sequence *victim = *it;
    if (victim->arrival <= than.arrival)
      return false; // everything before is earlier
    if (!victim->scheduled) {
      preempt(*victim);
      return true;
    }
  }
  return false;
}

int64_t Scheduler::blocksHeldAfter(const Sequence &than) const {
  int64_t held = 0;
  for (const Sequence *s : running_)
    if (s->arrival > than.arrival && !s->scheduled)
      held += int64_t(s->blockTable.size());
  return held;
}

int64_t Scheduler::blocksNeeded(const Sequence &seq, int64_t count) const {
  int64_t B = config_.blockSize;
  if (B == 0)
    return 0;
  int64_t fresh = blocksFor(seq.numComputed + count, B) - int64_t(seq.blockTable.size());
  return fresh + (needsCopy(seq) ? 1 : 0);
}

bool Scheduler::needsCopy(const Sequence &seq) const {
  // The next position falls into the last block (not a fresh one) and others share that block.
  int64_t B = config_.blockSize;
  return B > 0 && seq.numComputed % B != 0 && !seq.blockTable.empty() &&
         blocks_.refCount(seq.blockTable.back()) > 1;
}

int64_t Scheduler::prefillPiece(const Sequence &seq, int64_t limit, int64_t freeBlocks) const {
  int64_t remaining = seq.promptLen - seq.numComputed;
  int64_t piece = std::min(remaining, limit);
  if (config_.forcedPrefillChunk > 0)
    piece = std::min(piece, config_.forcedPrefillChunk);
  if (int64_t B = config_.blockSize) {
    int64_t copy = needsCopy(seq) ? 1 : 0;
    int64_t capacity = (int64_t(seq.blockTable.size()) + freeBlocks - copy) * B - seq.numComputed;
    piece = std::min(piece, std::max<int64_t>(capacity, 0));
  }
  if (piece < remaining && config_.forcedPrefillChunk == 0)
    piece = piece / config_.alignment * config_.alignment;
  return std::max<int64_t>(piece, 0);
}

void Scheduler::reserve(Sequence &seq, int64_t count) {
  int64_t B = config_.blockSize;
  if (B == 0)
    return;
  int64_t p = seq.numComputed;
  if (needsCopy(seq)) {
    int32_t copy = blocks_.allocate();
    ops_.copyBlock(seq.blockTable.back(), copy);
    blocks_.release(seq.blockTable.back());
    seq.blockTable.back() = copy;
  }
  while (int64_t(seq.blockTable.size()) < blocksFor(p + count, B)) {
    int32_t b = blocks_.allocate();
    if (b < 0)
      throw Error("scheduler: internal error: a reserved KV block is not free");
    seq.blockTable.push_back(b);
  }
}

int64_t Scheduler::runningSlots() const {
  int64_t n = 0;
  for (const Sequence *s : running_)
    n += s->slotsNeeded();
  return n;
}

ScheduledChunk Scheduler::chunkFor(Sequence &seq, int64_t count) const {
  ScheduledChunk c;
  c.seq = &seq;
  c.count = count;
  c.wantLogits = seq.numComputed + count == int64_t(seq.tokens.size());
  // Prompt rows go out once, in order: only while the computed prefix is what was reported.
  if (seq.numComputed < seq.promptLen && seq.promptRowsSent == seq.numComputed)
    c.promptRows = std::min(count, seq.promptLen - seq.numComputed);
  return c;
}

std::vector<ScheduledChunk> Scheduler::schedule() {
  std::vector<ScheduledChunk> plan;
  ++round_;
  for (Sequence *s : running_)
    s->scheduled = false;
  int64_t budget = config_.maxNumBatchedTokens;
  int64_t decoding = 0;
  for (const Sequence *s : running_)
    decoding += s->inPrefill() ? 0 : 1;
  // Decode first: prefill pieces get what the decodes leave.
  int64_t prefillBudget = std::max<int64_t>(budget - decoding, 0);

  for (size_t i = 0; i < running_.size(); ++i) {
    Sequence &s = *running_[i];
    if (!s.inPrefill()) {
      if (budget == 0)
        continue;
      bool self = false;
      while (blocksNeeded(s, 1) > blocks_.numFree())
        if (!preemptOneAfter(s)) {
          preempt(s); // nothing later to take from: it waits, the earlier ones go on
          self = true;
          break;
        }
      if (self) {
        --i;
        continue;
      }
      reserve(s, 1);
      plan.push_back(chunkFor(s, 1));
      s.scheduled = true;
      budget -= 1;
      continue;
    }
    int64_t limit = std::min(budget, prefillBudget);
    if (limit == 0)
      continue;
    int64_t piece = prefillPiece(s, limit, blocks_.numFree());
    // Preempt later sequences only when their blocks make an (aligned) piece possible at all.
    if (piece == 0 && prefillPiece(s, limit, blocks_.numFree() + blocksHeldAfter(s)) > 0)
      while (piece == 0 && preemptOneAfter(s))
        piece = prefillPiece(s, limit, blocks_.numFree());
    if (piece == 0)
      continue; // waits for blocks that earlier sequences hold
    reserve(s, piece);
    plan.push_back(chunkFor(s, piece));
    s.scheduled = true;
    budget -= piece;
    prefillBudget -= piece;
  }

  // Admission, first come first served: the head of the queue is never overtaken.
  while (!waiting_.empty()) {
    Sequence &s = *waiting_.front();
    int64_t limit = std::min(budget, prefillBudget);
    // A sequence preempted in this round waits for the next: re-admitting it now would only
    // recompute what it just gave up.
    if (limit == 0 || s.preemptedAt == round_ || runningSlots() + s.slotsNeeded() > config_.maxNumSeqs ||
        slots_.numFree() < s.slotsNeeded())
      break;
    int64_t piece = prefillPiece(s, limit, blocks_.numFree());
    if (piece == 0)
      break;
    waiting_.erase(waiting_.begin());
    s.stateSlot = slots_.allocate();
    ops_.zeroSlot(s.stateSlot);
    for (int64_t k = 0; k < s.pendingForks; ++k)
      s.reservedSlots.push_back(slots_.allocate());
    addRunning(&s);
    reserve(s, piece);
    plan.push_back(chunkFor(s, piece));
    s.scheduled = true;
    budget -= piece;
    prefillBudget -= piece;
  }
  return plan;
}

} // namespace axe
