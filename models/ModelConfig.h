//===- ModelConfig.h - Qwen3.5-MoE config.json reader ---------*- C++ -*-===//
//
// Reads the text-model fields of a Hugging Face config.json (spec §1): the multimodal packaging
// `qwen3_5_moe` (fields under `text_config`) or the flat `qwen3_5_moe_text`. Absent fields take
// the transformers class defaults; present fields of the wrong type, unsupported variants and
// inconsistent sizes are errors that name the file and the field.
//
//===----------------------------------------------------------------------===//
#ifndef AXE_MODELS_MODELCONFIG_H
#define AXE_MODELS_MODELCONFIG_H

#include "support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace axe {

enum class LayerType { LinearAttention, FullAttention };

// How a checkpoint's weights are stored, from its `quantization_config` (spec §5).
enum class CheckpointQuant {
  None,              // plain BF16/F32 weights
  CompressedTensors, // FP8 per-channel `weight_scale`, dynamic per-token activations (§5.2)
  Fp8Block,          // FP8 with 128x128 `weight_scale_inv` blocks, 1x128 activation groups (§5.3)
};

struct ModelConfig {
  std::string modelType;   // as written in config.json
  std::string textPrefix;  // checkpoint name prefix of the text model ("model.language_model.")
  int64_t vocabSize = 248320;
  int64_t hiddenSize = 2048;
  int64_t numLayers = 40;
  std::vector<LayerType> layerTypes;
  int64_t numHeads = 16;
  int64_t numKvHeads = 2;
  int64_t headDim = 256;
  bool attnOutputGate = true;
  double ropeTheta = 10000.0;
  double partialRotaryFactor = 0.25;
  int64_t linearNumKeyHeads = 16;
  int64_t linearNumValueHeads = 32;
  int64_t linearKeyHeadDim = 128;
  int64_t linearValueHeadDim = 128;
  int64_t linearConvKernel = 4;
  int64_t numExperts = 256;
  int64_t numExpertsPerTok = 8;
  int64_t moeIntermediate = 512;
  int64_t sharedIntermediate = 512;
  bool normTopkProb = true;
  double rmsNormEps = 1e-6;
  bool tieWordEmbeddings = false;
  int64_t maxPositionEmbeddings = 32768;
  std::vector<int64_t> eosTokenIds;
  CheckpointQuant quant = CheckpointQuant::None;
  std::vector<int64_t> weightBlock; // [bn, bk] for Fp8Block

  int64_t rotaryDim() const { return static_cast<int64_t>(headDim * partialRotaryFactor); }
  int64_t linearKeyDim() const { return linearNumKeyHeads * linearKeyHeadDim; }
  int64_t linearValueDim() const { return linearNumValueHeads * linearValueHeadDim; }
  int64_t convDim() const { return 2 * linearKeyDim() + linearValueDim(); }
  int64_t numLayersOf(LayerType t) const;
};

// The model types this reader accepts, for messages.
const char *supportedModelTypes();

// A config.json is a few KB; this cap on reading one only stops a runaway read.
constexpr uint64_t kMaxConfigBytes = 16ull << 20;

// Parses and validates `path` (a config.json, a regular file). Throws axe::Error.
ModelConfig readModelConfig(const std::string &path);
// Same, from JSON text; `origin` names it in messages.
ModelConfig parseModelConfig(const std::string &json, const std::string &origin);

// Parameter counts of the text model by component (no MTP, no vision), from the config alone.
struct ParameterCounts {
  uint64_t embedding = 0, lmHead = 0, finalNorm = 0;
  uint64_t attention = 0;       // all full-attention layers (projections and q/k norms)
  uint64_t linearAttention = 0; // all Gated DeltaNet layers
  uint64_t routedExperts = 0, sharedExperts = 0, routers = 0, layerNorms = 0;
  uint64_t total() const;
  // Parameters a token computes with: all but the routed experts it is not sent to, and not the
  // embedding table (a row lookup, not a matmul).
  uint64_t activePerToken = 0;
};
ParameterCounts countParameters(const ModelConfig &config);

} // namespace axe

#endif // AXE_MODELS_MODELCONFIG_H
