//===- ModelConfig.cpp - Qwen3.5-MoE config.json reader -------------------===//

#include "models/ModelConfig.h"

#include "support/JsonObject.h"
#include "support/RegularFile.h"

#include <nlohmann/json.hpp>

#include <limits>

namespace axe {

namespace {

using json = nlohmann::json;

// Upper bounds of the size fields. Each is far above the real 35B config and the largest known
// Qwen models (Qwen3-235B: hidden 4096, 94 layers, 64 heads, 128 experts, 1536 wide; Qwen3.5
// 397B: 512 experts, vocab 248320; Qwen3 contexts up to ~1M) and the largest dense ones (hidden
// 16384, 126 layers, 53248 wide), yet small enough that every product the importer, the parameter
// counts and the runtime form (elements, bytes) fits in 63 bits with room to spare.
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxHidden = 1 << 16;
constexpr int64_t kMaxHeads = 1024;
constexpr int64_t kMaxHeadDim = 2048;
constexpr int64_t kMaxIntermediate = 1 << 18;
constexpr int64_t kMaxExperts = 4096;
constexpr int64_t kMaxVocab = 1 << 22;        // token ids stay far inside the kernels' int32
constexpr int64_t kMaxPositions = 1 << 24;    // positions are int32 in the step's signature
constexpr int64_t kMaxConvKernel = 64;

// a * b, or an error naming `what` when it does not fit in 64 bits.
uint64_t mulChecked(uint64_t a, uint64_t b, const char *what) {
  uint64_t out;
  if (__builtin_mul_overflow(a, b, &out))
    throw Error(std::string("the config's ") + what + " overflows 64 bits");
  return out;
}

uint64_t addChecked(uint64_t a, uint64_t b, const char *what) {
  uint64_t out;
  if (__builtin_add_overflow(a, b, &out))
    throw Error(std::string("the config's ") + what + " overflows 64 bits");
  return out;
}

// Reads typed fields of one JSON object, naming the file and the field in every error.
class FieldReader {
public:
  FieldReader(const json &object, std::string origin, std::string scope)
      : object_(object), origin_(std::move(origin)), scope_(std::move(scope)) {}

  [[noreturn]] void fail(const std::string &field, const std::string &what) const {
    throw Error(origin_ + ": field '" + scope_ + field + "' " + what);
  }

  const json *find(const std::string &field) const {
    auto it = object_.find(field);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }

  // A positive integer up to `max` (axe's bound; see the constants above).
  void positive(const std::string &field, int64_t &out, int64_t max) const {
    if (const json *v = find(field)) {
      if (!v->is_number_integer() || (v->is_number_unsigned() ? v->get<uint64_t>() == 0
                                                              : v->get<int64_t>() <= 0))
        fail(field, "must be a positive integer, got " + v->dump());
      if (v->is_number_unsigned() ? v->get<uint64_t>() > static_cast<uint64_t>(max)
                                  : v->get<int64_t>() > max)
        fail(field, "is " + v->dump() + ", above axe's bound of " + std::to_string(max) +
                        " (far beyond any known Qwen model: is the config damaged?)");
      out = v->get<int64_t>();
    }
  }

  // A token id (or a list of them) inside [0, vocab): null and absent fields add nothing.
  void tokenIds(const std::string &field, int64_t vocab, std::vector<int64_t> &out) const {
    const json *v = find(field);
    if (!v)
      return;
    std::vector<const json *> ids;
    if (v->is_array())
      for (const json &e : *v)
        ids.push_back(&e);
    else
      ids.push_back(v);
    for (const json *id : ids) {
      if (!id->is_number_integer())
        fail(field, "must be a token id or a list of them, got " + v->dump());
      if (id->is_number_unsigned() ? id->get<uint64_t>() >= static_cast<uint64_t>(vocab)
                                   : (id->get<int64_t>() < 0 || id->get<int64_t>() >= vocab))
        fail(field, "has " + id->dump() + ", which is not a token id in [0, vocab_size " +
                        std::to_string(vocab) + ")");
      out.push_back(id->get<int64_t>());
    }
  }

  void number(const std::string &field, double &out) const {
    if (const json *v = find(field)) {
      if (!v->is_number())
        fail(field, "must be a number, got " + v->dump());
      out = v->get<double>();
    }
  }

  void boolean(const std::string &field, bool &out) const {
    if (const json *v = find(field)) {
      if (!v->is_boolean())
        fail(field, "must be true or false, got " + v->dump());
      out = v->get<bool>();
    }
  }

  std::string string(const std::string &field, const std::string &fallback) const {
    const json *v = find(field);
    if (!v)
      return fallback;
    if (!v->is_string())
      fail(field, "must be a string, got " + v->dump());
    return v->get<std::string>();
  }

private:
  const json &object_;
  std::string origin_, scope_;
};

void readTextFields(const json &text, const std::string &origin, const std::string &scope,
                    ModelConfig &c) {
  FieldReader r(text, origin, scope);
  r.positive("vocab_size", c.vocabSize, kMaxVocab);
  r.positive("hidden_size", c.hiddenSize, kMaxHidden);
  r.positive("num_hidden_layers", c.numLayers, kMaxLayers);
  r.positive("num_attention_heads", c.numHeads, kMaxHeads);
  r.positive("num_key_value_heads", c.numKvHeads, kMaxHeads);
  r.positive("head_dim", c.headDim, kMaxHeadDim);
  r.positive("linear_num_key_heads", c.linearNumKeyHeads, kMaxHeads);
  r.positive("linear_num_value_heads", c.linearNumValueHeads, kMaxHeads);
  r.positive("linear_key_head_dim", c.linearKeyHeadDim, kMaxHeadDim);
  r.positive("linear_value_head_dim", c.linearValueHeadDim, kMaxHeadDim);
  r.positive("linear_conv_kernel_dim", c.linearConvKernel, kMaxConvKernel);
  r.positive("num_experts", c.numExperts, kMaxExperts);
  r.positive("num_experts_per_tok", c.numExpertsPerTok, kMaxExperts);
  r.positive("moe_intermediate_size", c.moeIntermediate, kMaxIntermediate);
  r.positive("shared_expert_intermediate_size", c.sharedIntermediate, kMaxIntermediate);
  r.positive("max_position_embeddings", c.maxPositionEmbeddings, kMaxPositions);
  r.number("rms_norm_eps", c.rmsNormEps);
  r.boolean("tie_word_embeddings", c.tieWordEmbeddings);
  r.boolean("attn_output_gate", c.attnOutputGate);
  r.boolean("norm_topk_prob", c.normTopkProb);

  // RoPE: `rope_parameters` (transformers 5) or the older top-level fields.
  r.number("rope_theta", c.ropeTheta);
  r.number("partial_rotary_factor", c.partialRotaryFactor);
  if (const json *rope = r.find("rope_parameters")) {
    if (!rope->is_object())
      r.fail("rope_parameters", "must be an object");
    FieldReader rr(*rope, origin, scope + "rope_parameters.");
    rr.number("rope_theta", c.ropeTheta);
    rr.number("partial_rotary_factor", c.partialRotaryFactor);
    std::string type = rr.string("rope_type", "default");
    if (type != "default")
      rr.fail("rope_type", "is '" + type + "'; only 'default' RoPE is supported (no scaling)");
  }

  if (r.string("hidden_act", "silu") != "silu")
    r.fail("hidden_act", "must be 'silu' (the only activation of this family)");
  bool bias = false;
  r.boolean("attention_bias", bias);
  if (bias)
    r.fail("attention_bias", "is true; Qwen3.5-MoE has no biases and axe supports none");
  if (const json *v = r.find("mlp_only_layers"))
    if (!v->is_array() || !v->empty())
      r.fail("mlp_only_layers", "must be empty: every Qwen3.5-MoE layer is sparse");
  if (const json *v = r.find("decoder_sparse_step"))
    if (!v->is_number_integer() || v->get<int64_t>() != 1)
      r.fail("decoder_sparse_step", "must be 1: every Qwen3.5-MoE layer is sparse");

  int64_t interval = 4;
  r.positive("full_attention_interval", interval, kMaxLayers);
  if (const json *types = r.find("layer_types")) {
    if (!types->is_array())
      r.fail("layer_types", "must be a list of 'linear_attention' / 'full_attention'");
    for (const json &t : *types) {
      if (t == "linear_attention")
        c.layerTypes.push_back(LayerType::LinearAttention);
      else if (t == "full_attention")
        c.layerTypes.push_back(LayerType::FullAttention);
      else
        r.fail("layer_types", "has unknown entry " + t.dump() +
                                  " (expected 'linear_attention' or 'full_attention')");
    }
    if (static_cast<int64_t>(c.layerTypes.size()) != c.numLayers)
      r.fail("layer_types", "lists " + std::to_string(c.layerTypes.size()) + " layers but num_hidden_layers is " +
                                std::to_string(c.numLayers));
  } else {
    for (int64_t i = 0; i < c.numLayers; ++i)
      c.layerTypes.push_back((i + 1) % interval == 0 ? LayerType::FullAttention
                                                      : LayerType::LinearAttention);
  }

  r.tokenIds("eos_token_id", c.vocabSize, c.eosTokenIds);
  std::vector<int64_t> unused; // checked, so that a damaged id fails here and not at run time
  r.tokenIds("bos_token_id", c.vocabSize, unused);
  r.tokenIds("pad_token_id", c.vocabSize, unused);
}

void readQuantization(const json &top, const std::string &origin, ModelConfig &c) {
  auto it = top.find("quantization_config");
  if (it == top.end() || it->is_null())
    return;
  if (!it->is_object())
    throw Error(origin + ": field 'quantization_config' must be an object");
  FieldReader q(*it, origin, "quantization_config.");
  std::string method = q.string("quant_method", "");
  if (method == "compressed-tensors") {
    c.quant = CheckpointQuant::CompressedTensors;
  } else if (method == "fp8") {
    c.quant = CheckpointQuant::Fp8Block;
    c.weightBlock = {128, 128};
    if (const json *b = q.find("weight_block_size")) {
      if (!b->is_array() || b->size() != 2 || !(*b)[0].is_number_integer() ||
          !(*b)[1].is_number_integer() || (*b)[0].get<int64_t>() <= 0 ||
          (*b)[1].get<int64_t>() <= 0)
        q.fail("weight_block_size", "must be two positive integers");
      c.weightBlock = {(*b)[0].get<int64_t>(), (*b)[1].get<int64_t>()};
    }
    std::string scheme = q.string("activation_scheme", "dynamic");
    if (scheme != "dynamic")
      q.fail("activation_scheme", "is '" + scheme + "'; only dynamic activation scales are supported");
  } else {
    q.fail("quant_method", "is '" + method +
                               "'; supported: 'compressed-tensors' (FP8 per channel) and 'fp8' "
                               "(FP8 128x128 blocks)");
  }
}

void validate(const ModelConfig &c, const std::string &origin) {
  auto fail = [&](const std::string &what) { throw Error(origin + ": " + what); };
  if (c.numHeads % c.numKvHeads != 0)
    fail("num_attention_heads (" + std::to_string(c.numHeads) +
         ") must be a multiple of num_key_value_heads (" + std::to_string(c.numKvHeads) + ")");
  if (c.linearNumValueHeads % c.linearNumKeyHeads != 0)
    fail("linear_num_value_heads must be a multiple of linear_num_key_heads");
  // The factor is checked before rotaryDim() converts the product to an integer: a factor of
  // 1e90 would overflow that conversion (undefined behaviour; the fuzzer found it).
  bool factorInRange = c.partialRotaryFactor > 0 && c.partialRotaryFactor <= 1;
  if (!factorInRange || c.rotaryDim() <= 0 || c.rotaryDim() % 2 != 0)
    fail("partial_rotary_factor " + std::to_string(c.partialRotaryFactor) + " x head_dim " +
         std::to_string(c.headDim) + " must give an even rotary dimension in (0, head_dim]");
  if (c.numExpertsPerTok > c.numExperts)
    fail("num_experts_per_tok (" + std::to_string(c.numExpertsPerTok) + ") exceeds num_experts (" +
         std::to_string(c.numExperts) + ")");
  if (!(c.rmsNormEps > 0))
    fail("rms_norm_eps must be positive");
  if (!(c.ropeTheta > 0))
    fail("rope_theta must be positive");
  if (!c.attnOutputGate)
    fail("attn_output_gate is false; axe implements the gated attention of Qwen3.5 only");
  try {
    countParameters(c); // every size product, overflow-checked
  } catch (const Error &e) {
    fail(e.what());
  }
}

} // namespace

const char *supportedModelTypes() { return "qwen3_5_moe, qwen3_5_moe_text"; }

int64_t ModelConfig::numLayersOf(LayerType t) const {
  int64_t n = 0;
  for (LayerType l : layerTypes)
    n += l == t;
  return n;
}

ModelConfig parseModelConfig(const std::string &text, const std::string &origin) {
  json top = parseJsonObject(text, origin, "a config");
  ModelConfig c;
  FieldReader r(top, origin, "");
  c.modelType = r.string("model_type", "");
  if (c.modelType == "qwen3_5_moe") {
    // Multimodal packaging: text fields under text_config, weights under model.language_model.
    c.textPrefix = "model.language_model.";
    const json *text = r.find("text_config");
    if (text && !text->is_object())
      r.fail("text_config", "must be an object");
    static const json empty = json::object();
    readTextFields(text ? *text : empty, origin, "text_config.", c);
  } else if (c.modelType == "qwen3_5_moe_text") {
    c.textPrefix = "model.";
    readTextFields(top, origin, "", c);
  } else {
    throw Error(origin + ": unsupported model_type '" + c.modelType + "' (supported: " +
                supportedModelTypes() + ")");
  }
  readQuantization(top, origin, c);
  validate(c, origin);
  return c;
}

ModelConfig readModelConfig(const std::string &path) {
  return parseModelConfig(readRegularFile(path, kMaxConfigBytes, "a model config"), path);
}

uint64_t ParameterCounts::total() const {
  uint64_t n = 0;
  for (uint64_t part : {embedding, lmHead, finalNorm, attention, linearAttention, routedExperts,
                        sharedExperts, routers, layerNorms})
    n = addChecked(n, part, "parameter count");
  return n;
}

ParameterCounts countParameters(const ModelConfig &c) {
  // Checked: the config's bounds keep these far from 2^64, but the counts must never wrap.
  using u = uint64_t;
  auto mul = [](std::initializer_list<u> factors) {
    u n = 1;
    for (u f : factors)
      n = mulChecked(n, f, "parameter count");
    return n;
  };
  auto add = [](std::initializer_list<u> terms) {
    u n = 0;
    for (u t : terms)
      n = addChecked(n, t, "parameter count");
    return n;
  };
  const u h = c.hiddenSize;
  ParameterCounts p;
  p.embedding = mul({u(c.vocabSize), h});
  p.lmHead = c.tieWordEmbeddings ? 0 : p.embedding;
  p.finalNorm = h;

  const u headsWidth = mul({u(c.numHeads), u(c.headDim)});
  const u qWidth = mul({headsWidth, u(c.attnOutputGate ? 2 : 1)});
  const u kvWidth = mul({u(c.numKvHeads), u(c.headDim)});
  const u attentionLayer = add({mul({qWidth, h}), mul({2, kvWidth, h}), mul({headsWidth, h}),
                                mul({2, u(c.headDim)})});
  const u valueHeads = c.linearNumValueHeads;
  const u keyDim = mul({u(c.linearNumKeyHeads), u(c.linearKeyHeadDim)});
  const u valueDim = mul({valueHeads, u(c.linearValueHeadDim)});
  const u convDim = add({mul({2, keyDim}), valueDim});
  const u gdnLayer = add({mul({convDim, h}), mul({valueDim, h}), mul({2, valueHeads, h}),
                          mul({convDim, u(c.linearConvKernel)}), mul({2, valueHeads}),
                          u(c.linearValueHeadDim), mul({valueDim, h})});
  const u expert = mul({3, u(c.moeIntermediate), h});
  const u layers = c.numLayers;
  p.attention = mul({attentionLayer, u(c.numLayersOf(LayerType::FullAttention))});
  p.linearAttention = mul({gdnLayer, u(c.numLayersOf(LayerType::LinearAttention))});
  p.routedExperts = mul({layers, u(c.numExperts), expert});
  p.sharedExperts = mul({layers, 3, u(c.sharedIntermediate), h});
  p.routers = mul({layers, add({mul({u(c.numExperts), h}), h})}); // mlp.gate, shared_expert_gate
  p.layerNorms = mul({layers, 2, h});
  // total() >= the routed experts a token is not sent to (num_experts_per_tok <= num_experts).
  p.activePerToken = p.total() - p.embedding -
                     mul({layers, u(c.numExperts - c.numExpertsPerTok), expert});
  return p;
}

} // namespace axe
