//===- CommandLine.h - axe-run's shared flag parsing ----------*- C++ -*-===//
//
// Value parsers that turn bad text into one clear axe::Error naming the flag, and the flag groups
// that generation and `axe-run bench` share: sampling and engine settings.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_TOOLS_AXERUN_COMMANDLINE_H
#define AXE_TOOLS_AXERUN_COMMANDLINE_H

#include "runtime/Artifact.h"
#include "runtime/Sampler.h"
#include "runtime/serve/Engine.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace axe::cli {

[[noreturn]] void usageError(const std::string &what);
int64_t parseInt(const std::string &text, const std::string &flag, int64_t min, int64_t max);
uint64_t parseUnsigned(const std::string &text, const std::string &flag);
double parseDouble(const std::string &text, const std::string &flag);
// "1,2,3" -> {1, 2, 3}, each in [min, max].
std::vector<int64_t> parseIntList(const std::string &text, const std::string &flag, int64_t min, int64_t max);

// The model directory is the one argument that is not a flag: true when `arg` is it (stored in
// `model`); a second one is a usage error.
bool takeModel(const std::string &arg, std::string &model);
// A checkpoint directory (config.json or *.safetensors, no manifest.json) given where an artifact
// is expected: throws an error that says to run axe-compile first.
void checkNotCheckpoint(const std::string &dir);

// An output file must be new and outside the artifact `artifactDir`: overwriting the
// weights or the manifest by a mistyped path would destroy them. Throws naming `flag`.
void checkOutputPath(const std::string &path, const std::string &flag, const std::string &artifactDir);

// --profile-json: each kernel's and each program entry's (dispatch's) calls and seconds, summed
// over the steps the engine ran, as JSON (docs/runtime.md "Profiling"). `path` is checked like
// any output (new, outside the artifact) before the run, and written after it.
void writeProfileJson(const std::string &path, const Manifest &manifest, const Device &device);

// Splits "--flag=value" or "--flag value" (consuming argv[i + 1]); `boolean` flags take no value.
struct FlagReader {
  int argc;
  char **argv;
  int &i;
  std::string flag, value;
  bool inlineValue = false;
  FlagReader(int argc, char **argv, int &i);
  void requireNoValue() const;
  const std::string &requireValue();
};

// Sampling flags; unset ones keep the engine's defaults (generation_config.json).
struct SamplingFlags {
  std::optional<double> temperature, topP, minP, presencePenalty, frequencyPenalty, repetitionPenalty;
  std::optional<int64_t> topK;
  std::optional<uint64_t> seed;
  // True when `r.flag` is one of these (its value consumed).
  bool take(FlagReader &r);
  SamplingParams apply(SamplingParams defaults) const;
};

struct EngineFlags;
// Artifact::load with the flags' options; says on stderr when the weights are synthetic (made
// from a seed: the outputs mean nothing), so no one mistakes such a run for the model.
std::unique_ptr<Artifact> loadArtifact(const std::string &dir, const EngineFlags &flags);

struct EngineFlags {
  std::string device = "cpu"; // --device cpu|cuda
  std::string cpuKernels;     // --cpu-kernels x86-64-v3|x86-64-v4 (default: the best this CPU runs)
  unsigned threads = 0; // 0: all cores
  std::optional<std::string> kvCacheMemory;
  int64_t numKvBlocks = 0;
  int64_t maxModelLen = 0;
  int64_t maxNumSeqs = 0;          // 0: the engine's default
  int64_t maxNumBatchedTokens = 0; // 0: the engine's default
  int64_t prefillChunk = 0;
  bool verifyWeights = true; // --no-verify-weights
  bool take(FlagReader &r);
  EngineOptions options() const;
  ArtifactLoadOptions artifactOptions() const;
};

} // namespace axe::cli

#endif // AXE_TOOLS_AXERUN_COMMANDLINE_H
