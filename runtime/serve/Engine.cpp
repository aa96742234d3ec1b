//===- Engine.cpp - the serving engine: many sequences per step -----------===//

#include "runtime/serve/Engine.h"

#include "runtime/cpu/CpuDevice.h"
#include "runtime/cuda/CudaDevice.h"
#include "support/Error.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace axe {

namespace {

// Completion index bits of Sequence::arrival: the request's id is above them.
constexpr int kIndexBits = 20;
constexpr int64_t kMaxNumSeqs = int64_t(1) << 16;

CachePlan makeCachePlan(const Artifact &artifact, const CacheLayout &layout, const EngineOptions &o,
                        int64_t maxModelLen) {
  const Manifest &m = artifact.manifest();
  CachePlanOptions p;
  p.memoryBytes = o.kvCacheMemory;
  if (o.device == "cuda" && o.kvCacheMemory == 0 && o.numKvBlocks == 0) {
    // The caches live in GPU memory: the default share is of what the GPU has free beside the
    // weights, not of the host's memory. The artifact's GPU kernels are checked before the
    // driver is asked (as CudaDevice does): a defective artifact gets its own error on any machine.
    artifact.gpuKernels();
    uint64_t weights = 0;
    for (const BufferDecl &b : m.buffers)
      if (b.kind == BufferKind::Weight)
        weights += b.fixedBytes();
    uint64_t free = CudaDevice::freeMemoryBytes();
    if (free <= weights)
      throw Error("cuda device: the weights (" + std::to_string(weights >> 20) + " MiB) do not fit in the GPU's " +
                  std::to_string(free >> 20) + " MiB of free memory");
    p.memoryBytes = uint64_t(double(free - weights) * kDefaultMemoryShare);
  }
  p.numBlocks = o.numKvBlocks;
  p.maxNumSeqs = o.maxNumSeqs;
  p.maxModelLen = maxModelLen;
  return planCaches(layout, p);
}

int64_t resolveMaxModelLen(const Manifest &m, int64_t requested) {
  int64_t model = m.model.maxPositionEmbeddings;
  if (requested < 0)
    throw Error("--max-model-len must be at least 1");
  if (requested > model)
    throw Error("--max-model-len " + std::to_string(requested) + " exceeds the model's max_position_embeddings (" +
                std::to_string(model) + "); the model was not trained for longer sequences");
  return requested > 0 ? requested : model;
}

} // namespace

const char *finishReasonName(FinishReason reason) {
  switch (reason) {
  case FinishReason::None: return "none";
  case FinishReason::Stop: return "stop";
  case FinishReason::Length: return "length";
  case FinishReason::Cancelled: return "cancelled";
  case FinishReason::Error: return "error";
  }
  return "?";
}

uint64_t completionSeed(uint64_t seed, int64_t index) {
  if (index == 0)
    return seed;
  // splitmix64 of (seed, index): distinct, well-mixed streams per completion.
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * uint64_t(index);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Engine::Engine(const Artifact &artifact, const EngineOptions &options)
    : artifact_(artifact), options_(options),
      maxModelLen_(resolveMaxModelLen(artifact.manifest(), options.maxModelLen)),
      generation_(options.useGenerationConfig ? loadGenerationConfig(artifact.dir()) : GenerationConfig{}),
      layout_(cacheLayout(artifact.manifest())),
      cachePlan_(makeCachePlan(artifact, layout_, options, maxModelLen_)),
      blocks_(layout_.blockSize > 0 ? cachePlan_.numBlocks : 0), slots_(cachePlan_.numSlots) {
  if (options.maxNumSeqs < 1 || options.maxNumSeqs > kMaxNumSeqs)
    throw Error("--max-num-seqs must be in [1, " + std::to_string(kMaxNumSeqs) + "]");
  if (options.threads < 1)
    throw Error("engine: the thread count must be at least 1");
  eosIds_ = artifact.manifest().model.eosTokenIds;
  for (int64_t id : generation_.eosTokenIds)
    if (std::find(eosIds_.begin(), eosIds_.end(), id) == eosIds_.end())
      eosIds_.push_back(id);

  SchedulerConfig sc;
  sc.maxNumSeqs = options.maxNumSeqs;
  sc.maxNumBatchedTokens = options.maxNumBatchedTokens;
  sc.blockSize = layout_.blockSize;
  sc.alignment = std::max<int64_t>(artifact.manifest().prefillAlignment, 1);
  sc.forcedPrefillChunk = options.forcedPrefillChunk;
  if (options.device == "cpu")
    device_ = std::make_unique<CpuDevice>(artifact, cachePlan_.numBlocks, cachePlan_.numSlots, options.threads);
  else if (options.device == "cuda")
    device_ = std::make_unique<CudaDevice>(artifact, cachePlan_.numBlocks, cachePlan_.numSlots);
  else
    throw Error("unknown device '" + options.device + "' (supported: cpu, cuda)");
  if (options.profile)
    device_->enableProfiling();
  if (options.captureRoutes)
    device_->enableRouteCapture();
  CacheOps ops;
  ops.zeroSlot = [this](int32_t slot) { device_->zeroStateSlot(slot); };
  ops.copyBlock = [this](int32_t from, int32_t to) { device_->copyKvBlock(from, to); };
  scheduler_ = std::make_unique<Scheduler>(sc, blocks_, slots_, ops);
  updateStats();
}

Engine::~Engine() { stop(); }

uint64_t Engine::submit(Request request, EventCallback onEvent) {
  int64_t promptLen = int64_t(request.promptIds.size());
  int64_t vocab = vocabSize();
  if (promptLen == 0)
    throw Error("the prompt is empty");
  for (int64_t i = 0; i < promptLen; ++i)
    if (request.promptIds[size_t(i)] < 0 || request.promptIds[size_t(i)] >= vocab)
      throw Error("prompt token " + std::to_string(i) + " is " + std::to_string(request.promptIds[size_t(i)]) +
                  ", not a token id of this model (0 <= id < " + std::to_string(vocab) + ")");
  if (request.n < 1 || request.n > options_.maxNumSeqs)
    throw Error("n must be in [1, max-num-seqs=" + std::to_string(options_.maxNumSeqs) + "], got " +
                std::to_string(request.n));
  if (request.returnState && request.n != 1)
    throw Error("returning the recurrent state needs n = 1, got " + std::to_string(request.n));
  request.sampling.validate();
  if (promptLen >= maxModelLen_)
    throw Error("the prompt has " + std::to_string(promptLen) + " tokens, which leaves no room to generate within "
                "the maximum model length of " + std::to_string(maxModelLen_) + " (--max-model-len)");
  if (request.stop.maxTokens == -1)
    request.stop.maxTokens = maxModelLen_ - promptLen;
  if (request.stop.maxTokens < 1)
    throw Error("max_tokens must be at least 1, got " + std::to_string(request.stop.maxTokens));
  if (promptLen + request.stop.maxTokens > maxModelLen_)
    throw Error("the prompt has " + std::to_string(promptLen) + " tokens and asks for " +
                std::to_string(request.stop.maxTokens) + " more: " +
                std::to_string(promptLen + request.stop.maxTokens) + " exceeds the maximum model length of " +
                std::to_string(maxModelLen_) + " (--max-model-len)");
  // The last generated token is never fed back.
  int64_t blocks = blocksFor(promptLen + request.stop.maxTokens - 1, layout_.blockSize);
  if (layout_.blockSize > 0 && blocks > blocks_.numBlocks())
    throw Error("the request needs " + std::to_string(blocks) + " KV blocks for " +
                std::to_string(promptLen + request.stop.maxTokens - 1) + " positions, but the KV cache has " +
                std::to_string(blocks_.numBlocks()) + " in all (raise --kv-cache-memory, or ask for fewer tokens)");

  auto state = std::make_unique<RequestState>();
  state->request = std::move(request);
  state->onEvent = std::move(onEvent);
  std::lock_guard<std::mutex> lock(mutex_);
  state->id = nextId_++;
  uint64_t id = state->id;
  inbox_.push_back(std::move(state));
  ++stats_.waiting;
  wake_.notify_one();
  return id;
}

void Engine::cancel(uint64_t requestId) {
  std::lock_guard<std::mutex> lock(mutex_);
  cancels_.push_back(requestId);
  wake_.notify_one();
}

void Engine::finishCompletion(uint64_t requestId, int64_t index, FinishReason reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  completionEnds_.push_back({requestId, index, reason});
  wake_.notify_one();
}

void Engine::takeInbox() {
  std::deque<std::unique_ptr<RequestState>> arrived;
  std::vector<uint64_t> cancels;
  std::vector<CompletionEnd> ends;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    arrived.swap(inbox_);
    cancels.swap(cancels_);
    ends.swap(completionEnds_);
  }
  for (std::unique_ptr<RequestState> &r : arrived) {
    const Request &req = r->request;
    auto seq = std::make_unique<Sequence>();
    seq->requestId = r->id;
    seq->index = 0;
    seq->arrival = r->id << kIndexBits;
    seq->tokens = req.promptIds;
    seq->promptLen = int64_t(req.promptIds.size());
    seq->maxTokens = req.stop.maxTokens;
    seq->pendingForks = req.n - 1;
    seq->sampler = std::make_unique<Sampler>(req.sampling, req.promptIds);
    seq->promptRowsSent = req.promptLogits ? 0 : seq->promptLen;
    scheduler_->enqueue(seq.get());
    r->sequences.push_back(std::move(seq));
    r->unfinished = req.n;
    uint64_t id = r->id;
    requests_[id] = std::move(r);
  }
  for (const CompletionEnd &end : ends) {
    auto it = requests_.find(end.requestId);
    if (it == requests_.end())
      continue;
    RequestState &r = *it->second;
    for (auto &seq : r.sequences)
      if (seq->index == end.index && seq->status != Sequence::Status::Finished)
        finish(r, *seq, end.reason);
    if (r.unfinished == 0) {
      requests_.erase(it);
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.requestsFinished;
    }
  }
  for (uint64_t id : cancels) {
    auto it = requests_.find(id);
    if (it == requests_.end())
      continue;
    RequestState &r = *it->second;
    for (auto &seq : r.sequences)
      if (seq->status != Sequence::Status::Finished)
        finish(r, *seq, FinishReason::Cancelled);
    requests_.erase(it);
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.requestsFinished;
  }
}

void Engine::finish(RequestState &r, Sequence &seq, FinishReason reason, const std::string &error) {
  --r.unfinished;
  SequenceEvent ev;
  ev.requestId = r.id;
  ev.index = seq.index;
  ev.finish = reason;
  ev.error = error;
  if (reason != FinishReason::Error)
    attachState(r, seq, ev);
  scheduler_->remove(&seq);
  r.onEvent(ev);
  ev.recurrentState.clear();
  // Completions not forked off yet end with their parent.
  for (int64_t i = 1; i <= seq.pendingForks; ++i) {
    ev.index = int64_t(r.sequences.size()) + i - 1;
    --r.unfinished;
    r.onEvent(ev);
  }
  seq.pendingForks = 0;
}

void Engine::attachState(const RequestState &r, const Sequence &seq, SequenceEvent &ev) {
  if (r.request.returnState && seq.stateSlot >= 0)
    ev.recurrentState = device_->recurrentState(seq.stateSlot);
}

bool Engine::isStop(const RequestState &r, int32_t token) const {
  const std::vector<int32_t> &stops = r.request.stop.stopTokenIds;
  if (std::find(stops.begin(), stops.end(), token) != stops.end())
    return true;
  return !r.request.stop.ignoreEos && std::find(eosIds_.begin(), eosIds_.end(), int64_t(token)) != eosIds_.end();
}

void Engine::sampleNext(RequestState &r, Sequence &seq, const float *row) {
  SequenceEvent ev;
  ev.requestId = r.id;
  ev.index = seq.index;
  try {
    ev.token = seq.sampler->sample(row, vocabSize());
  } catch (const Error &e) {
    finish(r, seq, FinishReason::Error, e.what());
    return;
  }
  ev.hasToken = true;
  seq.tokens.push_back(ev.token.token);
  if (r.request.returnLogits) {
    ev.logits.assign(row, row + vocabSize());
    ev.logitRows = 1;
  }
  if (isStop(r, ev.token.token))
    ev.finish = FinishReason::Stop;
  else if (seq.numGenerated() >= seq.maxTokens)
    ev.finish = FinishReason::Length;
  if (ev.finish != FinishReason::None) {
    attachState(r, seq, ev);
    scheduler_->remove(&seq);
    --r.unfinished;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.generatedTokens;
  }
  r.onEvent(ev);
}

void Engine::fork(RequestState &r, Sequence &parent) {
  for (int64_t i = 1; i <= parent.pendingForks; ++i) {
    auto child = std::make_unique<Sequence>();
    child->requestId = parent.requestId;
    child->index = i;
    child->arrival = parent.arrival + uint64_t(i);
    child->tokens = parent.tokens;
    child->promptLen = parent.promptLen;
    child->numComputed = parent.numComputed;
    child->maxTokens = parent.maxTokens;
    // The prompt's blocks are shared (a block is copied before a completion writes into it);
    // the recurrent state is copied into a slot reserved at admission.
    child->blockTable = parent.blockTable;
    for (int32_t b : child->blockTable)
      blocks_.retain(b);
    child->stateSlot = parent.reservedSlots.back();
    parent.reservedSlots.pop_back();
    device_->copyStateSlot(parent.stateSlot, child->stateSlot);
    SamplingParams params = r.request.sampling;
    params.seed = completionSeed(params.seed, i);
    child->sampler = std::make_unique<Sampler>(params, r.request.promptIds);
    child->promptRowsSent = child->promptLen;
    scheduler_->addRunning(child.get());
    r.sequences.push_back(std::move(child));
  }
  parent.pendingForks = 0;
}

bool Engine::step() {
  takeInbox();
  std::vector<ScheduledChunk> plan = scheduler_->schedule();
  if (plan.empty()) {
    updateStats();
    return false;
  }

  // One flat batch: each chunk's tokens in order, one block-table row and state slot per chunk.
  StepInputs &in = inputs_;
  in.tokenIds.clear();
  in.positions.clear();
  in.seqIds.clear();
  in.logitRows.clear();
  in.stateSlots.clear();
  int64_t MB = 1;
  for (const ScheduledChunk &c : plan)
    MB = std::max<int64_t>(MB, int64_t(c.seq->blockTable.size()));
  in.numSeqs = int64_t(plan.size());
  in.blockTableCols = MB;
  in.blockTable.assign(size_t(in.numSeqs * MB), 0);
  struct Rows {
    int64_t firstPrompt = -1; // index of its first prompt row in logit_rows
    int64_t sample = -1;      // index of the row to sample from
  };
  std::vector<Rows> rows(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    const ScheduledChunk &c = plan[i];
    const Sequence &s = *c.seq;
    int64_t base = int64_t(in.tokenIds.size());
    for (int64_t k = 0; k < c.count; ++k) {
      in.tokenIds.push_back(s.tokens[size_t(s.numComputed + k)]);
      in.positions.push_back(int32_t(s.numComputed + k));
      in.seqIds.push_back(int32_t(i));
    }
    std::copy(s.blockTable.begin(), s.blockTable.end(), in.blockTable.begin() + int64_t(i) * MB);
    in.stateSlots.push_back(s.stateSlot);
    if (c.promptRows > 0) {
      rows[i].firstPrompt = int64_t(in.logitRows.size());
      for (int64_t k = 0; k < c.promptRows; ++k)
        in.logitRows.push_back(int32_t(base + k));
    }
    if (c.wantLogits) {
      if (c.promptRows == c.count) {
        rows[i].sample = rows[i].firstPrompt + c.count - 1;
      } else {
        rows[i].sample = int64_t(in.logitRows.size());
        in.logitRows.push_back(int32_t(base + c.count - 1));
      }
    }
  }

  Logits logits;
  try {
    logits = device_->step(in);
  } catch (const std::exception &e) {
    // The step's sequences cannot go on; the others are untouched.
    for (const ScheduledChunk &c : plan)
      finish(*requests_.at(c.seq->requestId), *c.seq, FinishReason::Error, e.what());
    for (auto it = requests_.begin(); it != requests_.end();)
      it = it->second->unfinished == 0 ? requests_.erase(it) : std::next(it);
    updateStats();
    return true;
  }

  int64_t V = vocabSize();
  for (size_t i = 0; i < plan.size(); ++i) {
    const ScheduledChunk &c = plan[i];
    Sequence &s = *c.seq;
    RequestState &r = *requests_.at(s.requestId);
    if (s.inPrefill()) {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.promptTokens += std::min(c.count, s.promptLen - s.numComputed);
    }
    s.numComputed += c.count;
    if (c.promptRows > 0) {
      SequenceEvent ev;
      ev.requestId = r.id;
      ev.index = s.index;
      ev.firstPromptRow = s.promptRowsSent;
      ev.logitRows = c.promptRows;
      const float *first = logits.row(rows[i].firstPrompt);
      ev.logits.assign(first, first + c.promptRows * V);
      s.promptRowsSent += c.promptRows;
      r.onEvent(ev);
    }
    if (!c.wantLogits)
      continue;
    const float *row = logits.row(rows[i].sample);
    std::vector<Sequence *> samplers = {&s};
    if (s.pendingForks > 0) {
      size_t before = r.sequences.size();
      fork(r, s);
      for (size_t k = before; k < r.sequences.size(); ++k)
        samplers.push_back(r.sequences[k].get());
    }
    for (Sequence *q : samplers)
      sampleNext(r, *q, row);
  }
  for (auto it = requests_.begin(); it != requests_.end();) {
    if (it->second->unfinished == 0) {
      it = requests_.erase(it);
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.requestsFinished;
    } else {
      ++it;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.steps;
  }
  updateStats();
  return true;
}

void Engine::runUntilIdle() {
  while (step()) {
  }
}

void Engine::updateStats() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.waiting = int64_t(scheduler_->waiting().size() + inbox_.size());
  stats_.running = int64_t(scheduler_->running().size());
  stats_.preemptions = scheduler_->numPreemptions();
  stats_.kvBlocksUsed = blocks_.numUsed();
  stats_.kvBlocksTotal = blocks_.numBlocks();
  stats_.stateSlotsUsed = slots_.numSlots() - slots_.numFree();
  stats_.stateSlotsTotal = slots_.numSlots();
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void Engine::failAll(const std::string &error) {
  for (auto &[id, r] : requests_)
    for (auto &seq : r->sequences)
      if (seq->status != Sequence::Status::Finished)
        finish(*r, *seq, FinishReason::Error, error);
  requests_.clear();
  updateStats();
}

void Engine::loop() {
  for (;;) {
    bool busy = true;
    try {
      busy = step();
    } catch (const std::exception &e) {
      // A failure outside a device step (those fail only their own sequences) leaves the engine's
      // state unknown: end every request in flight with the error rather than the process.
      std::fprintf(stderr, "axe engine: %s; failing the requests in flight\n", e.what());
      failAll(e.what());
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (!busy)
      wake_.wait(lock, [this] {
        return stopping_ || !inbox_.empty() || !cancels_.empty() || !completionEnds_.empty();
      });
    if (stopping_)
      return;
  }
}

void Engine::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable())
    return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Engine::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = false;
}

} // namespace axe
