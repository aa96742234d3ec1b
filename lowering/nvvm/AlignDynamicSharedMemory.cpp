//===- AlignDynamicSharedMemory.cpp - 1024-B aligned TMA tiles ------------===//
//
// convert-gpu-to-nvvm gives gpu.dynamic_shared_memory a module-internal `.shared .align 16`
// global, which ptxas places after the static shared memory (the mbarrier): the tiles started at
// 0x410, and with one kernel in a module even overlapped the barrier. TMA destinations with
// 128-B swizzle (and wgmma descriptors with base_offset 0) need 1024-B aligned tiles. This pass
// makes that global an external, 1024-B aligned array: ptxas then reserves and aligns it
// (`.extern .shared .align 1024 .b8 __dynamic_shmem__0[]`). Run inside gpu.module, after
// convert-gpu-to-nvvm.
//
//===----------------------------------------------------------------------===//

#include "lowering/nvvm/NvvmPasses.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace axe::nvvm {
#define GEN_PASS_DEF_ALIGNDYNAMICSHAREDMEMORYPASS
#include "lowering/nvvm/Passes.h.inc"
} // namespace axe::nvvm

using namespace mlir;

namespace {

constexpr unsigned kSharedAddressSpace = 3;
constexpr uint64_t kTmaSwizzleAlignment = 1024;

struct AlignDynamicSharedMemoryPass
    : public axe::nvvm::impl::AlignDynamicSharedMemoryPassBase<AlignDynamicSharedMemoryPass> {
  void runOnOperation() override {
    getOperation()->walk([](LLVM::GlobalOp global) {
      // The upstream lowering's symbol for dynamic shared memory: a zero-length array.
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() != kSharedAddressSpace || !array || array.getNumElements() != 0 ||
          !global.getSymName().starts_with("__dynamic_shmem_"))
        return;
      global.setAlignment(kTmaSwizzleAlignment);
      global.setLinkage(LLVM::Linkage::External);
    });
  }
};

} // namespace
