//===- MergeGpuModules.cpp - one gpu.module for every kernel --------------===//
//
// gpu-kernel-outlining makes a gpu.module per launching function; the artifact wants one PTX
// file and one cubin holding every kernel, so the kernels move into the first module and the
// launches are redirected.
//
//===----------------------------------------------------------------------===//

#include "lowering/nvvm/NvvmPasses.h"

namespace axe::nvvm {
#define GEN_PASS_DEF_MERGEGPUMODULESPASS
#include "lowering/nvvm/Passes.h.inc"
} // namespace axe::nvvm

using namespace mlir;

namespace {

struct MergeGpuModulesPass : public axe::nvvm::impl::MergeGpuModulesPassBase<MergeGpuModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> modules(module.getOps<gpu::GPUModuleOp>());
    if (modules.size() < 2)
      return;
    gpu::GPUModuleOp target = modules.front();
    target.setName("axe_kernels");
    for (gpu::GPUModuleOp other : llvm::drop_begin(modules)) {
      for (Operation &op : llvm::make_early_inc_range(other.getBody()->without_terminator())) {
        op.remove();
        target.getBody()->push_back(&op);
      }
      other.erase();
    }
    // Launches name their kernel as @module::@kernel.
    module.walk([&](gpu::LaunchFuncOp launch) {
      launch.setKernelAttr(SymbolRefAttr::get(
          target.getNameAttr(), {FlatSymbolRefAttr::get(launch.getKernelName())}));
    });
  }
};

} // namespace
