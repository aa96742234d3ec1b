//===- Bench.cpp - axe-run bench: throughput and latency figures ----------===//
//
// What llama-bench and `vllm bench` users expect, on the serving engine:
//
//   pp<N>   prompt processing: one request of N random prompt tokens, tokens/s until its first
//           token;
//   tg<N>   generation: one request that decodes N tokens after a one-token prompt, tokens/s of
//           the decode steps;
//   c=<C>   serving: C clients, each sending requests back to back (--serve-prompt tokens in,
//           --serve-tokens out, --rounds requests per client), all through one engine on its own
//           thread: output tokens/s, time to first token and inter-token latency percentiles.
//
// pp and tg run --repetitions times after --warmup runs and report mean ± sd. Prompts are
// uniform random ids from a fixed seed; decoding is greedy with EOS ignored, so every run does
// the same work.
//
//===----------------------------------------------------------------------===//

#include "tools/axe-run/Bench.h"

#include "runtime/Artifact.h"
#include "runtime/serve/Engine.h"
#include "support/Error.h"
#include "tools/axe-run/CommandLine.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>

namespace axe::cli {

namespace {

const char *kBenchUsage =
    "usage: axe-run bench MODEL.axe [options] [engine options of axe-run --help]\n"
    "  -p N,N,...           prompt lengths to time (default 128,512; 0: none)\n"
    "  -n N,N,...           generation lengths to time (default 128; 0: none)\n"
    "  -c C,C,...           concurrent clients for the serving runs (default 1,4,16,64; 0: none)\n"
    "  -r, --repetitions N  timed runs of each pp/tg test (default 3)\n"
    "  --warmup N           untimed runs first (default 1)\n"
    "  --serve-prompt N     prompt tokens of each serving request (default 128)\n"
    "  --serve-tokens N     generated tokens of each serving request (default 64)\n"
    "  --rounds N           requests per serving client (default 2)\n"
    "  --seed S             seed of the random prompts (default 0)\n"
    "  --format F           table (default), json or csv\n"
    "  --profile-json F     also time every dispatch of every step run; write them as JSON\n";

using Clock = std::chrono::steady_clock;

double secondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Stat {
  double mean = 0, sd = 0;
};

Stat meanSd(const std::vector<double> &xs) {
  Stat s;
  if (xs.empty())
    return s;
  for (double x : xs)
    s.mean += x;
  s.mean /= double(xs.size());
  if (xs.size() > 1) {
    for (double x : xs)
      s.sd += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(s.sd / double(xs.size() - 1));
  }
  return s;
}

// The q-quantile (0..1) by linear interpolation; 0 for no samples.
double quantile(std::vector<double> xs, double q) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  double at = q * double(xs.size() - 1);
  size_t lo = size_t(at);
  size_t hi = std::min(lo + 1, xs.size() - 1);
  return xs[lo] + (xs[hi] - xs[lo]) * (at - double(lo));
}

struct BenchOptions {
  std::string model;
  std::vector<int64_t> prompts{128, 512}, gens{128}, clients{1, 4, 16, 64};
  int64_t repetitions = 3, warmup = 1, servePrompt = 128, serveTokens = 64, rounds = 2;
  uint64_t seed = 0;
  std::string format = "table";
  std::string profileJson; // --profile-json
  EngineFlags engine;
};

std::vector<int64_t> positiveList(const std::string &text, const std::string &flag) {
  std::vector<int64_t> v = parseIntList(text, flag, 0, INT32_MAX);
  v.erase(std::remove(v.begin(), v.end(), 0), v.end());
  return v;
}

BenchOptions parseBenchArgs(int argc, char **argv) {
  BenchOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kBenchUsage, stdout);
      std::exit(0);
    }
    if (arg == "-p" || arg == "-n" || arg == "-c" || arg == "-r") {
      if (i + 1 >= argc)
        usageError(arg + " needs a value");
      std::string v = argv[++i];
      if (arg == "-p") o.prompts = positiveList(v, arg);
      else if (arg == "-n") o.gens = positiveList(v, arg);
      else if (arg == "-c") o.clients = positiveList(v, arg);
      else o.repetitions = parseInt(v, arg, 1, 1000);
      continue;
    }
    if (takeModel(arg, o.model))
      continue;
    FlagReader r(argc, argv, i);
    if (o.engine.take(r))
      continue;
    const std::string &f = r.flag;
    if (f == "--repetitions") o.repetitions = parseInt(r.requireValue(), f, 1, 1000);
    else if (f == "--warmup") o.warmup = parseInt(r.requireValue(), f, 0, 1000);
    else if (f == "--serve-prompt") o.servePrompt = parseInt(r.requireValue(), f, 1, INT32_MAX);
    else if (f == "--serve-tokens") o.serveTokens = parseInt(r.requireValue(), f, 1, INT32_MAX);
    else if (f == "--rounds") o.rounds = parseInt(r.requireValue(), f, 1, 1000);
    else if (f == "--seed") o.seed = parseUnsigned(r.requireValue(), f);
    else if (f == "--profile-json") o.profileJson = r.requireValue();
    else if (f == "--format") {
      o.format = r.requireValue();
      if (o.format != "table" && o.format != "json" && o.format != "csv")
        usageError("--format: '" + o.format + "' is not table, json or csv");
    } else {
      usageError("unknown option '" + f + "'");
    }
  }
  if (o.model.empty())
    usageError("no model directory given");
  return o;
}

std::vector<int32_t> randomPrompt(std::mt19937_64 &rng, int64_t n, int64_t vocab) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (int32_t &id : ids)
    id = int32_t(rng() % uint64_t(vocab));
  return ids;
}

Request benchRequest(std::vector<int32_t> prompt, int64_t maxTokens) {
  Request r;
  r.promptIds = std::move(prompt);
  r.stop.maxTokens = maxTokens;
  r.stop.ignoreEos = true; // greedy by default: every run does the same work
  return r;
}

// One request on the calling thread: submit → first token, first → last token.
struct Timing {
  double toFirst = 0, firstToLast = 0;
  int64_t tokens = 0;
};

Timing timeOne(Engine &engine, Request request) {
  Timing t;
  Clock::time_point start = Clock::now(), first, last;
  std::string error;
  engine.submit(std::move(request), [&](const SequenceEvent &ev) {
    if (ev.hasToken) {
      (t.tokens++ == 0 ? first : last) = Clock::now();
    }
    if (ev.finish == FinishReason::Error)
      error = ev.error;
  });
  engine.runUntilIdle();
  if (!error.empty())
    throw Error("bench: " + error);
  t.toFirst = secondsBetween(start, first);
  t.firstToLast = t.tokens > 1 ? secondsBetween(first, last) : 0;
  return t;
}

struct Row {
  std::string test;
  int64_t clients = 0, requests = 0, tokens = 0;
  Stat rate;                 // tokens/s
  double ttft[3] = {0, 0, 0}; // p50, p90, p99 in ms
  double itl[3] = {0, 0, 0};
  double seconds = 0;
  int64_t preemptions = 0;
};

Row serve(Engine &engine, const BenchOptions &o, int64_t clients, std::mt19937_64 &rng) {
  std::mutex mutex;
  std::condition_variable done;
  int64_t finished = 0, total = clients * o.rounds, generated = 0;
  std::vector<double> ttft, itl;
  std::string error;
  std::vector<std::vector<int32_t>> prompts;
  for (int64_t i = 0; i < total; ++i)
    prompts.push_back(randomPrompt(rng, o.servePrompt, engine.vocabSize()));
  struct Client {
    int64_t sent = 0;
    Clock::time_point submitted, previous;
    bool first = true;
  };
  std::vector<Client> state(static_cast<size_t>(clients));
  int64_t nextPrompt = 0;
  std::function<void(int64_t)> send; // submits client c's next request (under `mutex`)
  send = [&](int64_t c) {
    Client &cl = state[size_t(c)];
    cl.sent++;
    cl.first = true;
    cl.submitted = Clock::now();
    engine.submit(benchRequest(prompts[size_t(nextPrompt++)], o.serveTokens), [&, c](const SequenceEvent &ev) {
      std::lock_guard<std::mutex> lock(mutex);
      Client &me = state[size_t(c)];
      Clock::time_point now = Clock::now();
      if (ev.hasToken) {
        ++generated;
        if (me.first)
          ttft.push_back(1e3 * secondsBetween(me.submitted, now));
        else
          itl.push_back(1e3 * secondsBetween(me.previous, now));
        me.first = false;
        me.previous = now;
      }
      if (ev.finish == FinishReason::None)
        return;
      if (ev.finish == FinishReason::Error)
        error = ev.error;
      ++finished;
      if (me.sent < o.rounds && error.empty())
        send(c);
      done.notify_all();
    });
  };
  int64_t preemptionsBefore = engine.stats().preemptions;
  Clock::time_point start = Clock::now();
  engine.start();
  {
    std::unique_lock<std::mutex> lock(mutex);
    for (int64_t c = 0; c < clients; ++c)
      send(c);
    done.wait(lock, [&] { return finished == total || !error.empty(); });
  }
  double secs = secondsBetween(start, Clock::now());
  engine.stop();
  if (!error.empty())
    throw Error("bench: " + error);
  Row row;
  row.test = "serve";
  row.clients = clients;
  row.requests = total;
  row.tokens = generated;
  row.seconds = secs;
  row.rate.mean = double(generated) / secs;
  const double qs[3] = {0.5, 0.9, 0.99};
  for (int i = 0; i < 3; ++i) {
    row.ttft[i] = quantile(ttft, qs[i]);
    row.itl[i] = quantile(itl, qs[i]);
  }
  row.preemptions = engine.stats().preemptions - preemptionsBefore;
  return row;
}

std::string today() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&now));
  return buf;
}

void print(const BenchOptions &o, const Artifact &artifact, const EngineOptions &eo, const std::vector<Row> &rows) {
  const Manifest &m = artifact.manifest();
  if (o.format == "json") {
    nlohmann::json out;
    out["model"] = o.model;
    out["policy"] = m.precision.policy;
    out["kv_cache"] = m.precision.kvCache;
    out["threads"] = eo.threads;
    out["date"] = today();
    out["results"] = nlohmann::json::array();
    for (const Row &r : rows) {
      nlohmann::json j = {{"test", r.test}, {"tokens_per_s", r.rate.mean}, {"sd", r.rate.sd}};
      if (r.test == "serve")
        j.update({{"clients", r.clients}, {"requests", r.requests}, {"tokens", r.tokens}, {"seconds", r.seconds},
                  {"ttft_ms", {r.ttft[0], r.ttft[1], r.ttft[2]}}, {"itl_ms", {r.itl[0], r.itl[1], r.itl[2]}},
                  {"preemptions", r.preemptions}});
      out["results"].push_back(j);
    }
    std::printf("%s\n", out.dump(1).c_str());
    return;
  }
  if (o.format == "csv") {
    std::printf("test,clients,tokens_per_s,sd,ttft_p50_ms,ttft_p90_ms,ttft_p99_ms,itl_p50_ms,itl_p90_ms,itl_p99_ms,"
                "preemptions\n");
    for (const Row &r : rows)
      std::printf("%s,%lld,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%lld\n", r.test.c_str(), (long long)r.clients,
                  r.rate.mean, r.rate.sd, r.ttft[0], r.ttft[1], r.ttft[2], r.itl[0], r.itl[1], r.itl[2],
                  (long long)r.preemptions);
    return;
  }
  std::printf("axe-run bench %s (policy %s, KV cache %s), %u threads, %s\n", o.model.c_str(),
              m.precision.policy.c_str(), m.precision.kvCache.c_str(), eo.threads, today().c_str());
  std::printf("%-10s %8s %20s %26s %26s %8s\n", "test", "clients", "tokens/s", "TTFT p50/p90/p99 ms",
              "ITL p50/p90/p99 ms", "preempt");
  for (const Row &r : rows) {
    char rate[64], ttft[64] = "", itl[64] = "", clients[16] = "";
    if (r.test == "serve") {
      std::snprintf(rate, sizeof rate, "%.1f", r.rate.mean);
      std::snprintf(ttft, sizeof ttft, "%.1f / %.1f / %.1f", r.ttft[0], r.ttft[1], r.ttft[2]);
      std::snprintf(itl, sizeof itl, "%.1f / %.1f / %.1f", r.itl[0], r.itl[1], r.itl[2]);
      std::snprintf(clients, sizeof clients, "%lld", (long long)r.clients);
    } else {
      std::snprintf(rate, sizeof rate, "%.1f ± %.1f", r.rate.mean, r.rate.sd);
    }
    std::printf("%-10s %8s %20s %26s %26s %8s\n", r.test.c_str(), clients, rate, ttft, itl,
                r.test == "serve" ? std::to_string(r.preemptions).c_str() : "");
  }
}

} // namespace

int runBench(int argc, char **argv) {
  BenchOptions o = parseBenchArgs(argc, argv);
  std::unique_ptr<Artifact> artifact = loadArtifact(o.model, o.engine);
  EngineOptions eo = o.engine.options();
  int64_t maxClients = 1;
  for (int64_t c : o.clients)
    maxClients = std::max(maxClients, c);
  if (o.engine.maxNumSeqs == 0)
    eo.maxNumSeqs = maxClients;
  if (o.engine.maxNumBatchedTokens == 0)
    eo.maxNumBatchedTokens = std::max<int64_t>(eo.maxNumBatchedTokens, eo.maxNumSeqs + 64);
  eo.profile = !o.profileJson.empty();
  if (eo.profile)
    checkOutputPath(o.profileJson, "--profile-json", artifact->dir());
  Engine engine(*artifact, eo);
  std::fprintf(stderr, "cache: %s\n", engine.cachePlan().summary().c_str());
  std::fprintf(stderr, "kernels: %s\n", eo.device == "cuda" ? "nvvm/kernels.cubin (cuda)"
                                                            : ("cpu " + artifact->cpuTarget()).c_str());
  std::mt19937_64 rng(o.seed);
  std::vector<Row> rows;

  for (int64_t p : o.prompts) {
    std::vector<double> rates;
    for (int64_t rep = 0; rep < o.warmup + o.repetitions; ++rep) {
      Timing t = timeOne(engine, benchRequest(randomPrompt(rng, p, engine.vocabSize()), 1));
      if (rep >= o.warmup)
        rates.push_back(double(p) / t.toFirst);
    }
    rows.push_back({"pp" + std::to_string(p), 0, 0, 0, meanSd(rates)});
  }
  for (int64_t n : o.gens) {
    std::vector<double> rates;
    for (int64_t rep = 0; rep < o.warmup + o.repetitions; ++rep) {
      Timing t = timeOne(engine, benchRequest(randomPrompt(rng, 1, engine.vocabSize()), n + 1));
      if (rep >= o.warmup)
        rates.push_back(double(n) / t.firstToLast);
    }
    rows.push_back({"tg" + std::to_string(n), 0, 0, 0, meanSd(rates)});
  }
  for (int64_t c : o.clients)
    rows.push_back(serve(engine, o, c, rng));
  print(o, *artifact, eo, rows);
  if (eo.profile)
    writeProfileJson(o.profileJson, artifact->manifest(), engine.device());
  return 0;
}

} // namespace axe::cli
