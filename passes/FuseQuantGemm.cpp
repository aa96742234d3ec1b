//===- FuseQuantGemm.cpp - the axe-fuse-quant-gemm pass -------------------===//

#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::axe {
#define GEN_PASS_DEF_FUSEQUANTGEMMPASS
#include "passes/Passes.h.inc"
} // namespace mlir::axe

using namespace mlir;
using namespace mlir::axe;

namespace {

// True when `q` and `s` are the values and the scales of one per-token quantization.
bool samePerTokenQuantization(Value q, Value s) {
  Operation *producer = q.getDefiningOp();
  if (!producer || producer != s.getDefiningOp() || producer->getNumResults() != 2 ||
      q != producer->getResult(0) || s != producer->getResult(1))
    return false;
  if (auto quantize = dyn_cast<QuantizeOp>(producer))
    return !quantize.getGroupSize();
  return isa<RmsNormQuantizeOp, SiluMulQuantizeOp>(producer);
}

void copyDecision(Operation *from, Operation *to) {
  for (const char *name : {kPrecisionAttr, kPrecisionRuleAttr})
    if (Attribute a = from->getAttr(name))
      to->setAttr(name, a);
}

// dequantize(linear(q, w8), s, ws) → fp8_linear(q scaled s, w8, ws)
struct FuseLinearDequantize : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp deq, PatternRewriter &rewriter) const override {
    auto matmul = deq.getAcc().getDefiningOp<LinearOp>();
    if (!matmul || !matmul->hasOneUse())
      return rewriter.notifyMatchFailure(deq, "the accumulator is not a single-use linear");
    if (!samePerTokenQuantization(matmul.getInput(), deq.getActScale()))
      return rewriter.notifyMatchFailure(deq, "input and scales are not one per-token quantization");
    auto fused = Fp8LinearOp::create(rewriter, deq.getLoc(), deq.getType(), matmul.getInput(),
                                     deq.getActScale(), matmul.getWeight(), deq.getWeightScale(),
                                     matmul.getRoleAttr(), DenseI64ArrayAttr());
    copyDecision(matmul, fused);
    rewriter.replaceOp(deq, fused.getResult());
    rewriter.eraseOp(matmul);
    return success();
  }
};

// quantize(rms_norm(x)) → rms_norm_quantize(x), the norm used only by the quantization.
struct FuseRmsNormQuantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp quantize, PatternRewriter &rewriter) const override {
    auto norm = quantize.getInput().getDefiningOp<RmsNormOp>();
    if (!norm || !norm->hasOneUse() || quantize.getGroupSize())
      return rewriter.notifyMatchFailure(quantize, "not a per-token quantization of a single-use norm");
    rewriter.replaceOpWithNewOp<RmsNormQuantizeOp>(
        quantize, quantize.getResult().getType(), quantize.getScale().getType(), norm.getInput(),
        norm.getWeight(), norm.getEpsAttr(), norm.getZeroCenteredAttr());
    rewriter.eraseOp(norm);
    return success();
  }
};

// quantize(silu_mul(g, u)) → silu_mul_quantize(g, u), the product used only there.
struct FuseSiluMulQuantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp quantize, PatternRewriter &rewriter) const override {
    auto product = quantize.getInput().getDefiningOp<SiluMulOp>();
    if (!product || !product->hasOneUse() || quantize.getGroupSize())
      return rewriter.notifyMatchFailure(quantize, "not a per-token quantization of a single-use silu_mul");
    rewriter.replaceOpWithNewOp<SiluMulQuantizeOp>(quantize, quantize.getResult().getType(),
                                                   quantize.getScale().getType(),
                                                   product.getGate(), product.getUp());
    rewriter.eraseOp(product);
    return success();
  }
};

// fp8_linear(quantize(x) scaled ...) → fp8_linear(x) when that quantization serves this op alone
// and no producer of x could take it into its epilogue instead.
struct FoldQuantizeIntoFp8Linear : OpRewritePattern<Fp8LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Fp8LinearOp op, PatternRewriter &rewriter) const override {
    if (!op.getInputScale() || op.getWeightBlock())
      return failure();
    auto quantize = op.getInput().getDefiningOp<QuantizeOp>();
    if (!quantize || quantize.getGroupSize() || !quantize.getResult().hasOneUse() ||
        !quantize.getScale().hasOneUse() || op.getInputScale() != quantize.getScale())
      return rewriter.notifyMatchFailure(op, "the input quantization is shared or not per token");
    Operation *producer = quantize.getInput().getDefiningOp();
    if (producer && isa<RmsNormOp, SiluMulOp>(producer) && producer->hasOneUse())
      return rewriter.notifyMatchFailure(op, "the producer takes the quantization instead");
    auto folded = Fp8LinearOp::create(rewriter, op.getLoc(), op.getType(), quantize.getInput(),
                                      Value(), op.getWeight(), op.getWeightScale(),
                                      op.getRoleAttr(), DenseI64ArrayAttr());
    copyDecision(op, folded);
    rewriter.replaceOp(op, folded.getResult());
    rewriter.eraseOp(quantize);
    return success();
  }
};

struct FuseQuantGemmPass : public mlir::axe::impl::FuseQuantGemmPassBase<FuseQuantGemmPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseLinearDequantize, FuseRmsNormQuantize, FuseSiluMulQuantize,
                 FoldQuantizeIntoFp8Linear>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
