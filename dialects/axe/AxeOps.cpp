//===- AxeOps.cpp - verifiers of the axe ops ------------------------------===//
//
// Each verifier checks the shape and dtype rules of shared/spec/qwen3_5_moe.md for its op. A
// failure reads "rule '<op>.<rule>': <what is wrong>", so tests and users can tell which rule an
// IR broke. Dynamic dimensions (`?`) are compatible with anything; they are checked at run time.
//
//===----------------------------------------------------------------------===//

#include "dialects/axe/AxeOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::axe;

namespace {

InFlightDiagnostic ruleError(Operation *op, StringRef rule) {
  return op->emitOpError() << "rule '" << rule << "': ";
}

RankedTensorType tensorOf(Value v) { return cast<RankedTensorType>(v.getType()); }

bool dimsMatch(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

bool shapesMatch(RankedTensorType a, RankedTensorType b) {
  if (a.getRank() != b.getRank())
    return false;
  for (auto [x, y] : llvm::zip(a.getShape(), b.getShape()))
    if (!dimsMatch(x, y))
      return false;
  return true;
}

bool isF8(Type t) { return isa<Float8E4M3FNType>(t); }
// A float type the model computes in (f8 is a storage type, handled by the quantized ops).
bool isComputeFloat(Type t) { return isa<BFloat16Type, Float16Type, Float32Type>(t); }
bool isInteger(Type t) { return isa<IntegerType>(t); }

// A rank-`rank` tensor whose element type satisfies `pred`.
bool hasRankAnd(RankedTensorType t, int64_t rank, bool (*pred)(Type)) {
  return t.getRank() == rank && pred(t.getElementType());
}

// Shape of the activation scales for a per-token (groupSize = 0) or 1 x G quantization of a
// [T, K] tensor; also used by the fused op.
bool actScaleMatches(RankedTensorType scale, int64_t tokens, int64_t k, int64_t groupSize) {
  if (!scale.getElementType().isF32())
    return false;
  if (groupSize == 0)
    return scale.getRank() == 1 && dimsMatch(scale.getDimSize(0), tokens);
  int64_t groups = ShapedType::isDynamic(k) ? ShapedType::kDynamic : k / groupSize;
  return scale.getRank() == 2 && dimsMatch(scale.getDimSize(0), tokens) &&
         dimsMatch(scale.getDimSize(1), groups);
}

// Checks the per-token integer metadata vector [T] shared by the stateful ops.
LogicalResult verifyTokenIndex(Operation *op, StringRef rule, StringRef name, Value v,
                               int64_t tokens) {
  RankedTensorType t = tensorOf(v);
  if (!hasRankAnd(t, 1, isInteger))
    return ruleError(op, rule) << name << " must be a rank-1 integer tensor, got " << t;
  if (!dimsMatch(t.getDimSize(0), tokens))
    return ruleError(op, rule) << name << " has " << t.getDimSize(0) << " entries for "
                               << tokens << " tokens";
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  if (getName().empty())
    return ruleError(*this, "param.name") << "the checkpoint name is empty";
  if (auto parts = getParts()) {
    if (parts->empty())
      return ruleError(*this, "param.name") << "'parts' is given but empty";
    for (Attribute part : *parts)
      if (cast<StringAttr>(part).getValue().empty())
        return ruleError(*this, "param.name") << "a part has an empty checkpoint name";
  }
  RankedTensorType t = getResult().getType();
  if (!t.hasStaticShape())
    return ruleError(*this, "param.static_shape") << "a weight's shape must be static, got " << t;
  Type e = t.getElementType();
  if (!isComputeFloat(e) && !isF8(e) && !e.isSignlessInteger())
    return ruleError(*this, "param.dtype")
           << "element type must be bf16, f16, f32, f8E4M3FN or a signless integer, got " << e;
  if (auto encoding = getEncoding()) {
    bool scale = *encoding == Encoding::fp8_channel_scale || *encoding == Encoding::fp8_block_scale;
    if (scale ? !e.isF32() : !isF8(e))
      return ruleError(*this, "param.encoding")
             << "encoding " << stringifyEncoding(*encoding) << " needs "
             << (scale ? "f32 scales" : "f8E4M3FN values") << ", got " << e;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Embedding, norms, elementwise
//===----------------------------------------------------------------------===//

LogicalResult EmbedOp::verify() {
  RankedTensorType ids = tensorOf(getIds()), table = tensorOf(getTable()),
                   res = tensorOf(getResult());
  if (!hasRankAnd(ids, 1, isInteger))
    return ruleError(*this, "embed.ids") << "ids must be a rank-1 integer tensor, got " << ids;
  if (!hasRankAnd(table, 2, isComputeFloat))
    return ruleError(*this, "embed.table")
           << "the table must be a rank-2 [V, D] float tensor, got " << table;
  if (res.getRank() != 2 || !dimsMatch(res.getDimSize(0), ids.getDimSize(0)) ||
      !dimsMatch(res.getDimSize(1), table.getDimSize(1)) ||
      !isComputeFloat(res.getElementType()))
    return ruleError(*this, "embed.result")
           << "result must be a float [T, D] tensor, got " << res << " for ids "
           << ids << " and table " << table;
  return success();
}

// The two RMSNorm variants share the weight, result and eps rules.
static LogicalResult verifyNormCommon(Operation *op, StringRef prefix, RankedTensorType in,
                                      RankedTensorType weight, RankedTensorType res, float eps) {
  std::string rule = prefix.str();
  if (in.getRank() < 1 || !isComputeFloat(in.getElementType()))
    return ruleError(op, rule + ".input") << "input must be a float tensor, got " << in;
  if (!hasRankAnd(weight, 1, isComputeFloat) ||
      !dimsMatch(weight.getDimSize(0), in.getDimSize(in.getRank() - 1)))
    return ruleError(op, rule + ".weight")
           << "weight must be a rank-1 float tensor the size of the last input dimension ("
           << in.getDimSize(in.getRank() - 1) << "), got " << weight;
  if (!shapesMatch(in, res) || !isComputeFloat(res.getElementType()))
    return ruleError(op, rule + ".result")
           << "result must be a float tensor of the input's shape, got " << res;
  if (!(eps > 0.0f))
    return ruleError(op, rule + ".eps") << "eps must be positive, got " << eps;
  return success();
}

LogicalResult RmsNormOp::verify() {
  return verifyNormCommon(*this, "rms_norm", tensorOf(getInput()), tensorOf(getWeight()),
                          tensorOf(getResult()), getEps().convertToFloat());
}

LogicalResult GatedRmsNormOp::verify() {
  RankedTensorType in = tensorOf(getInput()), gate = tensorOf(getGate());
  if (!shapesMatch(in, gate) || !isComputeFloat(gate.getElementType()))
    return ruleError(*this, "gated_rms_norm.gate")
           << "gate must be a float tensor of the input's shape " << in << ", got " << gate;
  return verifyNormCommon(*this, "gated_rms_norm", in, tensorOf(getWeight()),
                          tensorOf(getResult()), getEps().convertToFloat());
}

LogicalResult SiluMulOp::verify() {
  RankedTensorType gate = tensorOf(getGate()), up = tensorOf(getUp()), res = tensorOf(getResult());
  if (!isComputeFloat(gate.getElementType()) || !isComputeFloat(up.getElementType()) ||
      !isComputeFloat(res.getElementType()))
    return ruleError(*this, "silu_mul.dtype") << "operands and result must be floats";
  if (!shapesMatch(gate, up) || !shapesMatch(gate, res))
    return ruleError(*this, "silu_mul.shapes")
           << "gate, up and result must have one shape, got " << gate << ", " << up << ", " << res;
  return success();
}

// The per-token FP8 output of the fused prologue ops: f8 [T, K] values and f32 [T] scales.
static LogicalResult verifyQuantizedOutput(Operation *op, StringRef prefix, RankedTensorType in,
                                           RankedTensorType q, RankedTensorType scale) {
  if (!shapesMatch(in, q) || !isF8(q.getElementType()))
    return ruleError(op, (prefix + ".result").str())
           << "result must be f8E4M3FN of the input's shape, got " << q;
  if (!actScaleMatches(scale, in.getDimSize(0), in.getDimSize(1), 0))
    return ruleError(op, (prefix + ".scale").str()) << "scales must be f32 [T], got " << scale;
  return success();
}

LogicalResult RmsNormQuantizeOp::verify() {
  RankedTensorType in = tensorOf(getInput()), w = tensorOf(getWeight());
  if (!hasRankAnd(in, 2, isComputeFloat))
    return ruleError(*this, "rms_norm_quantize.input")
           << "input must be a float [T, K] tensor, got " << in;
  if (!hasRankAnd(w, 1, isComputeFloat) || !dimsMatch(w.getDimSize(0), in.getDimSize(1)))
    return ruleError(*this, "rms_norm_quantize.weight")
           << "weight must be a float [K] tensor with K = " << in.getDimSize(1) << ", got " << w;
  if (!(getEps().convertToFloat() > 0.0f))
    return ruleError(*this, "rms_norm_quantize.eps") << "eps must be positive";
  return verifyQuantizedOutput(*this, "rms_norm_quantize", in, tensorOf(getResult()),
                               tensorOf(getScale()));
}

LogicalResult SiluMulQuantizeOp::verify() {
  RankedTensorType gate = tensorOf(getGate()), up = tensorOf(getUp());
  if (!hasRankAnd(gate, 2, isComputeFloat) || !shapesMatch(gate, up) ||
      !isComputeFloat(up.getElementType()))
    return ruleError(*this, "silu_mul_quantize.input")
           << "gate and up must be float [T, K] tensors of one shape, got " << gate << " and "
           << up;
  return verifyQuantizedOutput(*this, "silu_mul_quantize", gate, tensorOf(getResult()),
                               tensorOf(getScale()));
}

LogicalResult SigmoidGateOp::verify() {
  RankedTensorType in = tensorOf(getInput()), gate = tensorOf(getGate()),
                   res = tensorOf(getResult());
  if (!hasRankAnd(in, 2, isComputeFloat))
    return ruleError(*this, "sigmoid_gate.input")
           << "input must be a rank-2 float tensor, got " << in;
  bool perRow = gate.getRank() == 2 && gate.getDimSize(1) == 1;
  if (!isComputeFloat(gate.getElementType()) || gate.getRank() != 2 ||
      !dimsMatch(gate.getDimSize(0), in.getDimSize(0)) ||
      !(perRow || dimsMatch(gate.getDimSize(1), in.getDimSize(1))))
    return ruleError(*this, "sigmoid_gate.gate")
           << "gate must be a float [T, N] or [T, 1] tensor for input " << in << ", got " << gate;
  if (!shapesMatch(in, res) || !isComputeFloat(res.getElementType()))
    return ruleError(*this, "sigmoid_gate.result")
           << "result must be a float tensor of the input's shape, got " << res;
  return success();
}

//===----------------------------------------------------------------------===//
// Linear layers and FP8 quantization
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  RankedTensorType in = tensorOf(getInput()), w = tensorOf(getWeight()),
                   res = tensorOf(getResult());
  if (in.getRank() != 2)
    return ruleError(*this, "linear.input") << "input must be rank 2 [T, K], got " << in;
  if (w.getRank() != 2)
    return ruleError(*this, "linear.weight") << "weight must be rank 2 [N, K], got " << w;
  if (!dimsMatch(in.getDimSize(1), w.getDimSize(1)))
    return ruleError(*this, "linear.k_match")
           << "input has K = " << in.getDimSize(1) << " but the [N, K] weight has K = "
           << w.getDimSize(1);
  if (res.getRank() != 2 || !dimsMatch(res.getDimSize(0), in.getDimSize(0)) ||
      !dimsMatch(res.getDimSize(1), w.getDimSize(0)) || !isComputeFloat(res.getElementType()))
    return ruleError(*this, "linear.result")
           << "result must be a float [T, N] = [" << in.getDimSize(0) << ", " << w.getDimSize(0)
           << "] tensor, got " << res;
  Type ie = in.getElementType(), we = w.getElementType();
  if (isF8(ie) || isF8(we)) {
    if (!isF8(ie) || !isF8(we) || !res.getElementType().isF32())
      return ruleError(*this, "linear.dtype")
             << "f8E4M3FN operands come in pairs and accumulate into an f32 result, got " << ie
             << " x " << we << " -> " << res.getElementType();
  } else if (!isComputeFloat(ie) || !isComputeFloat(we)) {
    return ruleError(*this, "linear.dtype")
           << "operands must be bf16, f16, f32 or a pair of f8E4M3FN, got " << ie << " x " << we;
  }
  return success();
}

LogicalResult QuantizeOp::verify() {
  RankedTensorType in = tensorOf(getInput()), q = tensorOf(getResult()),
                   scale = tensorOf(getScale());
  if (!hasRankAnd(in, 2, isComputeFloat))
    return ruleError(*this, "quantize.input") << "input must be a rank-2 float tensor, got " << in;
  int64_t group = getGroupSize().value_or(0);
  int64_t k = in.getDimSize(1);
  if (getGroupSize() && (group <= 0 || (!ShapedType::isDynamic(k) && k % group != 0)))
    return ruleError(*this, "quantize.group_size")
           << "group_size must be positive and divide K = " << k << ", got " << group;
  if (!shapesMatch(in, q) || !isF8(q.getElementType()))
    return ruleError(*this, "quantize.result")
           << "result must be f8E4M3FN of the input's shape, got " << q;
  if (!actScaleMatches(scale, in.getDimSize(0), k, group))
    return ruleError(*this, "quantize.scale")
           << (group ? "scales must be f32 [T, K / group_size]" : "scales must be f32 [T]")
           << ", got " << scale;
  return success();
}

LogicalResult DequantizeOp::verify() {
  RankedTensorType acc = tensorOf(getAcc()), st = tensorOf(getActScale()),
                   sw = tensorOf(getWeightScale()), res = tensorOf(getResult());
  if (acc.getRank() != 2 || !acc.getElementType().isF32())
    return ruleError(*this, "dequantize.acc")
           << "the accumulator must be a rank-2 f32 tensor, got " << acc;
  if (st.getRank() != 1 || !st.getElementType().isF32() ||
      !dimsMatch(st.getDimSize(0), acc.getDimSize(0)))
    return ruleError(*this, "dequantize.act_scale")
           << "activation scales must be f32 [T] with T = " << acc.getDimSize(0) << ", got " << st;
  if (sw.getRank() != 1 || !sw.getElementType().isF32() ||
      !dimsMatch(sw.getDimSize(0), acc.getDimSize(1)))
    return ruleError(*this, "dequantize.weight_scale")
           << "weight scales must be f32 [N] with N = " << acc.getDimSize(1) << ", got " << sw;
  if (!shapesMatch(acc, res) || !isComputeFloat(res.getElementType()))
    return ruleError(*this, "dequantize.result")
           << "result must be a float tensor of the accumulator's shape, got " << res;
  return success();
}

LogicalResult Fp8LinearOp::verify() {
  RankedTensorType in = tensorOf(getInput()), w = tensorOf(getWeight()),
                   sw = tensorOf(getWeightScale()), res = tensorOf(getResult());
  if (in.getRank() != 2 || !(isComputeFloat(in.getElementType()) || isF8(in.getElementType())))
    return ruleError(*this, "fp8_linear.input")
           << "input must be a rank-2 float or f8E4M3FN tensor, got " << in;
  if (!hasRankAnd(w, 2, isF8))
    return ruleError(*this, "fp8_linear.weight")
           << "weight must be an f8E4M3FN [N, K] tensor, got " << w;
  int64_t n = w.getDimSize(0), k = w.getDimSize(1);
  if (!dimsMatch(in.getDimSize(1), k))
    return ruleError(*this, "fp8_linear.k_match")
           << "input has K = " << in.getDimSize(1) << " but the weight has K = " << k;

  int64_t groupK = 0; // activation group size along K; 0 = per token
  if (auto block = getWeightBlock()) {
    if (block->size() != 2 || (*block)[0] <= 0 || (*block)[1] <= 0)
      return ruleError(*this, "fp8_linear.weight_block")
             << "weight_block must be two positive sizes [bn, bk]";
    int64_t bn = (*block)[0], bk = (*block)[1];
    if (k % bk != 0)
      return ruleError(*this, "fp8_linear.weight_block")
             << "K = " << k << " must be a multiple of the K block " << bk
             << " (activations are quantized in 1 x " << bk << " groups)";
    groupK = bk;
    if (sw.getRank() != 2 || !sw.getElementType().isF32() ||
        sw.getDimSize(0) != llvm::divideCeil(n, bn) || sw.getDimSize(1) != k / bk)
      return ruleError(*this, "fp8_linear.weight_scale")
             << "block scales must be f32 [ceil(N/" << bn << "), K/" << bk << "] = ["
             << llvm::divideCeil(n, bn) << ", " << k / bk << "], got " << sw;
  } else if (sw.getRank() != 1 || !sw.getElementType().isF32() || sw.getDimSize(0) != n) {
    return ruleError(*this, "fp8_linear.weight_scale")
           << "per-channel scales must be f32 [N] = [" << n << "], got " << sw;
  }

  bool quantizedInput = isF8(in.getElementType());
  if (quantizedInput != static_cast<bool>(getInputScale()))
    return ruleError(*this, "fp8_linear.input_scale")
           << (quantizedInput ? "an f8E4M3FN input needs its scales ('scaled %s')"
                              : "a float input is quantized inside the op and takes no scales");
  if (quantizedInput &&
      !actScaleMatches(tensorOf(getInputScale()), in.getDimSize(0), k, groupK))
    return ruleError(*this, "fp8_linear.input_scale")
           << "input scales must be f32 " << (groupK ? "[T, K / bk]" : "[T]") << ", got "
           << getInputScale().getType();
  if (res.getRank() != 2 || !dimsMatch(res.getDimSize(0), in.getDimSize(0)) ||
      !dimsMatch(res.getDimSize(1), n) || !isComputeFloat(res.getElementType()))
    return ruleError(*this, "fp8_linear.result")
           << "result must be a float [T, " << n << "] tensor, got " << res;
  return success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  RankedTensorType in = tensorOf(getInput()), res = tensorOf(getResult());
  if (!hasRankAnd(in, 3, isComputeFloat))
    return ruleError(*this, "rope.input") << "input must be a float [T, H, d] tensor, got " << in;
  if (failed(verifyTokenIndex(*this, "rope.positions", "positions", getPositions(),
                              in.getDimSize(0))))
    return failure();
  int64_t r = getRotaryDim(), d = in.getDimSize(2);
  if (r <= 0 || r % 2 != 0 || (!ShapedType::isDynamic(d) && r > d))
    return ruleError(*this, "rope.rotary_dim")
           << "rotary_dim must be even and in (0, d = " << d << "], got " << r;
  if (!(getTheta().convertToDouble() > 0.0))
    return ruleError(*this, "rope.theta") << "theta must be positive";
  if (res != in)
    return ruleError(*this, "rope.result") << "result must have the input's type " << in
                                           << ", got " << res;
  return success();
}

LogicalResult GatedAttentionOp::verify() {
  RankedTensorType q = tensorOf(getQ()), k = tensorOf(getK()), v = tensorOf(getV()),
                   gate = tensorOf(getGate()), kc = tensorOf(getKCache()),
                   vc = tensorOf(getVCache()), res = tensorOf(getResult());
  if (!hasRankAnd(q, 3, isComputeFloat) || ShapedType::isDynamic(q.getDimSize(1)) ||
      ShapedType::isDynamic(q.getDimSize(2)))
    return ruleError(*this, "attention.q")
           << "q must be a float [T, H, d] tensor with static H and d, got " << q;
  int64_t tokens = q.getDimSize(0), heads = q.getDimSize(1), headDim = q.getDimSize(2);
  for (RankedTensorType t : {k, v})
    if (!hasRankAnd(t, 3, isComputeFloat) || ShapedType::isDynamic(t.getDimSize(1)) ||
        !dimsMatch(t.getDimSize(0), tokens) || t.getDimSize(2) != headDim ||
        t.getDimSize(1) != k.getDimSize(1))
      return ruleError(*this, "attention.kv")
             << "k and v must be float [T, Hkv, " << headDim << "] tensors of one shape, got "
             << k << " and " << v;
  int64_t kvHeads = k.getDimSize(1);
  if (kvHeads <= 0 || heads % kvHeads != 0)
    return ruleError(*this, "attention.gqa")
           << "query heads (" << heads << ") must be a multiple of KV heads (" << kvHeads << ")";
  if (!shapesMatch(gate, q) || !isComputeFloat(gate.getElementType()))
    return ruleError(*this, "attention.gate")
           << "the output gate must be a float tensor of q's shape, got " << gate;
  for (RankedTensorType c : {kc, vc}) {
    Type e = c.getElementType();
    if (c.getRank() != 4 || !(e.isBF16() || e.isF32() || isF8(e)) ||
        !dimsMatch(c.getDimSize(2), kvHeads) ||
        !dimsMatch(c.getDimSize(3), headDim) || c != kc)
      return ruleError(*this, "attention.cache")
             << "K and V caches must be one bf16, f32 or f8E4M3FN [blocks, block_size, " << kvHeads
             << ", " << headDim << "] type, got " << kc << " and " << vc;
  }
  if (failed(verifyTokenIndex(*this, "attention.metadata", "positions", getPositions(), tokens)) ||
      failed(verifyTokenIndex(*this, "attention.metadata", "seq_ids", getSeqIds(), tokens)))
    return failure();
  RankedTensorType bt = tensorOf(getBlockTable());
  if (bt.getRank() != 2 || !bt.getElementType().isInteger(32))
    return ruleError(*this, "attention.metadata")
           << "the block table must be an i32 [S, max_blocks] tensor, got " << bt;
  if (res.getRank() != 2 || !dimsMatch(res.getDimSize(0), tokens) ||
      res.getDimSize(1) != heads * headDim || !isComputeFloat(res.getElementType()))
    return ruleError(*this, "attention.result")
           << "result must be a float [T, H*d] = [T, " << heads * headDim << "] tensor, got "
           << res;
  if (getNewKCache().getType() != kc || getNewVCache().getType() != vc)
    return ruleError(*this, "attention.result")
           << "the updated caches must keep the caches' types";
  if (auto scale = getScale(); scale && !(scale->convertToFloat() > 0.0f))
    return ruleError(*this, "attention.scale") << "scale must be positive";
  return success();
}

//===----------------------------------------------------------------------===//
// Gated DeltaNet
//===----------------------------------------------------------------------===//

// seq_ids [T] and state_slots [S]: the metadata of the recurrent-state ops.
static LogicalResult verifyStateMetadata(Operation *op, StringRef rule, Value seqIds,
                                         Value slots, int64_t tokens) {
  if (failed(verifyTokenIndex(op, rule, "seq_ids", seqIds, tokens)))
    return failure();
  RankedTensorType s = tensorOf(slots);
  if (!hasRankAnd(s, 1, isInteger))
    return ruleError(op, rule) << "state_slots must be a rank-1 integer tensor, got " << s;
  return success();
}

LogicalResult CausalConv1dOp::verify() {
  RankedTensorType in = tensorOf(getInput()), w = tensorOf(getWeight()),
                   st = tensorOf(getState()), res = tensorOf(getResult());
  if (!hasRankAnd(in, 2, isComputeFloat))
    return ruleError(*this, "conv.input") << "input must be a float [T, C] tensor, got " << in;
  int64_t channels = in.getDimSize(1);
  if (!hasRankAnd(w, 3, isComputeFloat) || !dimsMatch(w.getDimSize(0), channels) ||
      w.getDimSize(1) != 1 || ShapedType::isDynamic(w.getDimSize(2)) || w.getDimSize(2) < 1)
    return ruleError(*this, "conv.weight")
           << "weight must be a depthwise float [C, 1, K] tensor with C = " << channels
           << ", got " << w;
  int64_t kernel = w.getDimSize(2);
  if (!hasRankAnd(st, 3, isComputeFloat) || st.getDimSize(1) != kernel - 1 ||
      !dimsMatch(st.getDimSize(2), channels))
    return ruleError(*this, "conv.state")
           << "the state pool must be a float [P, K-1, C] = [P, " << kernel - 1 << ", "
           << channels << "] tensor, got " << st;
  if (failed(verifyStateMetadata(*this, "conv.metadata", getSeqIds(), getStateSlots(),
                                 in.getDimSize(0))))
    return failure();
  if (!shapesMatch(in, res) || !isComputeFloat(res.getElementType()) ||
      getNewState().getType() != st)
    return ruleError(*this, "conv.result")
           << "result must be a float tensor of the input's shape and the state keep its type";
  return success();
}

LogicalResult GatedDeltaRuleOp::verify() {
  RankedTensorType q = tensorOf(getQ()), k = tensorOf(getK()), v = tensorOf(getV()),
                   a = tensorOf(getA()), b = tensorOf(getB()), st = tensorOf(getState()),
                   res = tensorOf(getResult());
  if (!hasRankAnd(q, 3, isComputeFloat) || !shapesMatch(q, k) ||
      !isComputeFloat(k.getElementType()) || ShapedType::isDynamic(q.getDimSize(1)) ||
      ShapedType::isDynamic(q.getDimSize(2)))
    return ruleError(*this, "gdn.qk")
           << "q and k must be float [T, Hk, dk] tensors of one shape with static Hk and dk, got "
           << q << " and " << k;
  int64_t tokens = q.getDimSize(0), keyHeads = q.getDimSize(1), keyDim = q.getDimSize(2);
  if (!hasRankAnd(v, 3, isComputeFloat) || !dimsMatch(v.getDimSize(0), tokens) ||
      ShapedType::isDynamic(v.getDimSize(1)) || ShapedType::isDynamic(v.getDimSize(2)))
    return ruleError(*this, "gdn.v")
           << "v must be a float [T, Hv, dv] tensor with static Hv and dv, got " << v;
  int64_t valueHeads = v.getDimSize(1), valueDim = v.getDimSize(2);
  if (valueHeads % keyHeads != 0)
    return ruleError(*this, "gdn.heads")
           << "value heads (" << valueHeads << ") must be a multiple of key heads (" << keyHeads
           << ")";
  for (RankedTensorType g : {a, b})
    if (!hasRankAnd(g, 2, isComputeFloat) || !dimsMatch(g.getDimSize(0), tokens) ||
        g.getDimSize(1) != valueHeads)
      return ruleError(*this, "gdn.gates")
             << "a and b must be float [T, Hv] = [T, " << valueHeads << "] tensors, got " << g;
  for (Value p : {getALog(), getDtBias()}) {
    RankedTensorType t = tensorOf(p);
    if (!hasRankAnd(t, 1, isComputeFloat) || t.getDimSize(0) != valueHeads)
      return ruleError(*this, "gdn.decay")
             << "a_log and dt_bias must be float [Hv] = [" << valueHeads << "] tensors, got "
             << t;
  }
  if (st.getRank() != 4 || !st.getElementType().isF32() || st.getDimSize(1) != valueHeads ||
      st.getDimSize(2) != keyDim || st.getDimSize(3) != valueDim)
    return ruleError(*this, "gdn.state")
           << "the state pool must be f32 [P, Hv, dk, dv] = [P, " << valueHeads << ", " << keyDim
           << ", " << valueDim << "], got " << st;
  if (failed(verifyStateMetadata(*this, "gdn.metadata", getSeqIds(), getStateSlots(), tokens)))
    return failure();
  if (!shapesMatch(v, res) || !isComputeFloat(res.getElementType()) ||
      getNewState().getType() != st)
    return ruleError(*this, "gdn.result")
           << "result must be a float tensor of v's shape and the state keep its type, got "
           << res;
  if (auto scale = getScale(); scale && !(scale->convertToFloat() > 0.0f))
    return ruleError(*this, "gdn.scale") << "scale must be positive";
  return success();
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

LogicalResult MoeRouteOp::verify() {
  RankedTensorType logits = tensorOf(getLogits()), ids = tensorOf(getExpertIds()),
                   w = tensorOf(getExpertWeights());
  if (!hasRankAnd(logits, 2, isComputeFloat) || ShapedType::isDynamic(logits.getDimSize(1)))
    return ruleError(*this, "route.logits")
           << "logits must be a float [T, E] tensor with static E, got " << logits;
  int64_t experts = logits.getDimSize(1), topK = getTopK();
  if (topK <= 0 || topK > experts)
    return ruleError(*this, "route.top_k")
           << "top_k must be in [1, E = " << experts << "], got " << topK;
  auto routed = [&](RankedTensorType t, bool wantInt) {
    return t.getRank() == 2 && dimsMatch(t.getDimSize(0), logits.getDimSize(0)) &&
           t.getDimSize(1) == topK &&
           (wantInt ? t.getElementType().isInteger(32) : t.getElementType().isF32());
  };
  if (!routed(ids, true) || !routed(w, false))
    return ruleError(*this, "route.result")
           << "results must be i32 ids and f32 weights, both [T, " << topK << "], got " << ids
           << " and " << w;
  return success();
}

LogicalResult MoeExpertsOp::verify() {
  RankedTensorType in = tensorOf(getInput()), ids = tensorOf(getExpertIds()),
                   w = tensorOf(getExpertWeights()), gu = tensorOf(getGateUp()),
                   dn = tensorOf(getDown()), res = tensorOf(getResult());
  if (!hasRankAnd(in, 2, isComputeFloat))
    return ruleError(*this, "experts.input") << "input must be a float [T, H] tensor, got " << in;
  int64_t tokens = in.getDimSize(0), hidden = in.getDimSize(1);
  if (ids.getRank() != 2 || !ids.getElementType().isInteger(32) || w.getRank() != 2 ||
      !w.getElementType().isF32() || !dimsMatch(ids.getDimSize(0), tokens) ||
      !shapesMatch(ids, w))
    return ruleError(*this, "experts.routing")
           << "ids must be i32 and weights f32, both [T, k], got " << ids << " and " << w;
  if (gu.getRank() != 3 || !gu.hasStaticShape() || gu.getDimSize(1) % 2 != 0 ||
      !dimsMatch(gu.getDimSize(2), hidden))
    return ruleError(*this, "experts.gate_up")
           << "gate_up must be a static [E, 2I, H] tensor with H = " << hidden << ", got " << gu;
  int64_t experts = gu.getDimSize(0), inter = gu.getDimSize(1) / 2;
  if (dn.getRank() != 3 || dn.getDimSize(0) != experts || !dimsMatch(dn.getDimSize(1), hidden) ||
      dn.getDimSize(2) != inter)
    return ruleError(*this, "experts.down")
           << "down must be [E, H, I] = [" << experts << ", " << hidden << ", " << inter
           << "], got " << dn;
  bool fp8 = isF8(gu.getElementType());
  if (fp8 != isF8(dn.getElementType()) ||
      (!fp8 && (!isComputeFloat(gu.getElementType()) || !isComputeFloat(dn.getElementType()))))
    return ruleError(*this, "experts.dtype")
           << "gate_up and down must both be f8E4M3FN or both float, got "
           << gu.getElementType() << " and " << dn.getElementType();
  bool hasScales = getGateUpScale() && getDownScale();
  if (fp8 != hasScales || (!fp8 && (getGateUpScale() || getDownScale())))
    return ruleError(*this, "experts.scales")
           << (fp8 ? "f8E4M3FN expert weights need per-channel scales for gate_up and down"
                   : "float expert weights take no scales");
  std::optional<ArrayRef<int64_t>> block = getWeightBlock();
  if (block && (!fp8 || block->size() != 2 || (*block)[0] <= 0 || (*block)[1] <= 0 ||
                inter % (*block)[0] != 0 || inter % (*block)[1] != 0 ||
                ShapedType::isDynamic(dn.getDimSize(1)) || dn.getDimSize(1) % (*block)[0] != 0 ||
                dn.getDimSize(1) % (*block)[1] != 0))
    return ruleError(*this, "experts.weight_block")
           << "weight_block must be two positive sizes [bn, bk] dividing I = " << inter
           << " and H = " << dn.getDimSize(1) << ", for f8E4M3FN weights only";
  if (fp8) {
    RankedTensorType sgu = tensorOf(getGateUpScale()), sdn = tensorOf(getDownScale());
    int64_t h = dn.getDimSize(1);
    SmallVector<int64_t> wantGu{experts, 2 * inter}, wantDn{experts, h};
    if (block) {
      int64_t bn = (*block)[0], bk = (*block)[1];
      wantGu = {experts, 2 * inter / bn, h / bk};
      wantDn = {experts, h / bn, inter / bk};
    }
    if (!sgu.getElementType().isF32() || sgu.getShape() != ArrayRef<int64_t>(wantGu) ||
        !sdn.getElementType().isF32() || sdn.getShape() != ArrayRef<int64_t>(wantDn))
      return ruleError(*this, "experts.scales")
             << "scales must be f32 " << (block ? "[E, 2I/bn, H/bk] and [E, H/bn, I/bk]" : "[E, 2I] and [E, H]")
             << ", got " << sgu << " and " << sdn;
  }
  if (!shapesMatch(in, res) || !isComputeFloat(res.getElementType()))
    return ruleError(*this, "experts.result")
           << "result must be a float tensor of the input's shape, got " << res;
  return success();
}

//===----------------------------------------------------------------------===//
// Output
//===----------------------------------------------------------------------===//

LogicalResult LogitsOp::verify() {
  RankedTensorType h = tensorOf(getHidden()), w = tensorOf(getWeight()),
                   rows = tensorOf(getRows()), res = tensorOf(getResult());
  if (!hasRankAnd(h, 2, isComputeFloat))
    return ruleError(*this, "logits.hidden") << "hidden must be a float [T, D] tensor, got " << h;
  bool fp8 = isa<Float8E4M3FNType>(w.getElementType());
  if (!(fp8 ? w.getRank() == 2 : hasRankAnd(w, 2, isComputeFloat)) || !dimsMatch(w.getDimSize(1), h.getDimSize(1)))
    return ruleError(*this, "logits.weight")
           << "the head must be a float or f8E4M3FN [V, D] tensor with D = " << h.getDimSize(1) << ", got "
           << w;
  if (fp8 != bool(getWeightScale()))
    return ruleError(*this, "logits.scale")
           << (fp8 ? "an f8E4M3FN head needs its scales" : "scales go only with an f8E4M3FN head");
  if (fp8) {
    RankedTensorType s = tensorOf(getWeightScale());
    int64_t v = w.getDimSize(0), d = w.getDimSize(1);
    bool channel = s.getRank() == 1 && dimsMatch(s.getDimSize(0), v);
    bool block = s.getRank() == 2 && d % 128 == 0 && dimsMatch(s.getDimSize(0), llvm::divideCeil(v, 128)) &&
                 dimsMatch(s.getDimSize(1), d / 128);
    if (!s.getElementType().isF32() || !(channel || block))
      return ruleError(*this, "logits.scale")
             << "scales must be f32 [V] or [ceil(V/128), D/128] (D a multiple of 128) for a [" << v << ", " << d
             << "] head, got " << s;
  }
  if (!hasRankAnd(rows, 1, isInteger))
    return ruleError(*this, "logits.rows") << "rows must be a rank-1 integer tensor, got " << rows;
  if (res.getRank() != 2 || !res.getElementType().isF32() ||
      !dimsMatch(res.getDimSize(0), rows.getDimSize(0)) ||
      !dimsMatch(res.getDimSize(1), w.getDimSize(0)))
    return ruleError(*this, "logits.result")
           << "result must be f32 [R, V] = [" << rows.getDimSize(0) << ", " << w.getDimSize(0)
           << "], got " << res;
  return success();
}

//===----------------------------------------------------------------------===//
// State updated in place (AxeInterfaces.td)
//===----------------------------------------------------------------------===//

SmallVector<std::pair<unsigned, unsigned>> GatedAttentionOp::getStateUpdates() {
  return {{getKCacheMutable().getOperandNumber(), cast<OpResult>(getNewKCache()).getResultNumber()},
          {getVCacheMutable().getOperandNumber(), cast<OpResult>(getNewVCache()).getResultNumber()}};
}

SmallVector<std::pair<unsigned, unsigned>> CausalConv1dOp::getStateUpdates() {
  return {{getStateMutable().getOperandNumber(), cast<OpResult>(getNewState()).getResultNumber()}};
}

SmallVector<std::pair<unsigned, unsigned>> GatedDeltaRuleOp::getStateUpdates() {
  return {{getStateMutable().getOperandNumber(), cast<OpResult>(getNewState()).getResultNumber()}};
}

LogicalResult mlir::axe::verifyStateUpdate(Operation *op) {
  auto updates = cast<StateUpdateOpInterface>(op).getStateUpdates();
  for (auto [i, update] : llvm::enumerate(updates)) {
    auto [operand, result] = update;
    Value old = op->getOperand(operand);
    for (auto [j, other] : llvm::enumerate(updates))
      if (j != i && op->getOperand(other.first) == old)
        return ruleError(op, "state.updated_twice")
               << "operands #" << operand << " and #" << other.first
               << " are the same state, updated in place twice";
    for (OpOperand &use : old.getUses()) {
      Operation *user = use.getOwner();
      if (user == op)
        continue;
      if (auto otherUpdate = dyn_cast<StateUpdateOpInterface>(user))
        for (auto [otherOperand, otherResult] : otherUpdate.getStateUpdates())
          if (otherOperand == use.getOperandNumber())
            return ruleError(op, "state.updated_twice")
                   << "operand #" << operand << " is also updated in place by "
                   << user->getName() << " (each state value has one update)";
      // The old value is overwritten by this op: nothing may read it afterwards.
      if (user->getBlock() != op->getBlock() || op->isBeforeInBlock(user))
        return ruleError(op, "state.used_after_update")
               << "operand #" << operand << " (the state before this in-place update) is used by "
               << user->getName() << " after it is updated; use result #" << result << " instead";
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Weights and their roles (AxeInterfaces.td)
//===----------------------------------------------------------------------===//

namespace {
unsigned operandNumber(OpOperand &o) { return o.getOperandNumber(); }
// The role of operand `index` among `owned` (weight or scale operand, role) pairs.
std::optional<Role> roleAmong(ArrayRef<std::pair<OpOperand *, Role>> owned, unsigned index) {
  for (auto [operand, role] : owned)
    if (operand && operand->getOperandNumber() == index)
      return role;
  return std::nullopt;
}
OpOperand *optional(MutableOperandRange range) { return range.empty() ? nullptr : &range[0]; }
} // namespace

SmallVector<std::pair<unsigned, Role>> EmbedOp::getWeights() {
  return {{operandNumber(getTableMutable()), Role::embedding}};
}
std::optional<Role> EmbedOp::getWeightRole(unsigned index) {
  return roleAmong({{&getTableMutable(), Role::embedding}}, index);
}

SmallVector<std::pair<unsigned, Role>> LinearOp::getWeights() {
  return {{operandNumber(getWeightMutable()), getRole()}};
}
std::optional<Role> LinearOp::getWeightRole(unsigned index) {
  return roleAmong({{&getWeightMutable(), getRole()}}, index);
}

SmallVector<std::pair<unsigned, Role>> Fp8LinearOp::getWeights() {
  return {{operandNumber(getWeightMutable()), getRole()}};
}
std::optional<Role> Fp8LinearOp::getWeightRole(unsigned index) {
  return roleAmong({{&getWeightMutable(), getRole()}, {&getWeightScaleMutable(), getRole()}}, index);
}

SmallVector<std::pair<unsigned, Role>> MoeExpertsOp::getWeights() {
  return {{operandNumber(getGateUpMutable()), Role::expert_gate_up},
          {operandNumber(getDownMutable()), Role::expert_down}};
}
std::optional<Role> MoeExpertsOp::getWeightRole(unsigned index) {
  return roleAmong({{&getGateUpMutable(), Role::expert_gate_up},
                    {optional(getGateUpScaleMutable()), Role::expert_gate_up},
                    {&getDownMutable(), Role::expert_down},
                    {optional(getDownScaleMutable()), Role::expert_down}},
                   index);
}

SmallVector<std::pair<unsigned, Role>> LogitsOp::getWeights() {
  return {{operandNumber(getWeightMutable()), Role::lm_head}};
}
std::optional<Role> LogitsOp::getWeightRole(unsigned index) {
  return roleAmong({{&getWeightMutable(), Role::lm_head}, {optional(getWeightScaleMutable()), Role::lm_head}}, index);
}

#include "dialects/axe/AxeInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/axe/AxeOps.cpp.inc"
