//===- Engine.cpp - generation for one sequence ---------------------------===//

#include "runtime/Engine.h"

#include "models/Error.h"

#include <algorithm>

namespace axe {

namespace {

constexpr int32_t kStateSlot = 0;

} // namespace

Engine::Engine(const Artifact &artifact, const EngineOptions &options)
    : artifact_(artifact), options_(options) {
  if (options.maxContext < 1 || options.maxContext > INT32_MAX)
    throw Error("engine: the context size must be in [1, 2^31), got " + std::to_string(options.maxContext));
  if (options.prefillChunk < 0)
    throw Error("engine: the prefill chunk must be >= 0 (0: the whole prompt at once)");
  int64_t blockSize = artifact.manifest().kvBlockSize;
  int64_t numBlocks = (options.maxContext + blockSize - 1) / blockSize;
  device_ = std::make_unique<CpuDevice>(artifact, numBlocks, /*numStateSlots=*/1, options.threads);
  if (options.profile)
    device_->enableProfiling();
  inputs_.numSeqs = 1;
  inputs_.stateSlots = {kStateSlot};
  reset();
}

void Engine::reset() {
  position_ = 0;
  device_->zeroStateSlot(kStateSlot);
}

Logits Engine::step(const int32_t *ids, int64_t count, LogitRows rows) {
  if (position_ + count > options_.maxContext)
    throw Error("engine: context overflow: " + std::to_string(position_) + " tokens + " +
                std::to_string(count) + " new exceed the context of " +
                std::to_string(options_.maxContext) + " (raise --max-context)");
  int64_t vocab = vocabSize();
  for (int64_t i = 0; i < count; ++i)
    if (ids[i] < 0 || ids[i] >= vocab)
      throw Error("engine: token id " + std::to_string(ids[i]) + " is not in [0, vocab_size=" +
                  std::to_string(vocab) + ")");

  StepInputs &in = inputs_;
  in.tokenIds.assign(ids, ids + count);
  in.positions.resize(size_t(count));
  in.seqIds.assign(size_t(count), 0);
  for (int64_t i = 0; i < count; ++i)
    in.positions[size_t(i)] = int32_t(position_ + i);
  in.logitRows.clear();
  if (rows == LogitRows::All) {
    for (int64_t i = 0; i < count; ++i)
      in.logitRows.push_back(int32_t(i));
  } else if (rows == LogitRows::Last) {
    in.logitRows.push_back(int32_t(count - 1));
  }
  // Contiguous cache: the sequence's k-th block is block k; the table covers what this step reaches.
  int64_t blockSize = artifact_.manifest().kvBlockSize;
  in.blockTableCols = (position_ + count + blockSize - 1) / blockSize;
  in.blockTable.resize(size_t(in.blockTableCols));
  for (int64_t k = 0; k < in.blockTableCols; ++k)
    in.blockTable[size_t(k)] = int32_t(k);

  Logits logits = device_->step(in);
  position_ += count;
  return logits;
}

const float *Engine::prefill(const std::vector<int32_t> &ids, const RowsCallback &onRows) {
  if (ids.empty())
    throw Error("engine: the prompt is empty");
  if (position_ + int64_t(ids.size()) > options_.maxContext)
    throw Error("engine: context overflow: a prompt of " + std::to_string(ids.size()) +
                " tokens after " + std::to_string(position_) + " exceeds the context of " +
                std::to_string(options_.maxContext) + " (raise --max-context)");
  int64_t chunk = options_.prefillChunk > 0 ? options_.prefillChunk : int64_t(ids.size());
  const float *last = nullptr;
  for (int64_t begin = 0; begin < int64_t(ids.size()); begin += chunk) {
    int64_t count = std::min<int64_t>(chunk, int64_t(ids.size()) - begin);
    bool lastChunk = begin + count == int64_t(ids.size());
    // Earlier chunks only fill the caches: no logits rows (R = 0) unless every row is wanted.
    LogitRows rows = options_.allLogits ? LogitRows::All : lastChunk ? LogitRows::Last : LogitRows::None;
    Logits logits = step(ids.data() + begin, count, rows);
    if (rows == LogitRows::All && onRows)
      onRows(logits.data, logits.rows);
    if (lastChunk)
      last = logits.row(logits.rows - 1);
  }
  return last;
}

const float *Engine::decode(int32_t id) {
  Logits logits = step(&id, 1, LogitRows::Last);
  return logits.row(0);
}

} // namespace axe
