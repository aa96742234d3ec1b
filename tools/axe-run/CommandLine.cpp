//===- CommandLine.cpp - axe-run's shared flag parsing --------------------===//

#include "tools/axe-run/CommandLine.h"

#include "runtime/serve/CachePlan.h"
#include "runtime/Device.h"
#include "support/Error.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace axe::cli {

void usageError(const std::string &what) { throw Error(what + " (see --help)"); }

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

std::vector<int64_t> parseIntList(const std::string &text, const std::string &flag, int64_t min, int64_t max) {
  std::vector<int64_t> out;
  size_t begin = 0;
  for (;;) {
    size_t comma = text.find(',', begin);
    std::string item = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    out.push_back(parseInt(item, flag, min, max));
    if (comma == std::string::npos)
      return out;
    begin = comma + 1;
  }
}

bool takeModel(const std::string &arg, std::string &model) {
  if (arg.rfind("--", 0) == 0 || arg == "-h")
    return false;
  if (!model.empty())
    usageError("unexpected argument '" + arg + "' (one model directory only)");
  model = arg;
  checkNotCheckpoint(model);
  return true;
}

void checkNotCheckpoint(const std::string &dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || fs::exists(fs::path(dir) / "manifest.json", ec))
    return;
  bool checkpoint = fs::exists(fs::path(dir) / "config.json", ec);
  for (fs::directory_iterator it(dir, ec), end; !checkpoint && !ec && it != end; it.increment(ec))
    checkpoint = it->path().extension() == ".safetensors";
  if (checkpoint)
    throw Error(dir + ": this is a checkpoint, not an artifact; compile it first: axe-compile " +
                dir + " -o model.axe, then axe-run model.axe");
}

FlagReader::FlagReader(int argc, char **argv, int &i) : argc(argc), argv(argv), i(i) {
  std::string arg = argv[i];
  flag = arg;
  if (size_t eq = arg.find('='); eq != std::string::npos) {
    flag = arg.substr(0, eq);
    value = arg.substr(eq + 1);
    inlineValue = true;
  }
}

void FlagReader::requireNoValue() const {
  if (inlineValue)
    usageError(flag + " takes no value");
}

const std::string &FlagReader::requireValue() {
  if (!inlineValue) {
    if (i + 1 >= argc || std::string(argv[i + 1]).rfind("--", 0) == 0)
      usageError(flag + " needs a value");
    value = argv[++i];
    inlineValue = true;
  }
  return value;
}

bool SamplingFlags::take(FlagReader &r) {
  const std::string &f = r.flag;
  if (f == "--temperature") temperature = parseDouble(r.requireValue(), f);
  else if (f == "--top-k") topK = parseInt(r.requireValue(), f, 0, INT32_MAX);
  else if (f == "--top-p") topP = parseDouble(r.requireValue(), f);
  else if (f == "--min-p") minP = parseDouble(r.requireValue(), f);
  else if (f == "--presence-penalty") presencePenalty = parseDouble(r.requireValue(), f);
  else if (f == "--frequency-penalty") frequencyPenalty = parseDouble(r.requireValue(), f);
  else if (f == "--repetition-penalty") repetitionPenalty = parseDouble(r.requireValue(), f);
  else if (f == "--seed") seed = parseUnsigned(r.requireValue(), f);
  else return false;
  return true;
}

SamplingParams SamplingFlags::apply(SamplingParams p) const {
  if (temperature) p.temperature = *temperature;
  if (topK) p.topK = *topK;
  if (topP) p.topP = *topP;
  if (minP) p.minP = *minP;
  if (presencePenalty) p.presencePenalty = *presencePenalty;
  if (frequencyPenalty) p.frequencyPenalty = *frequencyPenalty;
  if (repetitionPenalty) p.repetitionPenalty = *repetitionPenalty;
  if (seed) p.seed = *seed;
  p.validate();
  return p;
}

void writeProfileJson(const std::string &path, const Manifest &manifest, const Device &device) {
  auto row = [](const Device::KernelTime &t) { return nlohmann::json{{"calls", t.calls}, {"seconds", t.seconds}}; };
  nlohmann::json kernels = nlohmann::json::array(), program = nlohmann::json::array();
  for (size_t i = 0; i < device.profile().size(); ++i) {
    nlohmann::json k = row(device.profile()[i]);
    k["kernel"] = manifest.kernels[i].name;
    k["op"] = manifest.kernels[i].op;
    kernels.push_back(std::move(k));
  }
  for (size_t i = 0; i < device.entryProfile().size(); ++i) {
    nlohmann::json e = row(device.entryProfile()[i]);
    e["entry"] = i;
    e["kernel"] = manifest.kernels[size_t(manifest.program[i].kernel)].name;
    program.push_back(std::move(e));
  }
  std::ofstream out(path);
  out << nlohmann::json{{"kernels", kernels}, {"program", program}}.dump(1) << "\n";
  if (!out.flush())
    throw Error(path + ": cannot write the profile");
}

std::unique_ptr<Artifact> loadArtifact(const std::string &dir, const EngineFlags &flags) {
  std::unique_ptr<Artifact> artifact = Artifact::load(dir, flags.artifactOptions());
  if (artifact->manifest().syntheticSeed)
    std::fprintf(stderr, "weights: synthetic (seed %llu, made at load): for timing only, the outputs mean nothing\n",
                 (unsigned long long)*artifact->manifest().syntheticSeed);
  return artifact;
}

bool EngineFlags::take(FlagReader &r) {
  const std::string &f = r.flag;
  if (f == "--threads") threads = unsigned(parseInt(r.requireValue(), f, 1, 1024));
  else if (f == "--cpu-kernels") {
    cpuKernels = r.requireValue();
    if (cpuKernels != "x86-64-v3" && cpuKernels != "x86-64-v4")
      throw Error("--cpu-kernels " + cpuKernels + " is not supported (x86-64-v3, x86-64-v4)");
  } else if (f == "--device") {
    device = r.requireValue();
    if (device != "cpu" && device != "cuda")
      throw Error("--device " + device + " is not supported (cpu, cuda)");
  }
  else if (f == "--kv-cache-memory") kvCacheMemory = r.requireValue();
  else if (f == "--num-kv-blocks") numKvBlocks = parseInt(r.requireValue(), f, 1, INT32_MAX - 1);
  else if (f == "--max-model-len") maxModelLen = parseInt(r.requireValue(), f, 1, INT32_MAX);
  else if (f == "--max-num-seqs") maxNumSeqs = parseInt(r.requireValue(), f, 1, 65536);
  else if (f == "--max-num-batched-tokens") maxNumBatchedTokens = parseInt(r.requireValue(), f, 1, INT32_MAX);
  else if (f == "--prefill-chunk") prefillChunk = parseInt(r.requireValue(), f, 1, INT32_MAX);
  else if (f == "--no-verify-weights") { r.requireNoValue(); verifyWeights = false; }
  else return false;
  return true;
}

EngineOptions EngineFlags::options() const {
  EngineOptions o;
  o.device = device;
  o.threads = threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  if (kvCacheMemory)
    o.kvCacheMemory = parseByteSize(*kvCacheMemory, "--kv-cache-memory");
  o.numKvBlocks = numKvBlocks;
  o.maxModelLen = maxModelLen;
  if (maxNumSeqs > 0)
    o.maxNumSeqs = maxNumSeqs;
  if (maxNumBatchedTokens > 0)
    o.maxNumBatchedTokens = maxNumBatchedTokens;
  else // keep the default valid for any --max-num-seqs
    o.maxNumBatchedTokens = std::max<int64_t>(o.maxNumBatchedTokens, o.maxNumSeqs + 64);
  o.forcedPrefillChunk = prefillChunk;
  return o;
}

ArtifactLoadOptions EngineFlags::artifactOptions() const {
  ArtifactLoadOptions o;
  o.verifyWeights = verifyWeights;
  o.cpuKernels = cpuKernels;
  return o;
}

void checkOutputPath(const std::string &path, const std::string &flag, const std::string &artifactDir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(fs::symlink_status(path, ec)))
    throw Error(flag + ": " + path + " already exists; axe-run does not overwrite files");
  fs::path out = fs::weakly_canonical(fs::absolute(path), ec);
  fs::path dir = fs::weakly_canonical(fs::absolute(artifactDir), ec);
  auto [d, o] = std::mismatch(dir.begin(), dir.end(), out.begin(), out.end());
  if (d == dir.end())
    throw Error(flag + ": " + path + " is inside the artifact " + artifactDir + "; write it elsewhere");
}

} // namespace axe::cli
