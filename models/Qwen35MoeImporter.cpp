//===- Qwen35MoeImporter.cpp - checkpoint → axe IR ------------------------===//

#include "models/Qwen35MoeImporter.h"

#include "dialects/axe/AxeOps.h"
#include "support/Shape.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

#include <set>
#include <sstream>

namespace axe {

namespace {

using namespace mlir;
namespace ir = mlir::axe;
using ir::Role;

// How one linear layer's weight is stored in the checkpoint.
struct LinearWeight {
  Value weight;
  Value scale;                     // FP8 only
  SmallVector<int64_t, 2> block;   // [bn, bk] for block scales; empty for per-channel
};

// The function arguments of the step's caches and states, in the order they are threaded.
struct StepState {
  SmallVector<Value> values;
  SmallVector<std::string> names;
};

class StepBuilder {
public:
  StepBuilder(MLIRContext &ctx, const ModelConfig &config, const Checkpoint *ckpt,
              const ImportOptions &options)
      : ctx(ctx), c(config), ckpt(ckpt), options(options), b(&ctx), loc(UnknownLoc::get(&ctx)) {
    bf16 = b.getBF16Type();
    f32 = b.getF32Type();
    i32 = b.getI32Type();
    prefix = c.textPrefix;
    // A flat config may come with the multimodal names and the other way round: trust the file.
    if (ckpt) {
      if (ckpt->has("model.language_model.embed_tokens.weight"))
        prefix = "model.language_model.";
      else if (ckpt->has("model.embed_tokens.weight"))
        prefix = "model.";
    }
  }

  OwningOpRef<ModuleOp> build();

private:
  static constexpr int64_t kDyn = ShapedType::kDynamic;

  RankedTensorType tensor(ArrayRef<int64_t> shape, Type elem) {
    return RankedTensorType::get(shape, elem);
  }

  std::string layerName(int64_t layer, const std::string &rest) {
    return prefix + "layers." + std::to_string(layer) + "." + rest;
  }

  Type elementTypeOf(DType d, const std::string &name) {
    switch (d) {
    case DType::BF16: return bf16;
    case DType::F16: return b.getF16Type();
    case DType::F32:
    case DType::F64: return f32; // f64 is converted by the artifact writer
    case DType::F8_E4M3: return b.getType<Float8E4M3FNType>();
    case DType::I32: return i32;
    case DType::I64: return b.getI64Type();
    default:
      throw Error(ckpt->dir() + ": tensor '" + name + "' has dtype " + dtypeName(d) +
                  ", which is not a weight type");
    }
  }

  // The checkpoint's info for `name`, checked against the shape the config implies.
  const TensorInfo *lookup(const std::string &name, ArrayRef<int64_t> shape) {
    if (!ckpt)
      return nullptr;
    TensorView view = ckpt->get(name);
    if (ArrayRef<int64_t>(view.info->shape) != shape)
      throw Error(*view.file + ": tensor '" + name + "' has shape " +
                  shapeString(view.info->shape) + " but the config implies " + shapeString(shape));
    return view.info;
  }

  // A weight param; its element type is the checkpoint's (bf16 without one).
  Value param(const std::string &name, ArrayRef<int64_t> shape) {
    const TensorInfo *info = lookup(name, shape);
    Type elem = info ? elementTypeOf(info->dtype, name) : bf16;
    return ir::ParamOp::create(b, loc, tensor(shape, elem), name).getResult();
  }

  // A param assembled from checkpoint `parts` (row-major concatenation), all of `partShape`.
  Value stackedParam(const std::string &name, ArrayRef<std::string> parts,
                     ArrayRef<int64_t> partShape, ArrayRef<int64_t> shape, Type forcedElem = {}) {
    Type elem = forcedElem ? forcedElem : bf16;
    for (const std::string &part : parts) {
      const TensorInfo *info = lookup(part, partShape);
      if (info && !forcedElem) {
        Type t = elementTypeOf(info->dtype, part);
        if (part != parts.front() && t != elem)
          throw Error(ckpt->dir() + ": tensor '" + part + "' has dtype " +
                      dtypeName(info->dtype) + ", unlike the other parts of '" + name + "'");
        elem = t;
      }
    }
    SmallVector<Attribute> names;
    for (const std::string &part : parts)
      names.push_back(b.getStringAttr(part));
    return ir::ParamOp::create(b, loc, tensor(shape, elem), b.getStringAttr(name),
                               b.getArrayAttr(names), ir::EncodingAttr())
        .getResult();
  }

  // Block-scale grid of an [n, k] weight.
  SmallVector<int64_t, 2> blockGrid(int64_t n, int64_t k) {
    return {llvm::divideCeil(n, c.weightBlock[0]), llvm::divideCeil(k, c.weightBlock[1])};
  }

  // Resolves `module`.weight (+ its FP8 scale when the checkpoint is pre-quantized).
  LinearWeight linearWeight(const std::string &module, int64_t n, int64_t k) {
    LinearWeight w;
    std::string weightName = module + ".weight";
    w.weight = param(weightName, {n, k});
    if (!isa<Float8E4M3FNType>(cast<RankedTensorType>(w.weight.getType()).getElementType()))
      return w;
    if (ckpt->has(module + ".weight_scale")) { // compressed-tensors, per output channel
      TensorView s = ckpt->get(module + ".weight_scale");
      if (s.info->numElements() != static_cast<uint64_t>(n))
        throw Error(*s.file + ": tensor '" + module + ".weight_scale' has shape " +
                    shapeString(s.info->shape) + " but an FP8 weight of " + std::to_string(n) +
                    " rows needs [" + std::to_string(n) + ", 1]");
      w.scale = ir::ParamOp::create(b, loc, tensor({n}, f32), module + ".weight_scale")
                    .getResult();
    } else if (ckpt->has(module + ".weight_scale_inv")) { // "fp8" 2-D blocks
      if (c.weightBlock.empty())
        throw Error(ckpt->dir() + ": tensor '" + module +
                    ".weight_scale_inv' found but config.json has no fp8 quantization_config "
                    "with weight_block_size");
      SmallVector<int64_t, 2> grid = blockGrid(n, k);
      lookup(module + ".weight_scale_inv", grid);
      w.scale = ir::ParamOp::create(b, loc, tensor(grid, f32), module + ".weight_scale_inv")
                    .getResult();
      w.block.assign(c.weightBlock.begin(), c.weightBlock.end());
    } else {
      throw Error(ckpt->dir() + ": FP8 tensor '" + weightName + "' has neither '" + module +
                  ".weight_scale' nor '" + module + ".weight_scale_inv'");
    }
    return w;
  }

  Value linear(Value x, const std::string &module, int64_t n, int64_t k, Role role,
               Type resultElem = {}) {
    LinearWeight w = linearWeight(module, n, k);
    Type resultType = tensor({kDyn, n}, resultElem ? resultElem : bf16);
    auto roleAttr = ir::RoleAttr::get(&ctx, role);
    if (!w.scale)
      return ir::LinearOp::create(b, loc, resultType, x, w.weight, roleAttr).getResult();
    auto op = ir::Fp8LinearOp::create(b, loc, resultType, x, /*input_scale=*/Value(), w.weight,
                                       w.scale, roleAttr, DenseI64ArrayAttr());
    if (!w.block.empty())
      op.setWeightBlockAttr(b.getDenseI64ArrayAttr(w.block));
    return op.getResult();
  }

  Value rmsNorm(Value x, const std::string &weightName, int64_t dim, bool zeroCentered) {
    Value w = param(weightName, {dim});
    auto op = ir::RmsNormOp::create(b, loc, x.getType(), x, w,
                                     b.getF32FloatAttr(static_cast<float>(c.rmsNormEps)),
                                     zeroCentered ? b.getUnitAttr() : UnitAttr());
    return op.getResult();
  }

  // [T, a*b] -> [T, a, b]
  Value splitHeads(Value x, int64_t heads, int64_t dim) {
    SmallVector<ReassociationIndices> reassoc{{0}, {1, 2}};
    SmallVector<OpFoldResult> shape{tokens, b.getIndexAttr(heads), b.getIndexAttr(dim)};
    Type elem = cast<RankedTensorType>(x.getType()).getElementType();
    return tensor::ExpandShapeOp::create(b, loc, tensor({kDyn, heads, dim}, elem), x, reassoc,
                                         shape)
        .getResult();
  }

  // [T, a, b] -> [T, a*b]
  Value mergeHeads(Value x) {
    auto t = cast<RankedTensorType>(x.getType());
    SmallVector<ReassociationIndices> reassoc{{0}, {1, 2}};
    return tensor::CollapseShapeOp::create(
               b, loc, tensor({kDyn, t.getDimSize(1) * t.getDimSize(2)}, t.getElementType()), x,
               reassoc)
        .getResult();
  }

  // x[:, ..., offset : offset + size] along the last dimension.
  Value sliceLast(Value x, int64_t offset, int64_t size) {
    auto t = cast<RankedTensorType>(x.getType());
    SmallVector<OpFoldResult> offsets, sizes, strides;
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < t.getRank(); ++d) {
      bool last = d == t.getRank() - 1;
      offsets.push_back(b.getIndexAttr(last ? offset : 0));
      sizes.push_back(d == 0 ? OpFoldResult(tokens) : b.getIndexAttr(last ? size : t.getDimSize(d)));
      strides.push_back(b.getIndexAttr(1));
      shape.push_back(d == 0 ? kDyn : last ? size : t.getDimSize(d));
    }
    return tensor::ExtractSliceOp::create(b, loc, tensor(shape, t.getElementType()), x, offsets,
                                          sizes, strides)
        .getResult();
  }

  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y).getResult(); }

  Value linearAttention(int64_t layer, Value a);
  Value fullAttention(int64_t layer, Value a);
  Value sparseMoe(int64_t layer, Value x);
  Value routedExperts(int64_t layer, Value x, Value ids, Value weights);

  MLIRContext &ctx;
  const ModelConfig &c;
  const Checkpoint *ckpt;
  const ImportOptions &options;
  OpBuilder b;
  Location loc;
  Type bf16, f32, i32;
  std::string prefix;

  // Arguments of the step function used by every layer.
  Value positions, seqIds, blockTable, stateSlots;
  Value tokens; // index value of T
  // Per layer: its cache/state arguments in, and the updated values out.
  DenseMap<int64_t, SmallVector<Value, 2>> stateIn;
  SmallVector<Value> stateOut;
};

Value StepBuilder::linearAttention(int64_t layer, Value a) {
  const int64_t h = c.hiddenSize, keyHeads = c.linearNumKeyHeads,
                valueHeads = c.linearNumValueHeads, dk = c.linearKeyHeadDim,
                dv = c.linearValueHeadDim, keyDim = c.linearKeyDim(), valueDim = c.linearValueDim(),
                convDim = c.convDim();
  auto name = [&](const std::string &rest) { return layerName(layer, "linear_attn." + rest); };

  Value qkv = linear(a, name("in_proj_qkv"), convDim, h, Role::linear_attn_qkv);
  Value z = linear(a, name("in_proj_z"), valueDim, h, Role::linear_attn_z);
  Value beta = linear(a, name("in_proj_b"), valueHeads, h, Role::linear_attn_b);
  Value alpha = linear(a, name("in_proj_a"), valueHeads, h, Role::linear_attn_a);

  Value convWeight = param(name("conv1d.weight"), {convDim, 1, c.linearConvKernel});
  Value convState = stateIn[layer][0], recState = stateIn[layer][1];
  auto conv = ir::CausalConv1dOp::create(b, loc, qkv.getType(), convState.getType(), qkv,
                                          convWeight, convState, seqIds, stateSlots);
  Value y = conv.getResult();

  // The conv runs on q|k|v together (spec §3.6 step 2); split after it.
  Value q = splitHeads(sliceLast(y, 0, keyDim), keyHeads, dk);
  Value k = splitHeads(sliceLast(y, keyDim, keyDim), keyHeads, dk);
  Value v = splitHeads(sliceLast(y, 2 * keyDim, valueDim), valueHeads, dv);
  Value aLog = param(name("A_log"), {valueHeads});
  Value dtBias = param(name("dt_bias"), {valueHeads});
  auto gdn = ir::GatedDeltaRuleOp::create(b, loc, tensor({kDyn, valueHeads, dv}, f32),
                                           recState.getType(), q, k, v, alpha, beta, aLog, dtBias,
                                           recState, seqIds, stateSlots, FloatAttr());
  stateOut.push_back(conv.getNewState());
  stateOut.push_back(gdn.getNewState());

  Value normWeight = param(name("norm.weight"), {dv});
  Value gate = splitHeads(z, valueHeads, dv);
  Value o = ir::GatedRmsNormOp::create(b, loc, tensor({kDyn, valueHeads, dv}, bf16),
                                        gdn.getResult(), gate, normWeight,
                                        b.getF32FloatAttr(static_cast<float>(c.rmsNormEps)))
                .getResult();
  return linear(mergeHeads(o), name("out_proj"), h, valueDim, Role::linear_attn_out);
}

Value StepBuilder::fullAttention(int64_t layer, Value a) {
  const int64_t h = c.hiddenSize, heads = c.numHeads, kvHeads = c.numKvHeads, d = c.headDim;
  auto name = [&](const std::string &rest) { return layerName(layer, "self_attn." + rest); };

  Value qg = linear(a, name("q_proj"), 2 * heads * d, h, Role::attn_q);
  Value k = linear(a, name("k_proj"), kvHeads * d, h, Role::attn_k);
  Value v = linear(a, name("v_proj"), kvHeads * d, h, Role::attn_v);

  // Per head: d query channels, then d gate channels (spec §3.5), not a half split.
  Value qg3 = splitHeads(qg, heads, 2 * d);
  Value q = sliceLast(qg3, 0, d);
  Value gate = sliceLast(qg3, d, d);
  Value k3 = splitHeads(k, kvHeads, d);
  Value v3 = splitHeads(v, kvHeads, d);

  q = rmsNorm(q, name("q_norm.weight"), d, /*zeroCentered=*/true);
  k3 = rmsNorm(k3, name("k_norm.weight"), d, /*zeroCentered=*/true);
  auto rope = [&](Value x) {
    return ir::RopeOp::create(b, loc, x.getType(), x, positions,
                               b.getI64IntegerAttr(c.rotaryDim()), b.getF64FloatAttr(c.ropeTheta))
        .getResult();
  };
  q = rope(q);
  k3 = rope(k3);

  Value kCache = stateIn[layer][0], vCache = stateIn[layer][1];
  auto attn = ir::GatedAttentionOp::create(
      b, loc, tensor({kDyn, heads * d}, bf16), kCache.getType(), vCache.getType(), q, k3, v3,
      gate, kCache, vCache, positions, seqIds, blockTable, FloatAttr());
  stateOut.push_back(attn.getNewKCache());
  stateOut.push_back(attn.getNewVCache());
  return linear(attn.getResult(), name("o_proj"), h, heads * d, Role::attn_o);
}

Value StepBuilder::routedExperts(int64_t layer, Value x, Value ids, Value weights) {
  const int64_t e = c.numExperts, inter = c.moeIntermediate, h = c.hiddenSize;
  std::string base = layerName(layer, "mlp.experts.");
  Value gateUp, down, gateUpScale, downScale;
  SmallVector<int64_t, 2> block;
  if (!ckpt || ckpt->has(base + "gate_up_proj")) {
    // Fused 3-D tensors of the BF16 release (spec §2.1): gate rows first, then up.
    gateUp = param(base + "gate_up_proj", {e, 2 * inter, h});
    down = param(base + "down_proj", {e, h, inter});
    if (isa<Float8E4M3FNType>(cast<RankedTensorType>(gateUp.getType()).getElementType()))
      throw Error(ckpt->dir() + ": fused FP8 expert tensor '" + base +
                  "gate_up_proj' is not a known checkpoint format (FP8 experts are per-expert)");
  } else {
    // Per-expert names (llm-compressor and Qwen FP8 releases): interleave gate_e, up_e per
    // expert so that the concatenation is exactly the fused [E, 2I, H] layout.
    std::vector<std::string> gu, dn;
    for (int64_t i = 0; i < e; ++i) {
      std::string p = base + std::to_string(i) + ".";
      gu.push_back(p + "gate_proj.weight");
      gu.push_back(p + "up_proj.weight");
      dn.push_back(p + "down_proj.weight");
    }
    gateUp = stackedParam(base + "gate_up_proj", gu, {inter, h}, {e, 2 * inter, h});
    down = stackedParam(base + "down_proj", dn, {h, inter}, {e, h, inter});
    if (isa<Float8E4M3FNType>(cast<RankedTensorType>(gateUp.getType()).getElementType())) {
      auto scaleNames = [](std::vector<std::string> names, const std::string &suffix) {
        for (std::string &n : names)
          n.replace(n.size() - std::string(".weight").size(), std::string::npos, suffix);
        return names;
      };
      if (ckpt->has(base + "0.gate_proj.weight_scale")) {
        gateUpScale = stackedParam(base + "gate_up_proj_scale", scaleNames(gu, ".weight_scale"),
                                   {inter, 1}, {e, 2 * inter}, f32);
        downScale = stackedParam(base + "down_proj_scale", scaleNames(dn, ".weight_scale"),
                                 {h, 1}, {e, h}, f32);
      } else {
        if (c.weightBlock.empty())
          throw Error(ckpt->dir() + ": FP8 experts of layer " + std::to_string(layer) +
                      " have no per-channel weight_scale and config.json no fp8 block config");
        SmallVector<int64_t, 2> guGrid = blockGrid(inter, h), dnGrid = blockGrid(h, inter);
        gateUpScale = stackedParam(base + "gate_up_proj_scale_inv",
                                   scaleNames(gu, ".weight_scale_inv"), guGrid,
                                   {e, 2 * guGrid[0], guGrid[1]}, f32);
        downScale = stackedParam(base + "down_proj_scale_inv", scaleNames(dn, ".weight_scale_inv"),
                                 dnGrid, {e, dnGrid[0], dnGrid[1]}, f32);
        block.assign(c.weightBlock.begin(), c.weightBlock.end());
      }
    }
  }
  auto op = ir::MoeExpertsOp::create(b, loc, x.getType(), x, ids, weights, gateUp, gateUpScale,
                                      down, downScale, DenseI64ArrayAttr());
  if (!block.empty())
    op.setWeightBlockAttr(b.getDenseI64ArrayAttr(block));
  return op.getResult();
}

Value StepBuilder::sparseMoe(int64_t layer, Value x) {
  const int64_t h = c.hiddenSize, e = c.numExperts, k = c.numExpertsPerTok,
                si = c.sharedIntermediate;
  auto name = [&](const std::string &rest) { return layerName(layer, "mlp." + rest); };

  Value logits = linear(x, name("gate"), e, h, Role::router, f32);
  auto route = ir::MoeRouteOp::create(b, loc, tensor({kDyn, k}, i32), tensor({kDyn, k}, f32),
                                       logits, b.getI64IntegerAttr(k),
                                       c.normTopkProb ? b.getUnitAttr() : UnitAttr());
  Value routed = routedExperts(layer, x, route.getExpertIds(), route.getExpertWeights());

  Value sg = linear(x, name("shared_expert.gate_proj"), si, h, Role::shared_gate);
  Value su = linear(x, name("shared_expert.up_proj"), si, h, Role::shared_up);
  Value sh = ir::SiluMulOp::create(b, loc, sg.getType(), sg, su).getResult();
  Value sd = linear(sh, name("shared_expert.down_proj"), h, si, Role::shared_down);
  Value segLogit = linear(x, name("shared_expert_gate"), 1, h, Role::shared_expert_gate);
  Value shared = ir::SigmoidGateOp::create(b, loc, sd.getType(), sd, segLogit).getResult();
  return add(routed, shared);
}

OwningOpRef<ModuleOp> StepBuilder::build() {
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  module->getOperation()->setAttr("axe.model_type", b.getStringAttr(c.modelType));
  module->getOperation()->setAttr(
      "axe.model",
      b.getDictionaryAttr({
          b.getNamedAttr("hidden_size", b.getI64IntegerAttr(c.hiddenSize)),
          b.getNamedAttr("num_layers", b.getI64IntegerAttr(c.numLayers)),
          b.getNamedAttr("vocab_size", b.getI64IntegerAttr(c.vocabSize)),
          b.getNamedAttr("num_experts", b.getI64IntegerAttr(c.numExperts)),
          b.getNamedAttr("num_experts_per_tok", b.getI64IntegerAttr(c.numExpertsPerTok)),
          b.getNamedAttr("kv_block_size", b.getI64IntegerAttr(options.kvBlockSize)),
      }));
  b.setInsertionPointToEnd(module->getBody());

  // Signature: batch metadata, then per layer its caches or states.
  SmallVector<Type> argTypes{tensor({kDyn}, i32), tensor({kDyn}, i32), tensor({kDyn}, i32),
                             tensor({kDyn}, i32), tensor({kDyn, kDyn}, i32), tensor({kDyn}, i32)};
  SmallVector<std::string> argNames{"token_ids",  "positions",   "seq_ids",
                                    "logit_rows", "block_table", "state_slots"};
  // What each argument is, and the symbol that sizes each of its dynamic dimensions.
  SmallVector<ir::StepValue> argKinds(6, ir::StepValue::input);
  SmallVector<SmallVector<StringRef>> argDims{{"T"}, {"T"}, {"T"}, {"R"}, {"S", "MB"}, {"S"}};
  Type cacheElem = options.kvCacheFp8 ? Type(b.getType<Float8E4M3FNType>()) : bf16;
  Type cacheType = tensor({kDyn, options.kvBlockSize, c.numKvHeads, c.headDim}, cacheElem);
  Type convType = tensor({kDyn, c.linearConvKernel - 1, c.convDim()}, bf16);
  Type recType =
      tensor({kDyn, c.linearNumValueHeads, c.linearKeyHeadDim, c.linearValueHeadDim}, f32);
  SmallVector<Type> stateTypes;
  for (int64_t l = 0; l < c.numLayers; ++l) {
    std::string p = "layers." + std::to_string(l) + ".";
    if (c.layerTypes[l] == LayerType::FullAttention) {
      stateTypes.append({cacheType, cacheType});
      argNames.append({p + "k_cache", p + "v_cache"});
      argKinds.append({ir::StepValue::kv_cache, ir::StepValue::kv_cache});
      argDims.append({{"NB"}, {"NB"}});
    } else {
      stateTypes.append({convType, recType});
      argNames.append({p + "conv_state", p + "recurrent_state"});
      argKinds.append({ir::StepValue::conv_state, ir::StepValue::recurrent_state});
      argDims.append({{"P"}, {"P"}});
    }
  }
  argTypes.append(stateTypes);
  SmallVector<Type> resultTypes{tensor({kDyn, c.vocabSize}, f32)};
  resultTypes.append(stateTypes);

  auto func = func::FuncOp::create(b, loc, "forward_step", b.getFunctionType(argTypes, resultTypes));
  for (auto [i, n] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, ir::kNameAttr, b.getStringAttr(n));
    func.setArgAttr(i, ir::kStepValueAttr, ir::StepValueAttr::get(b.getContext(), argKinds[i]));
    func.setArgAttr(i, ir::kDimsAttr, b.getStrArrayAttr(argDims[i]));
  }
  func.setResultAttr(0, ir::kNameAttr, b.getStringAttr("logits"));
  func.setResultAttr(0, ir::kStepValueAttr, ir::StepValueAttr::get(b.getContext(), ir::StepValue::output));
  func.setResultAttr(0, ir::kDimsAttr, b.getStrArrayAttr({"R"}));
  for (size_t i = 6; i < argNames.size(); ++i) {
    func.setResultAttr(i - 5, ir::kNameAttr, b.getStringAttr(argNames[i]));
    func.setResultAttr(i - 5, ir::kStepValueAttr, ir::StepValueAttr::get(b.getContext(), argKinds[i]));
    func.setResultAttr(i - 5, ir::kDimsAttr, b.getStrArrayAttr(argDims[i]));
  }

  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value tokenIds = entry->getArgument(0);
  positions = entry->getArgument(1);
  seqIds = entry->getArgument(2);
  Value logitRows = entry->getArgument(3);
  blockTable = entry->getArgument(4);
  stateSlots = entry->getArgument(5);
  for (int64_t l = 0; l < c.numLayers; ++l)
    stateIn[l] = {entry->getArgument(6 + 2 * l), entry->getArgument(7 + 2 * l)};
  tokens = tensor::DimOp::create(b, loc, tokenIds, 0).getResult();

  const int64_t h = c.hiddenSize;
  Value embedTable = param(prefix + "embed_tokens.weight", {c.vocabSize, h});
  Value x = ir::EmbedOp::create(b, loc, tensor({kDyn, h}, bf16), tokenIds, embedTable).getResult();
  Location stepLoc = loc;
  for (int64_t l = 0; l < c.numLayers; ++l) {
    loc = ir::layerLoc(b.getContext(), l); // every op of the layer knows its index
    Value a = rmsNorm(x, layerName(l, "input_layernorm.weight"), h, true);
    Value mixer = c.layerTypes[l] == LayerType::FullAttention ? fullAttention(l, a)
                                                              : linearAttention(l, a);
    x = add(x, mixer);
    Value y = rmsNorm(x, layerName(l, "post_attention_layernorm.weight"), h, true);
    x = add(x, sparseMoe(l, y));
  }
  loc = stepLoc;
  Value normed = rmsNorm(x, prefix + "norm.weight", h, true);
  // An untied head may be stored in FP8 (an exported checkpoint whose map put lm_head in FP8).
  LinearWeight head;
  if (c.tieWordEmbeddings)
    head.weight = embedTable;
  else
    head = linearWeight("lm_head", c.vocabSize, h);
  if (!head.block.empty() && (head.block[0] != 128 || head.block[1] != 128))
    throw Error(ckpt->dir() + ": an FP8 lm_head needs 128x128 scale blocks, the checkpoint has " +
                std::to_string(head.block[0]) + "x" + std::to_string(head.block[1]));
  Value logits =
      ir::LogitsOp::create(b, loc, resultTypes[0], normed, head.weight, head.scale, logitRows).getResult();

  SmallVector<Value> results{logits};
  results.append(stateOut);
  func::ReturnOp::create(b, loc, results);
  return module;
}

} // namespace

std::vector<std::string> unknownTensors(ModuleOp module, const Checkpoint &checkpoint) {
  std::set<std::string> used;
  module.walk([&](ir::ParamOp p) {
    used.insert(p.getName().str());
    if (auto parts = p.getParts())
      for (Attribute a : *parts)
        used.insert(cast<StringAttr>(a).getValue().str());
  });
  // Known and not compiled (spec §2): speculative decoding's MTP head and the vision tower.
  static const char *skipped[] = {"mtp.", "model.mtp.", "model.visual.", "visual."};
  std::vector<std::string> unknown;
  for (const std::string &name : checkpoint.names()) {
    bool known = used.count(name) != 0;
    for (const char *prefix : skipped)
      known = known || llvm::StringRef(name).starts_with(prefix);
    if (!known)
      unknown.push_back(name);
  }
  return unknown;
}

OwningOpRef<ModuleOp> importQwen35Moe(MLIRContext &context, const ModelConfig &config,
                                      const Checkpoint *checkpoint, const ImportOptions &options) {
  context.loadDialect<ir::AxeDialect, func::FuncDialect, arith::ArithDialect,
                      tensor::TensorDialect>();
  try {
    return StepBuilder(context, config, checkpoint, options).build();
  } catch (const Error &e) {
    // The builder stops at the first tensor the checkpoint gets wrong; the library reports it as
    // a diagnostic, like every other compiler error (the message names the file and tensor).
    emitError(UnknownLoc::get(&context)) << e.what();
    return nullptr;
  }
}

} // namespace axe
