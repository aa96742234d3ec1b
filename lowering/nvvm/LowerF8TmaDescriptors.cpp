//===- LowerF8TmaDescriptors.cpp - TMA descriptors of e4m3 tensors ---------===//
//
// MLIR 22 lowers nvgpu.tma.create.descriptor to a call of the runtime's
// mgpuTensorMapEncodeTiledMemref with the tensor's CUtensorMapDataType, but its table has no
// f8 entry: a release build encodes e4m3 tensors as BF16 (9), so the runtime computes strides at
// two bytes per element and the 128-wide box becomes 256 B, wider than the 128-B swizzle allows.
// This pass, run before convert-nvgpu-to-nvvm, lowers the f8 ones itself, as 8-bit tensors
// (CU_TENSOR_MAP_DATA_TYPE_UINT8 = 0: TMA copies bytes; wgmma reads them as e4m3), and leaves
// every other descriptor to upstream.
//
//===----------------------------------------------------------------------===//

#include "lowering/nvvm/NvvmPasses.h"

#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/LLVMIR/FunctionCallUtils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Transforms/DialectConversion.h"

namespace axe::nvvm {
#define GEN_PASS_DEF_LOWERF8TMADESCRIPTORSPASS
#include "lowering/nvvm/Passes.h.inc"
} // namespace axe::nvvm

using namespace mlir;

namespace {

constexpr int64_t kTensorMapUint8 = 0; // CUtensorMapDataType CU_TENSOR_MAP_DATA_TYPE_UINT8
constexpr int64_t kMaxTmaRank = 5;

// Every 8-bit float: upstream's table has none of them (and a release build falls through).
bool isF8(Type t) { return isa<FloatType>(t) && t.getIntOrFloatBitWidth() == 8; }

bool holdsF8(nvgpu::TmaCreateDescriptorOp op) {
  return isF8(op.getTensor().getType().getElementType());
}

struct F8TmaDescriptor : ConvertOpToLLVMPattern<nvgpu::TmaCreateDescriptorOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult matchAndRewrite(nvgpu::TmaCreateDescriptorOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (!holdsF8(op))
      return rewriter.notifyMatchFailure(op, "not an f8 tensor");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Type i64 = rewriter.getI64Type();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto constant = [&](int64_t v) { return LLVM::ConstantOp::create(rewriter, loc, i64, v).getResult(); };

    // The box, outermost dimension first, in a stack array the runtime reads.
    Value box = LLVM::AllocaOp::create(rewriter, loc, ptr, i64, constant(kMaxTmaRank));
    for (auto [i, size] : llvm::enumerate(adaptor.getBoxDimensions())) {
      Value at = LLVM::GEPOp::create(rewriter, loc, ptr, i64, box, ArrayRef<LLVM::GEPArg>{int32_t(i)});
      LLVM::StoreOp::create(rewriter, loc, size, at);
    }
    UnrankedMemRefDescriptor tensor(adaptor.getTensor());
    nvgpu::TensorMapDescriptorType map = op.getTensorMap().getType();
    SmallVector<Value> args{tensor.rank(rewriter, loc), tensor.memRefDescPtr(rewriter, loc),
                            constant(kTensorMapUint8), constant(int64_t(map.getInterleave())),
                            constant(int64_t(map.getSwizzle())), constant(int64_t(map.getL2promo())),
                            constant(int64_t(map.getOob())), box};
    SmallVector<Type> argTypes{i64, ptr, i64, i64, i64, i64, i64, ptr};
    auto module = op->getParentOfType<ModuleOp>();
    FailureOr<LLVM::LLVMFuncOp> encode =
        LLVM::lookupOrCreateFn(rewriter, module, "mgpuTensorMapEncodeTiledMemref", argTypes, ptr);
    if (failed(encode))
      return op.emitOpError("mgpuTensorMapEncodeTiledMemref is declared with another signature");
    rewriter.replaceOpWithNewOp<LLVM::CallOp>(op, *encode, args);
    return success();
  }
};

struct LowerF8TmaDescriptorsPass
    : public axe::nvvm::impl::LowerF8TmaDescriptorsPassBase<LowerF8TmaDescriptorsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    LLVMTypeConverter converter(ctx);
    // A descriptor is an opaque pointer on the host, as upstream's lowering makes it.
    converter.addConversion([ctx](nvgpu::TensorMapDescriptorType) { return LLVM::LLVMPointerType::get(ctx); });
    RewritePatternSet patterns(ctx);
    patterns.add<F8TmaDescriptor>(converter);
    ConversionTarget target(*ctx);
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    target.addDynamicallyLegalOp<nvgpu::TmaCreateDescriptorOp>(
        [](nvgpu::TmaCreateDescriptorOp op) { return !holdsF8(op); });
    target.addLegalDialect<LLVM::LLVMDialect>();
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
