//===- Eval.cpp - axe-run eval: a model against a reference, position by position ===//
//
//   axe-run eval MODEL.axe (--reference REF.axe | --reference-logits F.safetensors)
//                (--text FILE | --ids FILE) [--ctx N] [--windows N] [--score-from P]
//                [--json OUT.json] [--save-logits OUT.safetensors] [engine options]
//
// The tokens are cut into windows of --ctx tokens, each evaluated from an empty cache; positions
// [score-from, ctx - 1) of every window are scored (default score-from: ctx / 2, as llama.cpp's
// perplexity and KL-divergence tools do, so every scored token has at least half a window of
// context). Each window is a request through the serving engine, many per step.
//
// A logits file (--reference-logits, --save-logits) is a safetensors file with
//   input_ids  I32 or I64 [windows, ctx]   the tokens of each window
//   logits     F32 [windows, ctx, vocab]   the logits of every position
// so a reference written by transformers (tools/reference-logits) is checked against the tokens
// it was computed on before anything is compared.
//
//===----------------------------------------------------------------------===//

#include "tools/axe-run/Eval.h"

#include "runtime/Artifact.h"
#include "runtime/eval/LogitComparison.h"
#include "runtime/eval/TokenInput.h"
#include "runtime/eval/WindowLogits.h"
#include "runtime/serve/Engine.h"
#include "runtime/text/Tokenizer.h"
#include "support/Error.h"
#include "support/Safetensors.h"
#include "support/SafetensorsWriter.h"
#include "tools/axe-run/CommandLine.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

namespace axe::cli {

namespace {

const char *kEvalUsage =
    "usage: axe-run eval MODEL.axe (--reference REF.axe | --reference-logits F.safetensors)\n"
    "                    (--text FILE | --ids FILE) [options] [engine options of axe-run --help]\n"
    "  Compares MODEL's next-token distributions with the reference's over a text: KL divergence,\n"
    "  top-1 agreement, perplexity of each and their ratio, and the change in the probability of\n"
    "  the actual next token (dp), as llama.cpp's KL-divergence tool reports them.\n"
    "  --reference REF.axe           another artifact of the same model (e.g. the bf16 map)\n"
    "  --reference-logits F          logits written by tools/reference-logits (transformers) or by\n"
    "                                --save-logits: safetensors with input_ids [W, ctx] and\n"
    "                                logits F32 [W, ctx, vocab]\n"
    "  --text FILE                   UTF-8 text, tokenized with MODEL's tokenizer.json\n"
    "  --ids FILE                    token ids separated by spaces, commas or newlines\n"
    "  --ctx N                       tokens per window (default 512, or the reference file's)\n"
    "  --windows N                   evaluate the first N windows only (default: all that fit)\n"
    "  --score-from P                first scored position of a window (default ctx / 2)\n"
    "  --json OUT.json               also write the figures as JSON (a new file)\n"
    "  --save-logits OUT.safetensors write MODEL's logits in the reference format (a new file)\n";

struct EvalOptions {
  std::string model, reference, referenceLogits, textPath, idsPath, jsonPath, saveLogits;
  int64_t ctx = 0, windows = 0, scoreFrom = -1;
  EngineFlags engine;
};

EvalOptions parseEvalArgs(int argc, char **argv) {
  EvalOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kEvalUsage, stdout);
      std::exit(0);
    }
    if (takeModel(arg, o.model))
      continue;
    FlagReader r(argc, argv, i);
    if (o.engine.take(r))
      continue;
    std::string *path = r.flag == "--reference"          ? &o.reference
                        : r.flag == "--reference-logits" ? &o.referenceLogits
                        : r.flag == "--text"             ? &o.textPath
                        : r.flag == "--ids"              ? &o.idsPath
                        : r.flag == "--json"             ? &o.jsonPath
                        : r.flag == "--save-logits"      ? &o.saveLogits
                                                         : nullptr;
    if (path) {
      if (r.requireValue().empty())
        usageError(r.flag + " needs a file name");
      *path = r.value;
    } else if (r.flag == "--ctx") {
      o.ctx = parseInt(r.requireValue(), r.flag, 2, INT32_MAX);
    } else if (r.flag == "--windows") {
      o.windows = parseInt(r.requireValue(), r.flag, 1, INT32_MAX);
    } else if (r.flag == "--score-from") {
      o.scoreFrom = parseInt(r.requireValue(), r.flag, 0, INT32_MAX);
    } else {
      usageError("unknown option '" + r.flag + "'");
    }
  }
  if (o.model.empty())
    usageError("no model directory given");
  if (o.reference.empty() == o.referenceLogits.empty())
    usageError("give either --reference REF.axe or --reference-logits F.safetensors");
  if (o.textPath.empty() == o.idsPath.empty())
    usageError("give either --text FILE or --ids FILE");
  if (!o.reference.empty())
    checkNotCheckpoint(o.reference);
  return o;
}

// The reference logits file, checked against the windows it must describe.
class ReferenceLogits {
public:
  ReferenceLogits(const std::string &path) : file_(SafetensorsFile::open(path)), path_(path) {
    ids_ = file_->find("input_ids");
    logits_ = file_->find("logits");
    if (!ids_ || !logits_)
      throw Error("--reference-logits: " + path + " needs tensors 'input_ids' [windows, ctx] and 'logits' "
                  "[windows, ctx, vocab]");
    if (ids_->shape.size() != 2 || (ids_->dtype != DType::I32 && ids_->dtype != DType::I64))
      throw Error("--reference-logits: " + path + ": 'input_ids' must be I32 or I64 [windows, ctx]");
    if (logits_->shape.size() != 3 || logits_->dtype != DType::F32 || logits_->shape[0] != ids_->shape[0] ||
        logits_->shape[1] != ids_->shape[1])
      throw Error("--reference-logits: " + path + ": 'logits' must be F32 [windows, ctx, vocab] with the windows "
                  "and ctx of 'input_ids'");
  }
  int64_t windows() const { return ids_->shape[0]; }
  int64_t ctx() const { return ids_->shape[1]; }
  int64_t vocab() const { return logits_->shape[2]; }

  // Throws unless window w of the file holds exactly `tokens`.
  void checkTokens(int64_t w, const std::vector<int32_t> &tokens) const {
    const uint8_t *base = file_->view(*ids_).data;
    for (int64_t p = 0; p < ctx(); ++p) {
      int64_t id;
      if (ids_->dtype == DType::I32) {
        int32_t v;
        std::memcpy(&v, base + (w * ctx() + p) * 4, 4);
        id = v;
      } else {
        std::memcpy(&id, base + (w * ctx() + p) * 8, 8);
      }
      if (id != tokens[size_t(p)])
        throw Error("--reference-logits: " + path_ + " was computed on other tokens: window " + std::to_string(w) +
                    ", position " + std::to_string(p) + " holds " + std::to_string(id) + ", the input has " +
                    std::to_string(tokens[size_t(p)]));
    }
  }
  // Rows [rowBegin, rowEnd) of window w.
  std::vector<float> rows(int64_t w, int64_t rowBegin, int64_t rowEnd) const {
    std::vector<float> out(size_t((rowEnd - rowBegin) * vocab()));
    const uint8_t *base = file_->view(*logits_).data + ((w * ctx() + rowBegin) * vocab()) * 4;
    std::memcpy(out.data(), base, out.size() * 4); // the file's rows need not be 4-byte aligned
    return out;
  }

private:
  std::unique_ptr<SafetensorsFile> file_;
  std::string path_;
  const TensorInfo *ids_ = nullptr, *logits_ = nullptr;
};

std::unique_ptr<Engine> makeEngine(const Artifact &artifact, const EngineFlags &flags, int64_t ctx, int64_t group) {
  EngineOptions options = flags.options();
  if (options.maxModelLen == 0)
    options.maxModelLen = ctx + 1; // a request generates one token after its window
  options.maxNumSeqs = std::min(options.maxNumSeqs, group);
  options.useGenerationConfig = false;
  return std::make_unique<Engine>(artifact, options);
}

nlohmann::json distributionJson(const Distribution &d) {
  return {{"mean", d.mean}, {"stderr", d.stderror}, {"rms", d.rms},   {"min", d.min},     {"p0.1", d.p01},
          {"p1", d.p1},     {"p5", d.p5},           {"p10", d.p10},   {"median", d.median}, {"p90", d.p90},
          {"p95", d.p95},   {"p99", d.p99},         {"p99.9", d.p999}, {"max", d.max}};
}

void printSummary(const ComparisonSummary &s) {
  std::printf("== perplexity (%lld scored positions)\n", (long long)s.positions);
  std::printf("  PPL(model)              %12.6g +- %.3g\n", s.perplexity, s.perplexityError);
  std::printf("  PPL(reference)          %12.6g +- %.3g\n", s.referencePerplexity, s.referencePerplexityError);
  std::printf("  PPL(model)/PPL(ref)     %12.6f\n", s.perplexityRatio);
  std::printf("  ln(PPL(model)/PPL(ref)) %12.6g +- %.3g\n", s.logPerplexityRatio, s.logPerplexityRatioError);
  std::printf("  cor(nll, nll_ref)       %12.6f\n", s.nllCorrelation);
  std::printf("== KL divergence (nats)\n");
  const Distribution &k = s.kld;
  std::printf("  mean %.6g +- %.3g, max %.6g, p99.9 %.6g, p99 %.6g, p95 %.6g, median %.6g, p10 %.6g, min %.6g\n",
              k.mean, k.stderror, k.max, k.p999, k.p99, k.p95, k.median, k.p10, k.min);
  std::printf("== next-token probability, model - reference (dp)\n");
  const Distribution &d = s.deltaP;
  std::printf("  mean %+.6g +- %.3g, rms %.6g, max %+.6g, p99 %+.6g, median %+.6g, p1 %+.6g, min %+.6g\n", d.mean,
              d.stderror, d.rms, d.max, d.p99, d.median, d.p1, d.min);
  std::printf("== top-1 agreement\n  %.4f %% +- %.3g %%\n", 100 * s.top1, 100 * s.top1Error);
}

} // namespace

int runEval(int argc, char **argv) {
  EvalOptions o = parseEvalArgs(argc, argv);
  std::unique_ptr<Artifact> artifact = loadArtifact(o.model, o.engine);
  const int64_t V = artifact->manifest().model.vocabSize;
  for (const std::string *out : {&o.jsonPath, &o.saveLogits})
    if (!out->empty()) {
      const char *flag = out == &o.jsonPath ? "--json" : "--save-logits";
      checkOutputPath(*out, flag, artifact->dir());
      if (!o.reference.empty())
        checkOutputPath(*out, flag, o.reference);
    }

  std::unique_ptr<Artifact> reference;
  std::optional<ReferenceLogits> referenceFile;
  if (!o.reference.empty()) {
    reference = loadArtifact(o.reference, o.engine);
    if (reference->manifest().model.vocabSize != V)
      throw Error("--reference: " + o.reference + " has a vocabulary of " +
                  std::to_string(reference->manifest().model.vocabSize) + " tokens, the model " + std::to_string(V));
  } else {
    referenceFile.emplace(o.referenceLogits);
    if (referenceFile->vocab() != V)
      throw Error("--reference-logits: " + o.referenceLogits + " has rows of " + std::to_string(referenceFile->vocab()) +
                  " logits, the model's vocabulary is " + std::to_string(V));
    if (o.ctx != 0 && o.ctx != referenceFile->ctx())
      usageError("--ctx " + std::to_string(o.ctx) + " differs from the reference file's windows of " +
                 std::to_string(referenceFile->ctx()) + " tokens");
    o.ctx = referenceFile->ctx();
  }
  if (o.ctx == 0)
    o.ctx = 512;
  if (o.scoreFrom < 0)
    o.scoreFrom = o.ctx / 2;
  if (o.scoreFrom > o.ctx - 2)
    usageError("--score-from " + std::to_string(o.scoreFrom) + " leaves no position to score in windows of " +
               std::to_string(o.ctx) + " tokens (at most ctx - 2)");

  std::vector<int32_t> tokens;
  if (!o.textPath.empty()) {
    std::string tokenizerPath = artifact->dir() + "/tokenizer.json";
    if (!std::filesystem::exists(tokenizerPath))
      throw Error(o.model + ": the artifact has no tokenizer.json (its checkpoint had none): use --ids");
    tokens = Tokenizer::load(tokenizerPath).encode(readInputFile(o.textPath, "--text"));
  } else {
    tokens = readTokenIds(o.idsPath, V);
  }
  int64_t numWindows = int64_t(tokens.size()) / o.ctx;
  if (numWindows == 0)
    throw Error("the input has " + std::to_string(tokens.size()) + " tokens, fewer than one window of " +
                std::to_string(o.ctx) + " (--ctx)");
  if (o.windows > 0) {
    if (o.windows > numWindows)
      throw Error("--windows " + std::to_string(o.windows) + ": the input has " + std::to_string(tokens.size()) +
                  " tokens, " + std::to_string(numWindows) + " windows of " + std::to_string(o.ctx));
    numWindows = o.windows;
  }
  if (referenceFile && referenceFile->windows() < numWindows)
    throw Error("--reference-logits: " + o.referenceLogits + " holds " + std::to_string(referenceFile->windows()) +
                " windows, the input has " + std::to_string(numWindows) + " (use --windows)");

  // Rows kept per window: every position when saving, else the scored ones.
  const int64_t rowBegin = o.saveLogits.empty() ? o.scoreFrom : 0;
  const int64_t rowEnd = o.saveLogits.empty() ? o.ctx - 1 : o.ctx;
  // Windows per engine pass, so that the rows held at once stay under ~1 GiB.
  const int64_t windowBytes = (rowEnd - rowBegin) * V * 4 * (reference ? 2 : 1);
  const int64_t group = std::max<int64_t>(1, std::min<int64_t>(64, (int64_t(1) << 30) / windowBytes));
  std::unique_ptr<Engine> engine = makeEngine(*artifact, o.engine, o.ctx, group);
  std::unique_ptr<Engine> referenceEngine = reference ? makeEngine(*reference, o.engine, o.ctx, group) : nullptr;

  std::unique_ptr<SafetensorsWriter> save;
  if (!o.saveLogits.empty()) {
    save = std::make_unique<SafetensorsWriter>(o.saveLogits);
    save->declare("input_ids", DType::I32, {numWindows, o.ctx});
    save->declare("logits", DType::F32, {numWindows, o.ctx, V});
    save->begin();
    save->write(tokens.data(), size_t(numWindows * o.ctx) * sizeof(int32_t));
  }

  LogitComparison comparison(V);
  for (int64_t first = 0; first < numWindows; first += group) {
    int64_t count = std::min(group, numWindows - first);
    std::vector<std::vector<int32_t>> windows;
    for (int64_t w = first; w < first + count; ++w) {
      windows.emplace_back(tokens.begin() + w * o.ctx, tokens.begin() + (w + 1) * o.ctx);
      if (referenceFile)
        referenceFile->checkTokens(w, windows.back());
    }
    std::vector<std::vector<float>> rows = windowLogits(*engine, windows, rowBegin, rowEnd);
    std::vector<std::vector<float>> referenceRows;
    if (referenceEngine)
      referenceRows = windowLogits(*referenceEngine, windows, rowBegin, rowEnd);
    for (int64_t k = 0; k < count; ++k) {
      int64_t w = first + k;
      if (referenceFile)
        referenceRows.push_back(referenceFile->rows(w, rowBegin, rowEnd));
      for (int64_t p = o.scoreFrom; p < o.ctx - 1; ++p) {
        size_t offset = size_t((p - rowBegin) * V);
        comparison.add(rows[size_t(k)].data() + offset, referenceRows[size_t(k)].data() + offset,
                       windows[size_t(k)][size_t(p + 1)],
                       "window " + std::to_string(w) + ", position " + std::to_string(p));
      }
      if (save)
        save->write(rows[size_t(k)].data(), rows[size_t(k)].size() * sizeof(float));
    }
  }
  if (save)
    save->finish();

  ComparisonSummary s = comparison.summarize();
  std::printf("axe-run eval: %s against %s\n", o.model.c_str(),
              reference ? o.reference.c_str() : o.referenceLogits.c_str());
  std::printf("%zu tokens, %lld windows of %lld, positions %lld..%lld of each scored\n", tokens.size(),
              (long long)numWindows, (long long)o.ctx, (long long)o.scoreFrom, (long long)(o.ctx - 2));
  printSummary(s);
  if (!o.jsonPath.empty()) {
    nlohmann::json doc = {{"model", o.model},
                          {"reference", reference ? o.reference : o.referenceLogits},
                          {"reference_kind", reference ? "artifact" : "logits"},
                          {"tokens", tokens.size()},
                          {"ctx", o.ctx},
                          {"windows", numWindows},
                          {"score_from", o.scoreFrom},
                          {"positions", s.positions},
                          {"kld", distributionJson(s.kld)},
                          {"delta_p", distributionJson(s.deltaP)},
                          {"top1", s.top1},
                          {"top1_stderr", s.top1Error},
                          {"perplexity", s.perplexity},
                          {"perplexity_stderr", s.perplexityError},
                          {"reference_perplexity", s.referencePerplexity},
                          {"reference_perplexity_stderr", s.referencePerplexityError},
                          {"perplexity_ratio", s.perplexityRatio},
                          {"log_perplexity_ratio", s.logPerplexityRatio},
                          {"log_perplexity_ratio_stderr", s.logPerplexityRatioError},
                          {"nll_correlation", s.nllCorrelation}};
    std::ofstream out(o.jsonPath);
    out << doc.dump(2) << "\n";
    if (!out.flush())
      throw Error("--json: cannot write " + o.jsonPath);
  }
  return 0;
}

} // namespace axe::cli
