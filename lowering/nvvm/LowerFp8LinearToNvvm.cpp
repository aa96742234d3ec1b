//===- LowerFp8LinearToNvvm.cpp - axe.fp8_linear -> sm_90a kernels --------===//

#include "lowering/nvvm/Fp8LinearKernels.h"
#include "lowering/nvvm/NvvmPasses.h"

#include "dialects/axe/AxeOps.h"

#include <set>

namespace axe::nvvm {
#define GEN_PASS_DEF_LOWERFP8LINEARTONVVMPASS
#include "lowering/nvvm/Passes.h.inc"
} // namespace axe::nvvm

using namespace mlir;
namespace ir = mlir::axe;

namespace {

struct LowerFp8LinearToNvvmPass
    : public ::axe::nvvm::impl::LowerFp8LinearToNvvmPassBase<LowerFp8LinearToNvvmPass> {
  using LowerFp8LinearToNvvmPassBase::LowerFp8LinearToNvvmPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<ir::Fp8LinearOp> linears;
    module.walk([&](ir::Fp8LinearOp op) { linears.push_back(op); });

    bool ok = true;
    for (ir::Fp8LinearOp op : linears) {
      if (!::axe::nvvm::hasFp8TensorCores(chip)) {
        op.emitError() << "rule 'nvvm.fp8_tensor_cores': target " << chip
                       << " has no FP8 tensor-core path in MLIR 22 (e4m3 wgmma needs sm_90a); axe "
                          "does not fall back to another GEMM silently";
        ok = false;
      } else if (op.getWeightBlock()) {
        op.emitError() << "rule 'nvvm.fp8_scheme': block-scaled FP8 (weight_block) has no sm_90a "
                          "kernel yet: its per-K-block scales need an accumulator rescale per wgmma "
                          "group; compile with --quant-scheme=channel";
        ok = false;
      }
    }
    if (!ok)
      return signalPassFailure();

    // The kernel module replaces the tensor-level step: one set of kernels per distinct shape.
    OwningOpRef<ModuleOp> kernels = ModuleOp::create(module.getLoc());
    std::set<std::string> built;
    for (ir::Fp8LinearOp op : linears) {
      auto w = cast<RankedTensorType>(op.getWeight().getType());
      auto in = cast<RankedTensorType>(op.getInput().getType());
      Type floatInput = isa<Float8E4M3FNType>(in.getElementType()) ? Type() : in.getElementType();
      std::string name = "fp8_linear_" + std::to_string(w.getDimSize(0)) + "x" + std::to_string(w.getDimSize(1));
      if (floatInput) {
        llvm::raw_string_ostream os(name);
        os << "_" << floatInput;
      }
      if (!built.insert(name).second)
        continue;
      if (failed(::axe::nvvm::buildFp8LinearKernels(*kernels, op.getLoc(), name, w.getDimSize(0),
                                                  w.getDimSize(1), floatInput)))
        return signalPassFailure();
    }
    module.getBody()->clear();
    for (NamedAttribute a : llvm::to_vector(module->getAttrs()))
      if (a.getName() != SymbolTable::getSymbolAttrName())
        module->removeAttr(a.getName());
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), UnitAttr::get(&getContext()));
    module->setAttr("axe.target", StringAttr::get(&getContext(), chip));
    for (Operation &op : llvm::make_early_inc_range(*kernels->getBody())) {
      op.remove();
      module.getBody()->push_back(&op);
    }
  }
};

} // namespace
