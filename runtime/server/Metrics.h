//===- Metrics.h - the server's Prometheus metrics ------------*- C++ -*-===//
//
// Counters and histograms a vLLM user scrapes from /metrics (names prefixed `axe:` as vLLM's are
// `vllm:`): requests by finish reason, prompt and generated tokens, time to first token and
// inter-token latency histograms; plus the engine's gauges (running, waiting, KV cache usage,
// preemptions) read at scrape time. Thread-safe.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVER_METRICS_H
#define AXE_RUNTIME_SERVER_METRICS_H

#include "runtime/serve/Engine.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace axe {

class Histogram {
public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // Prometheus text lines for `name` (buckets, sum, count).
  std::string render(const std::string &name, const std::string &help) const;

private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_; // per bucket, not cumulative; the last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
public:
  Metrics();
  void requestFinished(const std::string &finishReason);
  void promptTokens(int64_t n);
  void generatedTokens(int64_t n);
  void timeToFirstToken(double seconds);
  void interTokenLatency(double seconds);
  void httpError(int status);
  // The exposition text, with the engine's gauges as they are now.
  std::string render(const EngineStats &engine, const std::string &modelName) const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> finished_;
  std::map<int, uint64_t> errors_;
  uint64_t promptTokens_ = 0, generatedTokens_ = 0;
  Histogram ttft_, itl_;
};

} // namespace axe

#endif // AXE_RUNTIME_SERVER_METRICS_H
