//===- GenerationConfig.h - the checkpoint's generation defaults -*- C++ -*-===//
//
// Hugging Face checkpoints may carry generation_config.json (axe-compile copies it into the
// artifact): extra end-of-sequence ids and, when `do_sample` is true, the sampling parameters the
// model was published with. As vLLM does by default, requests that do not set a parameter get
// these; without `do_sample` generation is greedy (Hugging Face's meaning).
//
//===----------------------------------------------------------------------===//
#ifndef AXE_RUNTIME_SERVE_GENERATIONCONFIG_H
#define AXE_RUNTIME_SERVE_GENERATIONCONFIG_H

#include "runtime/Sampler.h"

#include <cstdint>
#include <string>
#include <vector>

namespace axe {

struct GenerationConfig {
  bool present = false;
  std::vector<int64_t> eosTokenIds;
  SamplingParams defaults; // greedy unless do_sample
  // "temperature=0.7 top_p=0.8 ..." for a start-up line; empty when the defaults are greedy.
  std::string describe() const;
};

// Reads `dir`/generation_config.json; an absent file gives the empty config. A malformed file or
// a value of the wrong type or range is an axe::Error naming the file and the key.
GenerationConfig loadGenerationConfig(const std::string &dir);

} // namespace axe

#endif // AXE_RUNTIME_SERVE_GENERATIONCONFIG_H
