//===- Metrics.cpp - the server's Prometheus metrics ----------------------===//

#include "runtime/server/Metrics.h"

#include <cstdio>
#include <malloc.h>

namespace axe {

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

} // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t b = 0;
  while (b < bounds_.size() && value > bounds_[b])
    ++b;
  ++counts_[b];
  sum_ += value;
  ++count_;
}

std::string Histogram::render(const std::string &name, const std::string &help) const {
  std::string out = "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  uint64_t cumulative = 0;
  for (size_t b = 0; b < counts_.size(); ++b) {
    cumulative += counts_[b];
    std::string le = b < bounds_.size() ? number(bounds_[b]) : "+Inf";
    out += name + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_sum " + number(sum_) + "\n" + name + "_count " + std::to_string(count_) + "\n";
  return out;
}

Metrics::Metrics()
    : ttft_({0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
             80.0}),
      itl_({0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5,
            0.75, 1.0, 2.5}) {}

void Metrics::requestFinished(const std::string &finishReason) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++finished_[finishReason];
}
void Metrics::promptTokens(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  promptTokens_ += uint64_t(n);
}
void Metrics::generatedTokens(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  generatedTokens_ += uint64_t(n);
}
void Metrics::timeToFirstToken(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ttft_.observe(seconds);
}
void Metrics::interTokenLatency(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  itl_.observe(seconds);
}
void Metrics::httpError(int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++errors_[status];
}

std::string Metrics::render(const EngineStats &e, const std::string &modelName) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string label = "model_name=\"" + modelName + "\"";
  std::string out;
  auto gauge = [&](const char *name, const char *help, const char *type, double v) {
    out += std::string("# HELP axe:") + name + " " + help + "\n# TYPE axe:" + name + " " + type + "\naxe:" + name +
           "{" + label + "} " + number(v) + "\n";
  };
  gauge("num_requests_running", "Requests in the running batch.", "gauge", double(e.running));
  gauge("num_requests_waiting", "Requests waiting to be admitted.", "gauge", double(e.waiting));
  gauge("kv_cache_usage_perc", "Share of KV-cache blocks in use (1 = all).", "gauge",
        e.kvBlocksTotal > 0 ? double(e.kvBlocksUsed) / double(e.kvBlocksTotal) : 0.0);
  gauge("state_slots_used", "Recurrent-state slots in use.", "gauge", double(e.stateSlotsUsed));
  gauge("num_preemptions_total", "Sequences preempted (recomputed later) for lack of KV blocks.", "counter",
        double(e.preemptions));
  gauge("engine_steps_total", "Steps the engine has run.", "counter", double(e.steps));
  gauge("prompt_tokens_total", "Prompt tokens of admitted requests.", "counter", double(promptTokens_));
  gauge("generation_tokens_total", "Generated tokens.", "counter", double(generatedTokens_));
  // What the process's allocations hold, unlike RSS, which also counts memory the allocator keeps
  // after a free (per-thread arenas, fragmentation): the figure to watch for growth (a leak).
  // glibc >= 2.33; chunks freed into a thread's cache still count as allocated.
  struct mallinfo2 heap = ::mallinfo2();
  gauge("heap_allocated_bytes",
        "Bytes the heap counts as allocated (glibc mallinfo2 uordblks + hblkhd; includes per-thread caches).",
        "gauge", double(heap.uordblks + heap.hblkhd));
  out += "# HELP axe:request_success_total Finished requests by finish reason.\n"
         "# TYPE axe:request_success_total counter\n";
  for (const auto &[reason, n] : finished_)
    out += "axe:request_success_total{" + label + ",finished_reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
  out += "# HELP axe:http_errors_total Requests answered with an error status.\n"
         "# TYPE axe:http_errors_total counter\n";
  for (const auto &[status, n] : errors_)
    out += "axe:http_errors_total{" + label + ",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  out += ttft_.render("axe:time_to_first_token_seconds", "Time from arrival to the first generated token.");
  out += itl_.render("axe:inter_token_latency_seconds", "Time between consecutive generated tokens.");
  return out;
}

} // namespace axe
