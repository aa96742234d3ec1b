//===- axe-run.cpp - generate tokens with a compiled model.axe/ -----------===//
//
//   axe-run model.axe --prompt-ids 1,2,3 --max-tokens N [--temperature T] [--top-k K] [--top-p P]
//           [--seed S] [--threads N] [--max-context N] [--prefill-chunk N]
//           [--dump-logits FILE.npy] [--verify-weights] [--ignore-eos] [--profile]
//
// Prints the generated ids on one line (space-separated), then a line with prefill and decode
// speeds. --dump-logits writes float32 [fed tokens, vocab]: the logits of every prompt position,
// then of each decoded token, so tests can compare with a reference position by position.
//
// Bad input ends with one line "axe-run: error: ..." and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "models/Error.h"
#include "runtime/Artifact.h"
#include "runtime/Engine.h"
#include "runtime/NpyWriter.h"
#include "runtime/Sampler.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

const char *kUsage =
    "usage: axe-run MODEL.axe --prompt-ids ID,ID,... --max-tokens N [options]\n"
    "  --temperature T      0 (default): greedy; > 0: sample\n"
    "  --top-k K            sample among the K most likely tokens (0: all)\n"
    "  --top-p P            sample within the top probability mass P (default 1)\n"
    "  --seed S             random seed for sampling (default 0)\n"
    "  --threads N          CPU threads, counting the main one (default: all cores)\n"
    "  --max-context N      KV cache size in tokens (default: prompt + max tokens)\n"
    "  --prefill-chunk N    feed the prompt N tokens per step (default: all at once)\n"
    "  --dump-logits F.npy  write every fed token's logits, float32 [tokens, vocab]\n"
    "  --verify-weights     also check the SHA-256 of weights.safetensors\n"
    "  --ignore-eos         do not stop at the model's end-of-sequence ids\n"
    "  --profile            print each kernel's share of the run's kernel time to stderr\n";

struct Options {
  std::string model;
  std::vector<int32_t> promptIds;
  int64_t maxTokens = -1;
  axe::SamplerOptions sampler;
  unsigned threads = 0;
  int64_t maxContext = 0;
  int64_t prefillChunk = 0;
  std::string dumpLogits;
  bool verifyWeights = false;
  bool ignoreEos = false;
  bool profile = false;
};

// Kernels by total time, with their op, calls and share of all kernel time (prefill and decode).
void printProfile(const axe::Manifest &manifest, const std::vector<axe::CpuDevice::KernelTime> &times) {
  double total = 0;
  for (const auto &t : times)
    total += t.seconds;
  std::vector<size_t> order(times.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return times[a].seconds > times[b].seconds; });
  std::fprintf(stderr, "%-28s %-24s %8s %10s %7s %10s\n", "kernel", "op", "calls", "total ms", "share", "us/call");
  for (size_t i : order) {
    const auto &t = times[i];
    if (t.calls == 0)
      continue;
    std::fprintf(stderr, "%-28s %-24s %8lld %10.2f %6.1f%% %10.1f\n", manifest.kernels[i].name.c_str(),
                 manifest.kernels[i].op.c_str(), (long long)t.calls, t.seconds * 1e3,
                 total > 0 ? 100 * t.seconds / total : 0.0, 1e6 * t.seconds / double(t.calls));
  }
  std::fprintf(stderr, "%-28s %-24s %8s %10.2f\n", "all kernels", "", "", total * 1e3);
}

[[noreturn]] void usageError(const std::string &what) { throw axe::Error(what + " (see --help)"); }

int64_t parseInt(const std::string &text, const std::string &flag, int64_t min, int64_t max) {
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || !(std::isdigit(uint8_t(text[0])) || text[0] == '-'))
    usageError(flag + ": '" + text + "' is not an integer");
  if (v < min || v > max)
    usageError(flag + ": " + text + " is outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return v;
}

uint64_t parseUnsigned(const std::string &text, const std::string &flag) {
  errno = 0;
  char *end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || !std::isdigit(uint8_t(text[0])) || *end != '\0' || errno == ERANGE)
    usageError(flag + ": '" + text + "' is not a non-negative integer");
  return v;
}

double parseDouble(const std::string &text, const std::string &flag) {
  errno = 0;
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || std::isnan(v))
    usageError(flag + ": '" + text + "' is not a number");
  return v;
}

std::vector<int32_t> parseIds(const std::string &text) {
  std::vector<int32_t> ids;
  size_t begin = 0;
  for (;;) {
    size_t comma = text.find(',', begin);
    std::string item = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos)
      usageError("--prompt-ids: '" + item + "' is not a token id (expected ID,ID,... of non-negative integers)");
    ids.push_back(int32_t(parseInt(item, "--prompt-ids", 0, INT32_MAX)));
    if (comma == std::string::npos)
      break;
    begin = comma + 1;
  }
  return ids;
}

Options parseArgs(int argc, char **argv) {
  Options o;
  bool haveIds = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0) {
      if (!o.model.empty())
        usageError("unexpected argument '" + arg + "' (one model directory only)");
      o.model = arg;
      continue;
    }
    std::string flag = arg, value;
    bool inlineValue = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inlineValue = true;
    }
    if (flag == "--verify-weights" || flag == "--ignore-eos" || flag == "--profile") {
      if (inlineValue)
        usageError(flag + " takes no value");
      (flag == "--verify-weights" ? o.verifyWeights : flag == "--ignore-eos" ? o.ignoreEos : o.profile) = true;
      continue;
    }
    if (!inlineValue) {
      if (i + 1 >= argc)
        usageError(flag + " needs a value");
      value = argv[++i];
    }
    if (flag == "--prompt-ids") {
      o.promptIds = parseIds(value);
      haveIds = true;
    } else if (flag == "--max-tokens") {
      o.maxTokens = parseInt(value, flag, 0, INT32_MAX);
    } else if (flag == "--temperature") {
      o.sampler.temperature = parseDouble(value, flag);
    } else if (flag == "--top-k") {
      o.sampler.topK = parseInt(value, flag, 0, INT32_MAX);
    } else if (flag == "--top-p") {
      o.sampler.topP = parseDouble(value, flag);
    } else if (flag == "--seed") {
      o.sampler.seed = parseUnsigned(value, flag);
    } else if (flag == "--threads") {
      o.threads = unsigned(parseInt(value, flag, 1, 1024));
    } else if (flag == "--max-context") {
      o.maxContext = parseInt(value, flag, 1, INT32_MAX);
    } else if (flag == "--prefill-chunk") {
      o.prefillChunk = parseInt(value, flag, 1, INT32_MAX);
    } else if (flag == "--dump-logits") {
      if (value.empty())
        usageError("--dump-logits needs a file name");
      o.dumpLogits = value;
    } else {
      usageError("unknown option '" + flag + "'");
    }
  }
  if (o.model.empty())
    usageError("no model directory given");
  if (!haveIds)
    usageError("--prompt-ids is required");
  if (o.maxTokens < 0)
    usageError("--max-tokens is required");
  if (o.threads == 0)
    o.threads = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string rate(int64_t tokens, double secs) {
  if (tokens == 0 || secs <= 0)
    return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f tok/s", double(tokens) / secs);
  return buf;
}

int run(const Options &o) {
  axe::ArtifactOptions artifactOptions;
  artifactOptions.verifyWeights = o.verifyWeights;
  std::unique_ptr<axe::Artifact> artifact = axe::Artifact::load(o.model, artifactOptions);
  const axe::ModelInfo &model = artifact->manifest().model;
  for (size_t i = 0; i < o.promptIds.size(); ++i)
    if (o.promptIds[i] >= model.vocabSize)
      throw axe::Error("--prompt-ids: id " + std::to_string(o.promptIds[i]) + " (position " +
                       std::to_string(i) + ") is not below the vocabulary size " +
                       std::to_string(model.vocabSize));

  // Tokens fed: the prompt, then every generated token but the last.
  int64_t fed = int64_t(o.promptIds.size()) + std::max<int64_t>(o.maxTokens - 1, 0);
  axe::EngineOptions engineOptions;
  engineOptions.maxContext = o.maxContext > 0 ? o.maxContext : fed;
  engineOptions.prefillChunk = o.prefillChunk;
  engineOptions.threads = o.threads;
  engineOptions.allLogits = !o.dumpLogits.empty();
  engineOptions.profile = o.profile;
  if (fed > engineOptions.maxContext)
    throw axe::Error("context overflow: " + std::to_string(o.promptIds.size()) +
                     " prompt tokens and " + std::to_string(o.maxTokens) + " new need " +
                     std::to_string(fed) + " positions, but --max-context is " +
                     std::to_string(engineOptions.maxContext));
  axe::Sampler sampler(o.sampler);
  axe::Engine engine(*artifact, engineOptions);
  std::optional<axe::NpyWriter> dump;
  if (!o.dumpLogits.empty())
    dump.emplace(o.dumpLogits, model.vocabSize);
  auto isEos = [&](int32_t id) {
    return !o.ignoreEos && std::find(model.eosTokenIds.begin(), model.eosTokenIds.end(), id) !=
                               model.eosTokenIds.end();
  };

  using Clock = std::chrono::steady_clock;
  std::vector<int32_t> generated;
  Clock::time_point start = Clock::now();
  const float *logits = engine.prefill(o.promptIds, [&](const float *rows, int64_t n) {
    dump->appendRows(rows, n);
  });
  double prefillSecs = seconds(Clock::now() - start);

  start = Clock::now();
  int64_t decodeSteps = 0;
  while (int64_t(generated.size()) < o.maxTokens) {
    if (!generated.empty()) {
      logits = engine.decode(generated.back());
      ++decodeSteps;
      if (dump)
        dump->appendRows(logits, 1);
    }
    int32_t next = sampler.sample(logits, model.vocabSize);
    generated.push_back(next);
    if (isEos(next))
      break;
  }
  double decodeSecs = seconds(Clock::now() - start);
  if (dump)
    dump->finish();

  std::string line;
  for (size_t i = 0; i < generated.size(); ++i)
    line += (i ? " " : "") + std::to_string(generated[i]);
  std::printf("%s\n", line.c_str());
  std::printf("prefill: %zu tokens, %.3f s, %s; decode: %lld tokens, %.3f s, %s\n",
              o.promptIds.size(), prefillSecs, rate(int64_t(o.promptIds.size()), prefillSecs).c_str(),
              (long long)decodeSteps, decodeSecs, rate(decodeSteps, decodeSecs).c_str());
  if (o.profile) {
    std::fflush(stdout); // the tokens and speeds first, then the table on stderr
    printProfile(artifact->manifest(), engine.device().profile());
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(parseArgs(argc, argv));
  } catch (const std::exception &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "axe-run: error: %s\n", e.what());
    return 1;
  }
}
