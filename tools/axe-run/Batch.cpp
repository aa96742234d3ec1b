//===- Batch.cpp - axe-run batch: many requests through one engine --------===//
//
// Offline batch generation, and the harness of the serving tests: every line of the requests file
// is a JSON object
//
//   {"prompt_ids": [1, 2, 3], "max_tokens": 16, "arrival_step": 0, "n": 1, "ignore_eos": false,
//    "temperature": 0, "top_k": 0, "top_p": 1, "min_p": 0, "presence_penalty": 0,
//    "frequency_penalty": 0, "repetition_penalty": 1, "seed": 0, "logprobs": -1,
//    "stop_token_ids": []}
//
// (only prompt_ids is required). A request joins the engine before step `arrival_step` (steps
// counted from 0), so tests can stagger arrivals exactly. The engine runs on this thread until
// every request has finished. Output: one JSON line per request, in input order,
// {"index": i, "completions": [{"tokens": [...], "finish_reason": "length", "logprobs": [...]}]},
// and a summary line on stderr. --dump-logits-dir writes each completion's sampled rows as
// DIR/<i>_<completion>.npy (float32 [tokens, vocab]).
//
//===----------------------------------------------------------------------===//

#include "tools/axe-run/Batch.h"

#include "runtime/Artifact.h"
#include "runtime/NpyWriter.h"
#include "runtime/serve/Engine.h"
#include "support/Error.h"
#include "support/JsonObject.h"
#include "tools/axe-run/CommandLine.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>

namespace axe::cli {

namespace {

const char *kBatchUsage =
    "usage: axe-run batch MODEL.axe --requests FILE.jsonl [--output FILE.jsonl]\n"
    "                     [--dump-logits-dir DIR] [engine options of axe-run --help]\n"
    "  Each line of FILE.jsonl: {\"prompt_ids\": [...], \"max_tokens\": N, \"arrival_step\": K, \"n\": N,\n"
    "  \"temperature\": T, \"top_k\": K, \"top_p\": P, \"min_p\": P, \"presence_penalty\": X,\n"
    "  \"frequency_penalty\": X, \"repetition_penalty\": X, \"seed\": S, \"logprobs\": K,\n"
    "  \"ignore_eos\": B, \"stop_token_ids\": [...]}; only prompt_ids is required.\n";

struct BatchRequest {
  Request request;
  int64_t arrivalStep = 0;
};

template <typename T> T field(const nlohmann::json &doc, const char *key, T fallback, const std::string &where) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null())
    return fallback;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception &) {
    throw Error(where + ": '" + key + "' has the wrong type");
  }
}

std::vector<BatchRequest> readRequests(const std::string &path, const SamplingParams &defaults) {
  std::ifstream in(path);
  if (!in)
    throw Error(path + ": cannot open the requests file");
  std::vector<BatchRequest> out;
  std::string line;
  int64_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    std::string where = path + ":" + std::to_string(lineNo);
    nlohmann::json doc = parseJsonObject(line, where, "a request");
    BatchRequest b;
    Request &r = b.request;
    if (!doc.contains("prompt_ids"))
      throw Error(where + ": 'prompt_ids' is required");
    r.promptIds = field<std::vector<int32_t>>(doc, "prompt_ids", {}, where);
    r.stop.maxTokens = field<int64_t>(doc, "max_tokens", -1, where);
    r.stop.ignoreEos = field<bool>(doc, "ignore_eos", false, where);
    r.stop.stopTokenIds = field<std::vector<int32_t>>(doc, "stop_token_ids", {}, where);
    r.n = field<int64_t>(doc, "n", 1, where);
    SamplingParams &p = r.sampling;
    p = defaults;
    p.temperature = field<double>(doc, "temperature", p.temperature, where);
    p.topK = field<int64_t>(doc, "top_k", p.topK, where);
    p.topP = field<double>(doc, "top_p", p.topP, where);
    p.minP = field<double>(doc, "min_p", p.minP, where);
    p.presencePenalty = field<double>(doc, "presence_penalty", p.presencePenalty, where);
    p.frequencyPenalty = field<double>(doc, "frequency_penalty", p.frequencyPenalty, where);
    p.repetitionPenalty = field<double>(doc, "repetition_penalty", p.repetitionPenalty, where);
    p.seed = field<uint64_t>(doc, "seed", p.seed, where);
    p.logprobs = field<int64_t>(doc, "logprobs", -1, where);
    b.arrivalStep = field<int64_t>(doc, "arrival_step", 0, where);
    if (b.arrivalStep < 0)
      throw Error(where + ": 'arrival_step' must be >= 0");
    out.push_back(std::move(b));
  }
  if (out.empty())
    throw Error(path + ": no requests");
  return out;
}

struct Completion {
  std::vector<int32_t> tokens;
  std::vector<float> logprobs;
  std::string finish;
  std::string error;
  std::unique_ptr<NpyWriter> dump;
};

} // namespace

int runBatch(int argc, char **argv) {
  std::string model, requestsPath, outputPath, dumpDir;
  EngineFlags engineFlags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kBatchUsage, stdout);
      return 0;
    }
    if (takeModel(arg, model))
      continue;
    FlagReader r(argc, argv, i);
    if (engineFlags.take(r))
      continue;
    if (r.flag == "--requests")
      requestsPath = r.requireValue();
    else if (r.flag == "--output")
      outputPath = r.requireValue();
    else if (r.flag == "--dump-logits-dir")
      dumpDir = r.requireValue();
    else
      usageError("unknown option '" + r.flag + "'");
  }
  if (model.empty())
    usageError("no model directory given");
  if (requestsPath.empty())
    usageError("--requests is required");

  std::unique_ptr<Artifact> artifact = loadArtifact(model, engineFlags);
  Engine engine(*artifact, engineFlags.options());
  std::vector<BatchRequest> requests = readRequests(requestsPath, engine.defaultSampling());
  std::vector<std::vector<Completion>> results(requests.size());
  std::map<uint64_t, size_t> byId;
  int64_t vocab = engine.vocabSize();
  auto onEvent = [&](const SequenceEvent &ev) {
    size_t index = byId.at(ev.requestId);
    std::vector<Completion> &cs = results[index];
    if (int64_t(cs.size()) <= ev.index)
      cs.resize(size_t(ev.index + 1));
    Completion &c = cs[size_t(ev.index)];
    if (ev.hasToken) {
      c.tokens.push_back(ev.token.token);
      if (requests[index].request.sampling.logprobs >= 0)
        c.logprobs.push_back(ev.token.logprob);
      if (!dumpDir.empty()) {
        if (!c.dump)
          c.dump = std::make_unique<NpyWriter>(dumpDir + "/" + std::to_string(index) + "_" +
                                                   std::to_string(ev.index) + ".npy",
                                               vocab);
        c.dump->appendRows(ev.logits.data(), ev.logitRows);
      }
    }
    if (ev.finish != FinishReason::None) {
      c.finish = finishReasonName(ev.finish);
      c.error = ev.error;
    }
  };

  size_t next = 0;
  std::vector<size_t> order(requests.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].arrivalStep < requests[b].arrivalStep; });
  for (int64_t step = 0;; ++step) {
    while (next < order.size() && requests[order[next]].arrivalStep <= step) {
      size_t i = order[next++];
      requests[i].request.returnLogits = !dumpDir.empty();
      try {
        byId[engine.submit(requests[i].request, onEvent)] = i;
      } catch (const Error &e) {
        throw Error(requestsPath + ": request " + std::to_string(i) + ": " + e.what());
      }
    }
    if (!engine.step() && next == order.size())
      break;
  }

  std::FILE *out = stdout;
  if (!outputPath.empty() && !(out = std::fopen(outputPath.c_str(), "w")))
    throw Error(outputPath + ": cannot create");
  for (size_t i = 0; i < results.size(); ++i) {
    nlohmann::json line;
    line["index"] = i;
    nlohmann::json completions = nlohmann::json::array();
    for (Completion &c : results[i]) {
      nlohmann::json j = {{"tokens", c.tokens}, {"finish_reason", c.finish}};
      if (requests[i].request.sampling.logprobs >= 0)
        j["logprobs"] = c.logprobs;
      if (!c.error.empty())
        j["error"] = c.error;
      if (c.dump)
        c.dump->finish();
      completions.push_back(j);
    }
    line["completions"] = completions;
    std::fprintf(out, "%s\n", line.dump().c_str());
  }
  if (out != stdout && std::fclose(out) != 0)
    throw Error(outputPath + ": cannot write");
  EngineStats s = engine.stats();
  std::fprintf(stderr, "batch: %zu requests, %lld steps, %lld generated tokens, %lld preemptions; cache: %s\n",
               requests.size(), (long long)s.steps, (long long)s.generatedTokens, (long long)s.preemptions,
               engine.cachePlan().summary().c_str());
  return 0;
}

} // namespace axe::cli
