//===- axe-run.cpp - generate tokens with a compiled model.axe/ -----------===//
//
//   axe-run model.axe --prompt-ids 1,2,3 --max-tokens N [sampling] [engine] [--dump-logits F.npy]
//   axe-run bench model.axe [-p 128,512] [-n 128] ...            (tools/axe-run/Bench.cpp)
//   axe-run eval model.axe --reference ref.axe --text F ...      (tools/axe-run/Eval.cpp)
//
// Generation runs one request through the serving engine (runtime/serve/Engine.h) on this thread,
// prints the generated ids on one line (space-separated), then prefill and decode speeds and the
// cache plan. --dump-logits writes float32 [fed tokens, vocab]: the logits of every prompt
// position, then of each decoded token, so tests can compare with a reference position by
// position.
//
// Bad input ends with one line "axe-run: error: ..." and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "runtime/Artifact.h"
#include "runtime/NpyWriter.h"
#include "runtime/Sampler.h"
#include "runtime/serve/Engine.h"
#include "runtime/server/TextStream.h"
#include "runtime/text/Tokenizer.h"
#include "support/Error.h"
#include "tools/axe-run/Batch.h"
#include "tools/axe-run/Bench.h"
#include "tools/axe-run/Chat.h"
#include "tools/axe-run/CommandLine.h"
#include "tools/axe-run/Eval.h"
#include "tools/axe-run/Serve.h"
#include "tools/common/Version.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace axe::cli;

const char *kUsage =
    "usage: axe-run MODEL.axe --prompt-ids ID,ID,... --max-tokens N [options]\n"
    "       axe-run MODEL.axe --prompt TEXT [--stop STR ...] [--max-tokens N] [options]   (streams text)\n"
    "       axe-run chat MODEL.axe [options]    (interactive chat: axe-run chat --help)\n"
    "       axe-run batch MODEL.axe --requests FILE.jsonl [options]   (axe-run batch --help)\n"
    "       axe-run bench MODEL.axe [options]   (axe-run bench --help)\n"
    "       axe-run eval MODEL.axe --reference REF.axe --text FILE ...   (axe-run eval --help)\n"
    "       axe-run serve MODEL.axe [--host H --port P ...]   (axe-run serve --help)\n"
    "sampling (defaults: greedy, or generation_config.json's when it sets do_sample):\n"
    "  --temperature T      0: greedy; > 0: sample\n"
    "  --top-k K            sample among the K most likely tokens (0: all)\n"
    "  --top-p P            sample within the top probability mass P\n"
    "  --min-p P            drop tokens below P times the most likely one's probability\n"
    "  --presence-penalty X, --frequency-penalty X   over generated tokens, in [-2, 2]\n"
    "  --repetition-penalty X                        over prompt and generated tokens, > 0\n"
    "  --seed S             random seed for sampling (default 0)\n"
    "  --ignore-eos         do not stop at the model's end-of-sequence ids\n"
    "engine:\n"
    "  --device cpu|cuda    where the step runs (cuda: the artifact's nvvm/ kernels, compiled with\n"
    "                       axe-compile --target cpu,sm_90a, on a Hopper GPU; default cpu)\n"
    "  --threads N          CPU threads, counting the main one (default: all cores)\n"
    "  --cpu-kernels T      x86-64-v3 or x86-64-v4: which CPU kernels of the artifact to run\n"
    "                       (default: x86-64-v4 where the artifact has them and the CPU has AVX-512)\n"
    "  --max-model-len N    longest sequence (default: the model's max_position_embeddings)\n"
    "  --kv-cache-memory S  memory for the KV cache and state slots, e.g. 4GiB (default: half\n"
    "                       of the available memory, on --device cuda of the GPU's free memory\n"
    "                       beside the weights; no more than the sequences can use)\n"
    "  --num-kv-blocks N    exactly N KV blocks (instead of --kv-cache-memory)\n"
    "  --max-num-seqs N     sequences per step (default 64)\n"
    "  --max-num-batched-tokens N   tokens per step (default 2048)\n"
    "  --prefill-chunk N    feed the prompt N tokens per step (testing; gives up batch invariance)\n"
    "  --no-verify-weights  skip hashing weights.safetensors at load (faster start; a corrupt\n"
    "                       file then gives wrong numbers instead of an error)\n"
    "output:\n"
    "  --dump-logits F.npy  write every fed token's logits, float32 [tokens, vocab] (a new file,\n"
    "                       outside the artifact)\n"
    "  --profile            print each kernel's share of the run's kernel time to stderr\n"
    "  --profile-json F     write each kernel's and each dispatch's time as JSON (a new file)\n";

struct Options {
  std::string model;
  std::vector<int32_t> promptIds;
  std::optional<std::string> promptText; // --prompt: tokenized with the artifact's tokenizer.json
  std::vector<std::string> stops;        // --stop: stop strings (with --prompt)
  int64_t maxTokens = -1;
  SamplingFlags sampling;
  EngineFlags engine;
  std::string dumpLogits;
  bool ignoreEos = false;
  bool profile = false;
  std::string profileJson;
};

// Kernels by total time, with their op, calls and share of all kernel time (prefill and decode).
void printProfile(const axe::Manifest &manifest, const std::vector<axe::Device::KernelTime> &times) {
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
    if (takeModel(arg, o.model))
      continue;
    FlagReader r(argc, argv, i);
    if (o.sampling.take(r) || o.engine.take(r))
      continue;
    if (r.flag == "--ignore-eos" || r.flag == "--profile") {
      r.requireNoValue();
      (r.flag == "--ignore-eos" ? o.ignoreEos : o.profile) = true;
    } else if (r.flag == "--prompt-ids") {
      o.promptIds = parseIds(r.requireValue());
      haveIds = true;
    } else if (r.flag == "--prompt") {
      o.promptText = r.requireValue();
    } else if (r.flag == "--stop") {
      if (r.requireValue().empty())
        usageError("--stop needs a non-empty string");
      o.stops.push_back(r.value);
    } else if (r.flag == "--max-tokens") {
      o.maxTokens = parseInt(r.requireValue(), r.flag, 1, INT32_MAX);
    } else if (r.flag == "--profile-json") {
      if (r.requireValue().empty())
        usageError("--profile-json needs a file name");
      o.profileJson = r.value;
    } else if (r.flag == "--dump-logits") {
      if (r.requireValue().empty())
        usageError("--dump-logits needs a file name");
      o.dumpLogits = r.value;
    } else {
      usageError("unknown option '" + r.flag + "'");
    }
  }
  if (o.model.empty())
    usageError("no model directory given");
  if (haveIds == o.promptText.has_value())
    usageError("give either --prompt TEXT or --prompt-ids ID,ID,...");
  if (!o.stops.empty() && !o.promptText)
    usageError("--stop goes with --prompt (text); with --prompt-ids there is no text to match");
  if (o.promptText && !o.dumpLogits.empty())
    usageError("--dump-logits goes with --prompt-ids");
  if (o.maxTokens < 0 && !o.promptText)
    usageError("--max-tokens is required");
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

// --prompt TEXT: the text streams to stdout as it is generated; the speeds go to stderr.
int runText(const Options &o) {
  std::unique_ptr<axe::Artifact> artifact = axe::cli::loadArtifact(o.model, o.engine);
  std::string tokenizerPath = artifact->dir() + "/tokenizer.json";
  if (!std::filesystem::exists(tokenizerPath))
    throw axe::Error(o.model + ": the artifact has no tokenizer.json (its checkpoint had none): use --prompt-ids");
  axe::Tokenizer tokenizer = axe::Tokenizer::load(tokenizerPath);
  axe::EngineOptions engineOptions = o.engine.options();
  engineOptions.maxNumSeqs = 1;
  axe::Engine engine(*artifact, engineOptions);
  axe::Request request;
  request.promptIds = tokenizer.encode(*o.promptText, /*allowSpecial=*/true);
  request.sampling = o.sampling.apply(engine.defaultSampling());
  request.stop.maxTokens = o.maxTokens;
  request.stop.ignoreEos = o.ignoreEos;
  axe::TextStream text(tokenizer, o.stops);
  std::string error;
  int64_t generated = 0;
  using Clock = std::chrono::steady_clock;
  Clock::time_point start = Clock::now();
  engine.submit(request, [&](const axe::SequenceEvent &ev) {
    std::string piece;
    if (ev.hasToken) {
      ++generated;
      if (ev.finish != axe::FinishReason::Stop) // the stop token is not text
        piece = text.push(ev.token.token);
      if (text.stopped())
        engine.cancel(ev.requestId);
    }
    if (ev.finish != axe::FinishReason::None)
      piece += text.finish();
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    if (ev.finish == axe::FinishReason::Error)
      error = ev.error;
  });
  engine.runUntilIdle();
  std::printf("\n");
  if (!error.empty())
    throw axe::Error(error);
  double secs = seconds(Clock::now() - start);
  std::fprintf(stderr, "%zu prompt tokens, %lld generated in %.2f s\n", request.promptIds.size(),
               (long long)generated, secs);
  return 0;
}

int run(const Options &o) {
  if (o.promptText)
    return runText(o);
  std::unique_ptr<axe::Artifact> artifact = axe::cli::loadArtifact(o.model, o.engine);
  const axe::ModelInfo &model = artifact->manifest().model;
  for (size_t i = 0; i < o.promptIds.size(); ++i)
    if (o.promptIds[i] >= model.vocabSize)
      throw axe::Error("--prompt-ids: id " + std::to_string(o.promptIds[i]) + " (position " +
                       std::to_string(i) + ") is not below the vocabulary size " +
                       std::to_string(model.vocabSize));

  axe::EngineOptions engineOptions = o.engine.options();
  engineOptions.maxNumSeqs = std::min<int64_t>(engineOptions.maxNumSeqs, 1); // one request
  engineOptions.profile = o.profile || !o.profileJson.empty();
  if (!o.profileJson.empty())
    checkOutputPath(o.profileJson, "--profile-json", artifact->dir());
  axe::Engine engine(*artifact, engineOptions);
  axe::Request request;
  request.promptIds = o.promptIds;
  request.sampling = o.sampling.apply(engine.defaultSampling());
  request.stop.maxTokens = o.maxTokens;
  request.stop.ignoreEos = o.ignoreEos;
  request.promptLogits = request.returnLogits = !o.dumpLogits.empty();

  std::optional<axe::NpyWriter> dump;
  if (!o.dumpLogits.empty()) {
    checkOutputPath(o.dumpLogits, "--dump-logits", artifact->dir());
    dump.emplace(o.dumpLogits, model.vocabSize);
  }
  using Clock = std::chrono::steady_clock;
  std::vector<int32_t> generated;
  Clock::time_point start = Clock::now(), firstToken, lastToken;
  std::string error;
  engine.submit(request, [&](const axe::SequenceEvent &ev) {
    if (ev.hasToken) {
      // Every fed token's row: the prompt's, then each generated token's but the last (the first
      // token's row is the prompt's last).
      if (dump && !generated.empty())
        dump->appendRows(ev.logits.data(), ev.logitRows);
      generated.push_back(ev.token.token);
      (generated.size() == 1 ? firstToken : lastToken) = Clock::now();
    } else if (dump && ev.logitRows > 0) {
      dump->appendRows(ev.logits.data(), ev.logitRows);
    }
    if (ev.finish == axe::FinishReason::Error)
      error = ev.error;
  });
  engine.runUntilIdle();
  if (!error.empty())
    throw axe::Error(error);
  if (dump)
    dump->finish();

  double prefillSecs = seconds(firstToken - start);
  int64_t decodeSteps = int64_t(generated.size()) - 1;
  double decodeSecs = decodeSteps > 0 ? seconds(lastToken - firstToken) : 0.0;
  std::string line;
  for (size_t i = 0; i < generated.size(); ++i)
    line += (i ? " " : "") + std::to_string(generated[i]);
  std::printf("%s\n", line.c_str());
  std::printf("prefill: %zu tokens, %.3f s, %s; decode: %lld tokens, %.3f s, %s\n",
              o.promptIds.size(), prefillSecs, rate(int64_t(o.promptIds.size()), prefillSecs).c_str(),
              (long long)decodeSteps, decodeSecs, rate(decodeSteps, decodeSecs).c_str());
  std::printf("cache: %s\n", engine.cachePlan().summary().c_str());
  std::printf("kernels: %s\n", o.engine.device == "cuda" ? "nvvm/kernels.cubin (cuda)"
                                                         : ("cpu " + artifact->cpuTarget()).c_str());
  if (o.profile) {
    std::fflush(stdout); // the tokens and speeds first, then the table on stderr
    printProfile(artifact->manifest(), engine.device().profile());
  }
  if (!o.profileJson.empty())
    writeProfileJson(o.profileJson, artifact->manifest(), engine.device());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 2 && std::string(argv[1]) == "--version") {
    std::puts(axe::versionLine("axe-run").c_str());
    return 0;
  }
  try {
    if (argc >= 2 && std::string(argv[1]) == "bench")
      return axe::cli::runBench(argc - 1, argv + 1);
    if (argc >= 2 && std::string(argv[1]) == "batch")
      return axe::cli::runBatch(argc - 1, argv + 1);
    if (argc >= 2 && std::string(argv[1]) == "chat")
      return axe::cli::runChat(argc - 1, argv + 1);
    if (argc >= 2 && std::string(argv[1]) == "eval")
      return axe::cli::runEval(argc - 1, argv + 1);
    if (argc >= 2 && std::string(argv[1]) == "serve")
      return axe::cli::runServe(argc - 1, argv + 1);
    return run(parseArgs(argc, argv));
  } catch (const std::exception &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "axe-run: error: %s\n", e.what());
    return 1;
  }
}
