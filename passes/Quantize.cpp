//===- Quantize.cpp - the axe-quantize pass -------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::axe {
#define GEN_PASS_DEF_QUANTIZEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::axe

using namespace mlir;
using namespace mlir::axe;

namespace {

constexpr int64_t kBlock = 128; // Qwen's FP8 block (spec §5.3)

bool wantsFp8(Operation *op) {
  auto p = op->getAttrOfType<PrecisionAttr>(kPrecisionAttr);
  return p && p.getValue() == Precision::fp8;
}

bool isFloatWeight(Value v) {
  return isa<BFloat16Type, Float16Type, Float32Type>(
      cast<RankedTensorType>(v.getType()).getElementType());
}

struct QuantizePass : public mlir::axe::impl::QuantizePassBase<QuantizePass> {
  using QuantizePassBase::QuantizePassBase;

  // The FP8 values and scales of one weight, derived from its float param.
  struct Fp8Weight {
    Value values, scales;
  };

  void runOnOperation() override {
    if (scheme != "channel" && scheme != "block") {
      getOperation().emitError() << "axe-quantize: scheme must be 'channel' or 'block', got '"
                                 << scheme << "'";
      return signalPassFailure();
    }
    bool block = scheme == "block";
    SmallVector<Operation *> work;
    getOperation().walk([&](Operation *op) {
      if (wantsFp8(op) && isa<LinearOp, MoeExpertsOp, LogitsOp>(op))
        work.push_back(op);
    });
    for (Operation *op : work) {
      LogicalResult done = success();
      if (auto linear = dyn_cast<LinearOp>(op)) {
        if (isFloatWeight(linear.getWeight()))
          done = block ? rewriteLinearBlock(linear) : rewriteLinearChannel(linear);
      } else if (auto experts = dyn_cast<MoeExpertsOp>(op)) {
        if (isFloatWeight(experts.getGateUp()))
          done = rewriteExperts(experts, block);
      } else if (auto logits = dyn_cast<LogitsOp>(op)) {
        if (isFloatWeight(logits.getWeight()))
          done = rewriteLogits(logits, block);
      }
      if (failed(done))
        return signalPassFailure();
    }
    // Float params whose every user moved to the FP8 copies.
    getOperation().walk([](ParamOp p) {
      if (p->use_empty())
        p->erase();
    });
  }

  // FP8 values and scales of `weight` (an axe.param), per output row or per 128x128 block of
  // the last two dimensions.
  Fp8Weight fp8Params(OpBuilder &b, Value weight, bool block) {
    auto param = weight.getDefiningOp<ParamOp>();
    auto type = cast<RankedTensorType>(weight.getType());
    SmallVector<int64_t> scaleShape(type.getShape());
    if (block) {
      int64_t r = type.getRank();
      scaleShape[r - 2] = llvm::divideCeil(scaleShape[r - 2], kBlock);
      scaleShape[r - 1] = llvm::divideCeil(scaleShape[r - 1], kBlock);
    } else {
      scaleShape.pop_back();
    }
    b.setInsertionPointAfter(param);
    auto make = [&](Type t, Encoding e) {
      return ParamOp::create(b, param.getLoc(), t, param.getNameAttr(), param.getPartsAttr(),
                             EncodingAttr::get(b.getContext(), e))
          .getResult();
    };
    Fp8Weight w;
    w.values = make(type.clone(b.getType<Float8E4M3FNType>()),
                    block ? Encoding::fp8_block : Encoding::fp8_channel);
    w.scales = make(RankedTensorType::get(scaleShape, b.getF32Type()),
                    block ? Encoding::fp8_block_scale : Encoding::fp8_channel_scale);
    return w;
  }

  // One per-token quantization per activation, shared by every FP8 linear that reads it.
  QuantizeOp quantizeOf(OpBuilder &b, Value x) {
    auto it = quantized.find(x);
    if (it != quantized.end())
      return it->second;
    auto t = cast<RankedTensorType>(x.getType());
    b.setInsertionPointAfterValue(x);
    auto q = QuantizeOp::create(b, x.getLoc(), t.clone(b.getType<Float8E4M3FNType>()),
                                RankedTensorType::get({t.getDimSize(0)}, b.getF32Type()), x,
                                IntegerAttr());
    quantized[x] = q;
    return q;
  }

  static void copyDecision(Operation *from, Operation *to) {
    for (const char *name : {kPrecisionAttr, kPrecisionRuleAttr})
      if (Attribute a = from->getAttr(name))
        to->setAttr(name, a);
  }

  LogicalResult rewriteLinearChannel(LinearOp linear) {
    OpBuilder b(linear);
    Fp8Weight w = fp8Params(b, linear.getWeight(), /*block=*/false);
    QuantizeOp q = quantizeOf(b, linear.getInput());
    auto resultType = cast<RankedTensorType>(linear.getType());
    b.setInsertionPoint(linear);
    auto matmul = LinearOp::create(b, linear.getLoc(), resultType.clone(b.getF32Type()),
                                   q.getResult(), w.values, linear.getRoleAttr());
    copyDecision(linear, matmul);
    auto deq = DequantizeOp::create(b, linear.getLoc(), resultType, matmul.getResult(),
                                    q.getScale(), w.scales);
    linear.replaceAllUsesWith(deq.getResult());
    linear.erase();
    return success();
  }

  LogicalResult rewriteLinearBlock(LinearOp linear) {
    int64_t k = cast<RankedTensorType>(linear.getWeight().getType()).getDimSize(1);
    if (k % kBlock != 0)
      return linear.emitError() << "rule 'quantize.block_k': the block scheme quantizes "
                                   "activations in 1x128 groups, but K = "
                                << k << " is not a multiple of 128";
    OpBuilder b(linear);
    Fp8Weight w = fp8Params(b, linear.getWeight(), /*block=*/true);
    b.setInsertionPoint(linear);
    auto fused = Fp8LinearOp::create(b, linear.getLoc(), linear.getType(), linear.getInput(),
                                     Value(), w.values, w.scales, linear.getRoleAttr(),
                                     b.getDenseI64ArrayAttr({kBlock, kBlock}));
    copyDecision(linear, fused);
    linear.replaceAllUsesWith(fused.getResult());
    linear.erase();
    return success();
  }

  LogicalResult rewriteExperts(MoeExpertsOp experts, bool block) {
    auto gu = cast<RankedTensorType>(experts.getGateUp().getType());
    if (block && (gu.getDimSize(1) / 2 % kBlock != 0 || gu.getDimSize(2) % kBlock != 0))
      return experts.emitError() << "rule 'quantize.block_k': block-scaled experts need I and "
                                    "H to be multiples of 128, got "
                                 << gu;
    OpBuilder b(experts);
    Fp8Weight gateUp = fp8Params(b, experts.getGateUp(), block);
    Fp8Weight down = fp8Params(b, experts.getDown(), block);
    b.setInsertionPoint(experts);
    auto fp8 = MoeExpertsOp::create(
        b, experts.getLoc(), experts.getType(), experts.getInput(), experts.getExpertIds(),
        experts.getExpertWeights(), gateUp.values, gateUp.scales, down.values, down.scales,
        block ? b.getDenseI64ArrayAttr({kBlock, kBlock}) : DenseI64ArrayAttr());
    copyDecision(experts, fp8);
    experts.replaceAllUsesWith(fp8.getResult());
    experts.erase();
    return success();
  }

  // The head is weight-only FP8: its input rows stay in their float type (one row per sampled
  // token, so quantizing them would save nothing and cost accuracy where it shows most).
  LogicalResult rewriteLogits(LogitsOp logits, bool block) {
    int64_t d = cast<RankedTensorType>(logits.getWeight().getType()).getDimSize(1);
    if (block && d % kBlock != 0)
      return logits.emitError() << "rule 'quantize.block_k': a block-scaled lm_head needs D to be a "
                                   "multiple of 128, got "
                                << d;
    OpBuilder b(logits);
    Fp8Weight w = fp8Params(b, logits.getWeight(), block);
    b.setInsertionPoint(logits);
    auto fp8 = LogitsOp::create(b, logits.getLoc(), logits.getType(), logits.getHidden(), w.values, w.scales,
                                logits.getRows());
    copyDecision(logits, fp8);
    logits.replaceAllUsesWith(fp8.getResult());
    logits.erase();
    return success();
  }

  llvm::MapVector<Value, QuantizeOp> quantized;
};

} // namespace
