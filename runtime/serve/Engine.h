//===- Engine.h - the serving engine: many sequences per step -*- C++ -*-===//
//
// Clients submit requests and receive their tokens as events; one thread steps the engine and
// owns the device. Each step the scheduler (Scheduler.h) picks tokens of several sequences; the
// engine lays them out as one flat batch (token ids, positions, sequence rows, block tables,
// state slots: docs/artifact.md), runs the compiled step, samples the rows it asked for, and
// reports every token, stop and failure.
//
// Thread safety: submit(), cancel() and stats() may be called from any thread. Stepping is done
// by exactly one thread: either the engine's own loop (start()/stop()) or a caller of step() /
// runUntilIdle(), never both. Event callbacks run on the stepping thread.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVE_ENGINE_H
#define AXE_RUNTIME_SERVE_ENGINE_H

#include "runtime/Artifact.h"
#include "runtime/Device.h"
#include "runtime/serve/CachePlan.h"
#include "runtime/serve/GenerationConfig.h"
#include "runtime/serve/KvBlockPool.h"
#include "runtime/serve/Request.h"
#include "runtime/serve/Scheduler.h"
#include "runtime/serve/StateSlotPool.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace axe {

struct EngineOptions {
  std::string device = "cpu";      // where the step program runs: cpu or cuda (runtime/Device.h)
  unsigned threads = 1;            // CPU threads, counting the stepping one
  uint64_t kvCacheMemory = 0;      // bytes for KV blocks and state slots; 0: CachePlan's default
  int64_t numKvBlocks = 0;         // > 0: exactly this many KV blocks (overrides kvCacheMemory)
  int64_t maxModelLen = 0;         // 0: the model's max_position_embeddings
  int64_t maxNumSeqs = 64;
  int64_t maxNumBatchedTokens = 2048;
  int64_t forcedPrefillChunk = 0;  // see SchedulerConfig
  bool useGenerationConfig = true; // defaults and EOS ids from generation_config.json
  bool profile = false;            // time every kernel (Device::profile)
  bool captureRoutes = false;      // keep each step's expert choices (Device::capturedRoutes)
};

struct EngineStats {
  int64_t waiting = 0;
  int64_t running = 0;
  int64_t preemptions = 0;
  int64_t steps = 0;
  int64_t promptTokens = 0;        // prompt tokens fed (replays after preemption included)
  int64_t generatedTokens = 0;
  int64_t kvBlocksUsed = 0;
  int64_t kvBlocksTotal = 0;
  int64_t stateSlotsUsed = 0;
  int64_t stateSlotsTotal = 0;
  int64_t requestsFinished = 0;
};

class Engine {
public:
  Engine(const Artifact &artifact, const EngineOptions &options);
  ~Engine(); // stops the loop thread, if any
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;

  // Validates and queues a request; returns its id. A request that can never run (empty prompt,
  // unknown token ids, over the maximum model length or the KV pool, bad sampling parameters)
  // throws axe::Error with one line saying why, and nothing is queued.
  uint64_t submit(Request request, EventCallback onEvent);
  // Ends a request wherever it is: its completions finish with Cancelled and free their caches
  // at the next step. Unknown or finished ids are ignored.
  void cancel(uint64_t requestId);
  // Ends one completion of a request with `reason` at the next step (a server that matched a stop
  // string in its text); the others go on. Unknown or finished completions are ignored.
  void finishCompletion(uint64_t requestId, int64_t index, FinishReason reason);

  // One iteration: takes in submissions and cancellations, schedules, runs a step, delivers
  // events. Returns false when there was nothing to run.
  bool step();
  // Steps until no request is left.
  void runUntilIdle();
  // Steps on a thread of the engine's own until stop(); it sleeps while idle.
  void start();
  void stop();

  EngineStats stats() const;
  const CachePlan &cachePlan() const { return cachePlan_; }
  int64_t maxModelLen() const { return maxModelLen_; }
  const SamplingParams &defaultSampling() const { return generation_.defaults; }
  const GenerationConfig &generationConfig() const { return generation_; }
  const std::vector<int64_t> &eosTokenIds() const { return eosIds_; }
  int64_t vocabSize() const { return artifact_.manifest().model.vocabSize; }
  const Device &device() const { return *device_; }

private:
  struct RequestState {
    uint64_t id = 0;
    Request request;
    EventCallback onEvent;
    std::vector<std::unique_ptr<Sequence>> sequences;
    int64_t unfinished = 0;
  };

  void takeInbox();
  void finish(RequestState &r, Sequence &seq, FinishReason reason, const std::string &error = "");
  void fork(RequestState &r, Sequence &parent);
  // Samples seq's next token from `row`, reports it, and finishes the sequence on a stop.
  void sampleNext(RequestState &r, Sequence &seq, const float *row);
  bool isStop(const RequestState &r, int32_t token) const;
  // returnState: the sequence's recurrent state into its last event (before its slot is freed).
  void attachState(const RequestState &r, const Sequence &seq, SequenceEvent &ev);
  void updateStats();
  void loop();
  // Ends every request in flight with FinishReason::Error (the loop thread's last resort).
  void failAll(const std::string &error);

  const Artifact &artifact_;
  EngineOptions options_;
  int64_t maxModelLen_ = 0;
  GenerationConfig generation_;
  std::vector<int64_t> eosIds_;
  CacheLayout layout_;
  CachePlan cachePlan_;
  std::unique_ptr<Device> device_;
  KvBlockPool blocks_;
  StateSlotPool slots_;
  std::unique_ptr<Scheduler> scheduler_;
  std::map<uint64_t, std::unique_ptr<RequestState>> requests_; // the stepping thread's
  StepInputs inputs_;

  mutable std::mutex mutex_; // guards everything below
  std::condition_variable wake_;
  std::deque<std::unique_ptr<RequestState>> inbox_;
  std::vector<uint64_t> cancels_;
  struct CompletionEnd {
    uint64_t requestId;
    int64_t index;
    FinishReason reason;
  };
  std::vector<CompletionEnd> completionEnds_;
  uint64_t nextId_ = 1;
  EngineStats stats_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace axe

#endif // AXE_RUNTIME_SERVE_ENGINE_H
