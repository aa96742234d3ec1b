//===- LowerF8CastsToNvvm.cpp - f32 -> e4m3 casts as NVVM conversions -----===//

#include "lowering/nvvm/NvvmPasses.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace axe::nvvm {
#define GEN_PASS_DEF_LOWERF8CASTSTONVVMPASS
#include "lowering/nvvm/Passes.h.inc"
} // namespace axe::nvvm

using namespace mlir;

namespace {

struct TruncFToE4M3 : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::TruncFOp op, PatternRewriter &rewriter) const override {
    if (!isa<Float8E4M3FNType>(op.getType()) || !op.getIn().getType().isF32())
      return rewriter.notifyMatchFailure(op, "not a scalar f32 -> f8E4M3FN cast");
    Location loc = op.getLoc();
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0.0f));
    // cvt.rn.satfinite.e4m3x2.f32 d, hi, lo: the low byte encodes `lo`.
    MLIRContext *ctx = rewriter.getContext();
    Value pair = NVVM::ConvertF32x2ToF8x2Op::create(
        rewriter, loc, rewriter.getI16Type(), zero, op.getIn(),
        NVVM::FPRoundingModeAttr::get(ctx, NVVM::FPRoundingMode::RN),
        NVVM::SaturationModeAttr::get(ctx, NVVM::SaturationMode::SATFINITE),
        rewriter.getBoolAttr(false), TypeAttr::get(op.getType()));
    Value low = arith::TruncIOp::create(rewriter, loc, rewriter.getI8Type(), pair);
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, op.getType(), low);
    return success();
  }
};

struct LowerF8CastsToNvvmPass
    : public axe::nvvm::impl::LowerF8CastsToNvvmPassBase<LowerF8CastsToNvvmPass> {
  void runOnOperation() override {
    // The greedy driver with region simplification off: at this point of the pipeline the
    // kernels are half-lowered (cf blocks carrying index values), and merging blocks would leave
    // some that convert-gpu-to-nvvm cannot type.
    RewritePatternSet patterns(&getContext());
    patterns.add<TruncFToE4M3>(&getContext());
    FrozenRewritePatternSet frozen(std::move(patterns));
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), frozen, config)))
      return signalPassFailure();
  }
};

} // namespace
