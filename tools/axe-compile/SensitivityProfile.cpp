//===- SensitivityProfile.cpp - axe-compile --profile-sensitivity ---------===//
//
// Each variant is a policy JSON (only its part FP8), compiled like any artifact into a scratch
// directory and run by the runtime's engine in this process: the figures come from the same
// compiled code a deployment runs. Windows are fed one request at a time, each in a single step,
// so the expert choices the device captures in that step are exactly the window's.
//
//===----------------------------------------------------------------------===//

#include "tools/axe-compile/SensitivityProfile.h"

#include "lowering/common/ArtifactWriter.h"
#include "passes/PrecisionPipeline.h"
#include "runtime/Artifact.h"
#include "runtime/eval/LogitComparison.h"
#include "runtime/eval/TokenInput.h"
#include "runtime/serve/Engine.h"
#include "runtime/text/Tokenizer.h"
#include "support/Error.h"
#include "support/Progress.h"
#include "support/TempDir.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace axe {

namespace {

namespace fs = std::filesystem;

// The component classes of the precision map (models/policies/default.json names the same roles).
struct PartClass {
  const char *name;
  std::vector<std::string> roles;
  bool layered; // has one weight per layer (everything but the embedding and lm_head)
  bool routed = false; // a token reads K of its E experts' weights
};
// The compiled model fuses some projections that share an input (q/k/v, gate_up with down of the
// routed experts, in_proj_qkv with in_proj_z, in_proj_b with in_proj_a: the precision passes'
// 'precision.fused_shards' rule), and fused shards take one precision, so each group is one part.
const std::vector<PartClass> kClasses = {
    {"attention q/k/v", {"attn_q", "attn_k", "attn_v"}, true},
    {"attention o", {"attn_o"}, true},
    {"routed experts", {"expert_gate_up", "expert_down"}, true, /*routed=*/true},
    {"shared expert", {"shared_gate", "shared_up", "shared_down"}, true},
    {"router", {"router"}, true},
    {"shared-expert gate", {"shared_expert_gate"}, true},
    {"DeltaNet in_proj_qkv+z", {"linear_attn_qkv", "linear_attn_z"}, true},
    {"DeltaNet in_proj_b+a", {"linear_attn_b", "linear_attn_a"}, true},
    {"DeltaNet out_proj", {"linear_attn_out"}, true},
    {"embedding", {"embedding"}, false},
    {"lm_head", {"lm_head"}, false},
};
const int64_t kStatePositions[] = {64, 256, 1024};

// What one artifact does on the profiling text.
struct Observation {
  std::vector<std::vector<float>> rows;                 // per window: scored logits rows
  std::vector<std::vector<std::vector<int32_t>>> routes; // per window, per MoE layer: [ctx, K]
  std::map<int64_t, std::vector<float>> states;         // after N tokens: the recurrent states
  uint64_t weightBytes = 0;
};

struct Row {
  std::string part;
  int64_t layer = -1;     // -1: every layer
  std::string unsupported; // non-empty: the compiler refused this variant (why)
  int64_t savedBytes = 0;       // stored weights
  double savedPerToken = 0;     // weight bytes a decoded token reads (routed experts: K of E)
  ComparisonSummary kld;
  double routeFlips = 0;
  int64_t routePairs = 0;
  std::map<int64_t, double> drift;
  // The price of the bandwidth: decode reads every weight of a token once, so what FP8 buys is
  // bytes per token.
  double kldPerGb() const { return savedPerToken > 0 ? kld.kld.mean / (savedPerToken / 1e9) : INFINITY; }
};

nlohmann::json policyFor(const std::vector<std::string> &roles, int64_t layer) {
  nlohmann::json rule = {{"roles", roles}, {"precision", "fp8"}};
  if (layer >= 0)
    rule["names"] = {"re:.*layers\\." + std::to_string(layer) + "\\..*"};
  return {{"name", "sensitivity-variant"},
          {"activations", "bf16"},
          {"rules", nlohmann::json::array({rule})},
          {"default", {{"precision", "bf16"}}}};
}

void writeNewFile(const std::string &path, const std::string &text, const char *flag) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(path, ec)))
    throw Error(std::string(flag) + ": " + path + " already exists; axe-compile does not overwrite files");
  std::ofstream out(path);
  out << text;
  if (!out.flush())
    throw Error(std::string(flag) + ": cannot write " + path);
}

class Profiler {
public:
  Profiler(mlir::ModuleOp imported, const ModelConfig &config, const Checkpoint &checkpoint,
           const SensitivityOptions &options, const fs::path &scratch)
      : imported_(imported), config_(config), checkpoint_(checkpoint), options_(options), scratch_(scratch) {}

  void setTokens(std::vector<int32_t> tokens) {
    tokens_ = std::move(tokens);
    windows_ = std::min<int64_t>(options_.windows, int64_t(tokens_.size()) / options_.ctx);
    if (windows_ == 0)
      throw Error("--profile-sensitivity: the text has " + std::to_string(tokens_.size()) +
                  " tokens, fewer than one window of " + std::to_string(options_.ctx) + " (--profile-ctx)");
    for (int64_t n : kStatePositions)
      if (n <= int64_t(tokens_.size()) && n < config_.maxPositionEmbeddings)
        statePositions_.push_back(n);
  }
  int64_t windows() const { return windows_; }
  const std::vector<int32_t> &tokens() const { return tokens_; }
  const std::vector<int64_t> &statePositions() const { return statePositions_; }

  // Compiles `policy` (a JSON policy or a built-in name) and runs it. Returns false, with the
  // compiler's reason in `why`, when the precision passes refuse the policy.
  bool observe(const std::string &policy, Observation &out, std::string &why) {
    std::string artifactDir = (scratch_ / ("variant-" + std::to_string(counter_++) + ".axe")).string();
    {
      mlir::OwningOpRef<mlir::ModuleOp> module(imported_.clone());
      std::string diagnostics;
      mlir::ScopedDiagnosticHandler capture(module->getContext(), [&](mlir::Diagnostic &d) {
        if (d.getSeverity() == mlir::DiagnosticSeverity::Error && diagnostics.empty())
          diagnostics = d.str();
        return mlir::success();
      });
      mlir::PassManager pm(module->getContext());
      mlir::axe::PrecisionPipelineOptions pipeline;
      pipeline.policy = policy;
      mlir::axe::buildPrecisionPipeline(pm, pipeline);
      if (mlir::failed(pm.run(*module))) {
        why = diagnostics.empty() ? "the precision passes failed" : diagnostics;
        return false;
      }
      ArtifactWriteOptions write;
      write.policy = policy;
      writeArtifact(*module, config_, &checkpoint_, artifactDir, write);
    }
    out = run(artifactDir);
    fs::remove_all(artifactDir);
    return true;
  }

private:
  Observation run(const std::string &dir) {
    ArtifactLoadOptions load;
    load.verifyWeights = false; // written a moment ago by this process
    std::unique_ptr<Artifact> artifact = Artifact::load(dir, load);
    EngineOptions engineOptions;
    engineOptions.threads = options_.threads ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
    int64_t longest = std::max<int64_t>(options_.ctx, statePositions_.empty() ? 0 : statePositions_.back());
    engineOptions.maxModelLen = longest + 1;
    engineOptions.maxNumSeqs = 1;
    engineOptions.maxNumBatchedTokens = std::max<int64_t>(options_.ctx, 2048); // a window is one step
    engineOptions.useGenerationConfig = false;
    engineOptions.captureRoutes = true;
    Engine engine(*artifact, engineOptions);
    const int64_t V = engine.vocabSize(), scoreFrom = options_.ctx / 2;

    Observation o;
    for (const BufferDecl &b : artifact->manifest().buffers) // what a step reads, without file padding
      if (b.kind == BufferKind::Weight) {
        uint64_t n = dtypeSize(b.dtype);
        for (const SymInt &d : b.shape)
          n *= uint64_t(d.value);
        o.weightBytes += n;
      }
    for (int64_t w = 0; w < windows_; ++w) {
      std::vector<float> rows(size_t((options_.ctx - 1 - scoreFrom) * V));
      Request request;
      request.promptIds.assign(tokens_.begin() + w * options_.ctx, tokens_.begin() + (w + 1) * options_.ctx);
      request.promptLogits = true;
      request.stop.maxTokens = 1;
      request.stop.ignoreEos = true;
      std::string error;
      int64_t steps = engine.stats().steps;
      engine.submit(request, [&](const SequenceEvent &ev) {
        if (ev.finish == FinishReason::Error)
          error = ev.error;
        if (ev.hasToken)
          return;
        for (int64_t p = std::max(ev.firstPromptRow, scoreFrom); p < ev.firstPromptRow + ev.logitRows; ++p)
          if (p < options_.ctx - 1)
            std::copy_n(ev.logits.data() + (p - ev.firstPromptRow) * V, V, rows.data() + (p - scoreFrom) * V);
      });
      engine.runUntilIdle();
      if (!error.empty())
        throw Error("--profile-sensitivity: running window " + std::to_string(w) + ": " + error);
      if (engine.stats().steps != steps + 1)
        throw Error("--profile-sensitivity: window " + std::to_string(w) + " took " +
                    std::to_string(engine.stats().steps - steps) + " steps, so its expert choices were not all "
                    "captured (internal error)");
      o.rows.push_back(std::move(rows));
      o.routes.push_back(engine.device().capturedRoutes());
    }
    for (int64_t n : statePositions_) {
      Request request;
      request.promptIds.assign(tokens_.begin(), tokens_.begin() + n);
      request.stop.maxTokens = 1;
      request.stop.ignoreEos = true;
      request.returnState = true;
      std::string error;
      engine.submit(request, [&](const SequenceEvent &ev) {
        if (ev.finish == FinishReason::Error)
          error = ev.error;
        else if (ev.finish != FinishReason::None)
          o.states[n] = ev.recurrentState;
      });
      engine.runUntilIdle();
      if (!error.empty())
        throw Error("--profile-sensitivity: the state after " + std::to_string(n) + " tokens: " + error);
    }
    return o;
  }

  mlir::ModuleOp imported_;
  const ModelConfig &config_;
  const Checkpoint &checkpoint_;
  const SensitivityOptions &options_;
  fs::path scratch_;
  std::vector<int32_t> tokens_;
  int64_t windows_ = 0;
  std::vector<int64_t> statePositions_;
  int counter_ = 0;
};

Row compare(const std::string &part, int64_t layer, const Observation &base, const Observation &v, int64_t ctx,
            int64_t vocab, const std::vector<int32_t> &tokens) {
  Row r;
  r.part = part;
  r.layer = layer;
  r.savedBytes = int64_t(base.weightBytes) - int64_t(v.weightBytes);
  LogitComparison c(vocab);
  int64_t scoreFrom = ctx / 2;
  int64_t flips = 0, pairs = 0;
  for (size_t w = 0; w < base.rows.size(); ++w) {
    for (int64_t p = scoreFrom; p < ctx - 1; ++p) {
      size_t off = size_t((p - scoreFrom) * vocab);
      c.add(v.rows[w].data() + off, base.rows[w].data() + off, tokens[w * size_t(ctx) + size_t(p) + 1],
            "window " + std::to_string(w) + ", position " + std::to_string(p));
    }
    for (size_t l = 0; l < base.routes[w].size(); ++l) {
      const std::vector<int32_t> &a = base.routes[w][l], &b = v.routes[w][l];
      int64_t k = int64_t(a.size()) / ctx;
      for (int64_t t = 0; t < ctx; ++t) {
        std::vector<int32_t> sa(a.begin() + t * k, a.begin() + (t + 1) * k), sb(b.begin() + t * k, b.begin() + (t + 1) * k);
        std::sort(sa.begin(), sa.end());
        std::sort(sb.begin(), sb.end());
        flips += sa != sb;
        ++pairs;
      }
    }
  }
  r.kld = c.summarize();
  r.routePairs = pairs;
  r.routeFlips = pairs ? double(flips) / double(pairs) : 0.0;
  for (const auto &[n, s0] : base.states) {
    const std::vector<float> &s = v.states.at(n);
    double diff = 0, norm = 0;
    for (size_t i = 0; i < s0.size(); ++i) {
      diff += (double(s[i]) - s0[i]) * (double(s[i]) - s0[i]);
      norm += double(s0[i]) * s0[i];
    }
    r.drift[n] = norm > 0 ? std::sqrt(diff / norm) : 0.0;
  }
  return r;
}

std::string fmt(const char *format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

void printTable(const std::vector<Row> &rows, const std::vector<int64_t> &statePositions) {
  std::printf("%-24s %5s %10s %10s %10s %11s %8s %8s", "part (FP8, rest BF16)", "layer", "saved MB", "MB/token",
              "mean KLD", "KLD per GB", "top-1", "flips");
  for (int64_t n : statePositions)
    std::printf(" %9s", ("drift@" + std::to_string(n)).c_str());
  std::printf("\n");
  for (const Row &r : rows) {
    std::printf("%-24s %5s ", r.part.c_str(), r.layer < 0 ? "all" : std::to_string(r.layer).c_str());
    if (!r.unsupported.empty()) {
      std::printf("not supported by the compiler: %s\n", r.unsupported.c_str());
      continue;
    }
    if (r.savedBytes <= 0) {
      std::printf("%10s (no weights of this part)\n", "0");
      continue;
    }
    std::printf("%10.3f %10.3f %10.3g %11.3g %7.2f%% %7.3f%%", double(r.savedBytes) / 1e6, r.savedPerToken / 1e6,
                r.kld.kld.mean, r.kldPerGb(),
                100 * r.kld.top1, 100 * r.routeFlips);
    for (int64_t n : statePositions)
      std::printf(" %9.2e", r.drift.at(n));
    std::printf("\n");
  }
}

nlohmann::json rowJson(const Row &r) {
  nlohmann::json j = {{"part", r.part}, {"layer", r.layer < 0 ? nlohmann::json("all") : nlohmann::json(r.layer)}};
  if (!r.unsupported.empty()) {
    j["unsupported"] = r.unsupported;
    return j;
  }
  j["saved_bytes"] = r.savedBytes;
  if (r.savedBytes <= 0)
    return j;
  j["saved_bytes_per_token"] = r.savedPerToken;
  j["mean_kld"] = r.kld.kld.mean;
  j["kld_stderr"] = r.kld.kld.stderror;
  j["max_kld"] = r.kld.kld.max;
  j["kld_per_gb"] = r.kldPerGb();
  j["top1"] = r.kld.top1;
  j["perplexity_ratio"] = r.kld.perplexityRatio;
  j["route_flips"] = r.routeFlips;
  j["route_pairs"] = r.routePairs;
  for (const auto &[n, d] : r.drift)
    j["state_drift"][std::to_string(n)] = d;
  return j;
}

std::vector<int32_t> readTokens(const SensitivityOptions &o, const std::string &modelDir, int64_t vocab) {
  std::vector<int32_t> ids;
  if (!o.textPath.empty()) {
    std::string tokenizer = modelDir + "/tokenizer.json";
    if (!fs::exists(tokenizer))
      throw Error("--text: " + modelDir + " has no tokenizer.json; give token ids with --ids");
    return Tokenizer::load(tokenizer).encode(readInputFile(o.textPath, "--text"));
  }
  if (!o.idsPath.empty())
    return readTokenIds(o.idsPath, vocab);
  std::fprintf(stderr, "axe-compile: note: no --text or --ids: profiling on uniformly random token ids (seed 0); "
                       "a model's sensitivity on real text differs\n");
  std::mt19937 gen(0);
  std::uniform_int_distribution<int32_t> pick(0, int32_t(vocab - 1));
  for (int64_t i = 0; i < std::max<int64_t>(o.ctx * o.windows, 1024); ++i)
    ids.push_back(pick(gen));
  return ids;
}

} // namespace

void profileSensitivity(mlir::ModuleOp imported, const ModelConfig &config, const Checkpoint &checkpoint,
                        const std::string &modelDir, const SensitivityOptions &options, Progress &progress) {
  if (options.ctx < 4)
    throw Error("--profile-ctx must be at least 4");
  if (options.windows < 1)
    throw Error("--profile-windows must be at least 1");
  if (options.budgetKld && !(*options.budgetKld >= 0))
    throw Error("--budget-kld must be a non-negative number");
  if (options.budgetGb && !(*options.budgetGb > 0))
    throw Error("--budget-gb must be a positive number");
  for (const std::string *out : {&options.policyOut, &options.jsonOut})
    if (!out->empty() && fs::exists(fs::symlink_status(*out)))
      throw Error(*out + " already exists; axe-compile does not overwrite files");

  TempDir scratch(fs::temp_directory_path() / ("axe-profile-" + std::to_string(::getpid())));
  Profiler profiler(imported, config, checkpoint, options, scratch.path());
  profiler.setTokens(readTokens(options, modelDir, config.vocabSize));
  std::fprintf(stderr, "axe-compile: profiling: %lld windows of %lld tokens, states after", (long long)profiler.windows(),
               (long long)options.ctx);
  for (int64_t n : profiler.statePositions())
    std::fprintf(stderr, " %lld", (long long)n);
  std::fprintf(stderr, " tokens\n");

  progress.stage("profiling: the BF16 baseline");
  Observation base;
  std::string why;
  if (!profiler.observe("bf16", base, why))
    throw Error("--profile-sensitivity: the BF16 baseline does not compile: " + why);

  std::vector<Row> rows;
  auto measure = [&](const PartClass &part, int64_t layer) {
    progress.stage("profiling: " + std::string(part.name) + (layer >= 0 ? " layer " + std::to_string(layer) : ""));
    std::string policyPath = (scratch.path() / "policy.json").string();
    { std::ofstream(policyPath) << policyFor(part.roles, layer).dump(2); }
    Observation v;
    Row r;
    if (!profiler.observe(policyPath, v, why)) {
      r.part = part.name;
      r.layer = layer;
      r.unsupported = why;
    } else {
      r = compare(part.name, layer, base, v, options.ctx, config.vocabSize, profiler.tokens());
      r.savedPerToken = double(r.savedBytes) *
                        (part.routed ? double(config.numExpertsPerTok) / double(config.numExperts) : 1.0);
    }
    rows.push_back(r);
    return r;
  };
  std::vector<Row> classes;
  for (const PartClass &part : kClasses)
    classes.push_back(measure(part, -1));
  if (options.perLayer)
    for (const PartClass &part : kClasses)
      if (part.layered)
        for (int64_t l = 0; l < config.numLayers; ++l)
          measure(part, l);

  // Ranked: cheapest FP8 first (least KLD per GB a token reads less); parts that save nothing or are refused last.
  std::vector<Row> ranked = rows;
  std::stable_sort(ranked.begin(), ranked.end(), [](const Row &a, const Row &b) {
    bool ua = !a.unsupported.empty() || a.savedBytes <= 0, ub = !b.unsupported.empty() || b.savedBytes <= 0;
    if (ua != ub)
      return ub;
    return a.kldPerGb() < b.kldPerGb();
  });
  std::printf("Sensitivity of %s to FP8, each part alone against all-BF16 (%lld windows of %lld tokens, %lld "
              "scored positions; BF16 weights %.3f MB)\n",
              modelDir.c_str(), (long long)profiler.windows(), (long long)options.ctx,
              (long long)(profiler.windows() * (options.ctx - 1 - options.ctx / 2)), double(base.weightBytes) / 1e6);
  printTable(ranked, profiler.statePositions());

  // The derived policy: whole classes, cheapest first, under the budgets.
  double kldBudget = options.budgetKld.value_or(options.budgetGb ? INFINITY : 1e-3);
  double sumKld = 0;
  int64_t weights = int64_t(base.weightBytes);
  std::vector<const Row *> chosen;
  std::vector<Row> classRanked = classes;
  std::stable_sort(classRanked.begin(), classRanked.end(),
                   [](const Row &a, const Row &b) { return a.kldPerGb() < b.kldPerGb(); });
  for (const Row &r : classRanked) {
    if (!r.unsupported.empty() || r.savedBytes <= 0)
      continue;
    bool needBytes = options.budgetGb && double(weights) > *options.budgetGb * 1e9;
    if (!needBytes && sumKld + r.kld.kld.mean > kldBudget)
      continue;
    chosen.push_back(&r);
    sumKld += r.kld.kld.mean;
    weights -= r.savedBytes;
  }
  if (options.budgetGb && double(weights) > *options.budgetGb * 1e9)
    std::fprintf(stderr, "axe-compile: warning: even with every supported part in FP8 the weights take %.3f GB, over "
                         "--budget-gb %g\n", double(weights) / 1e9, *options.budgetGb);

  nlohmann::json policy = {{"name", "axe-profiled"},
                           {"description", "Derived by axe-compile --profile-sensitivity: parts in FP8 cheapest first "
                                           "(least KLD per GB a token reads less) under the budget"},
                           {"activations", "bf16"},
                           {"rules", nlohmann::json::array()},
                           {"default", {{"precision", "bf16"}, {"why", "not named: kept in BF16"}}}};
  for (const PartClass &part : kClasses) {
    auto it = std::find_if(classes.begin(), classes.end(), [&](const Row &r) { return r.part == part.name; });
    bool fp8 = std::any_of(chosen.begin(), chosen.end(), [&](const Row *r) { return r->part == part.name; });
    std::string why = !it->unsupported.empty() ? "FP8 not supported by the compiler"
                      : it->savedBytes <= 0    ? "no weights of this part"
                                               : "measured alone: mean KLD " + fmt("%.3g", it->kld.kld.mean) +
                                                  ", " + fmt("%.3g", it->kldPerGb()) + " per GB per token saved, " +
                                                  fmt("%.2f", 100 * it->routeFlips) + " % routes changed";
    policy["rules"].push_back({{"roles", part.roles}, {"precision", fp8 ? "fp8" : "bf16"}, {"why", why}});
  }

  std::string derivedPath = (scratch.path() / "derived.json").string();
  { std::ofstream(derivedPath) << policy.dump(2); }
  progress.stage("profiling: the derived policy");
  Observation derived;
  if (!profiler.observe(derivedPath, derived, why))
    throw Error("--profile-sensitivity: the derived policy does not compile (internal error): " + why);
  Row whole = compare("derived policy", -1, base, derived, options.ctx, config.vocabSize, profiler.tokens());
  std::printf("\nDerived policy (%s): FP8 for", options.budgetGb ? "--budget-gb" : "--budget-kld");
  for (const Row *r : chosen)
    std::printf(" [%s]", r->part.c_str());
  if (chosen.empty())
    std::printf(" nothing");
  std::printf("\n  weights %.3f MB (BF16 %.3f MB); mean KLD measured as a whole %.3g (sum of the parts %.3g, "
              "budget %g); top-1 %.2f %%; routes changed %.3f %%\n",
              double(derived.weightBytes) / 1e6, double(base.weightBytes) / 1e6, whole.kld.kld.mean, sumKld,
              kldBudget, 100 * whole.kld.top1, 100 * whole.routeFlips);
  if (!options.policyOut.empty()) {
    writeNewFile(options.policyOut, policy.dump(2) + "\n", "--policy-out");
    std::printf("  written to %s (axe-compile MODEL --precision=%s)\n", options.policyOut.c_str(),
                options.policyOut.c_str());
  }
  if (!options.jsonOut.empty()) {
    nlohmann::json doc = {{"model", modelDir},
                          {"windows", profiler.windows()},
                          {"ctx", options.ctx},
                          {"bf16_weight_bytes", base.weightBytes},
                          {"parts", nlohmann::json::array()},
                          {"derived", {{"policy", policy},
                                       {"weight_bytes", derived.weightBytes},
                                       {"sum_of_parts_kld", sumKld},
                                       {"measured", rowJson(whole)}}}};
    for (const Row &r : ranked)
      doc["parts"].push_back(rowJson(r));
    writeNewFile(options.jsonOut, doc.dump(2) + "\n", "--profile-json");
  }
}

} // namespace axe
