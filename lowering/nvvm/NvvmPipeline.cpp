//===- NvvmPipeline.cpp - the GPU pipeline, written out -------------------===//
//
// What gpu-lower-to-nvvm-pipeline does in MLIR 22, step by step, with axe's passes where the
// bundled pipeline has no place for them: f8 TMA descriptors lowered before upstream's NVGPU
// lowering (which has no f8 data type), kernels merged into one gpu.module after outlining, FP8
// casts lowered to NVVM conversions before convert-gpu-to-nvvm, and the dynamic shared memory
// aligned for TMA after it.
//
//===----------------------------------------------------------------------===//

#include "lowering/nvvm/NvvmPasses.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/FileSystem.h"

#include <cstdlib>

namespace axe::nvvm {

namespace {

namespace gpu = mlir::gpu;

struct PipelineOptions : public mlir::PassPipelineOptions<PipelineOptions> {
  Option<std::string> chip{*this, "chip", llvm::cl::desc("Target GPU"), llvm::cl::init("sm_90a")};
  Option<std::string> format{*this, "format", llvm::cl::desc("isa (PTX), bin (cubin) or fatbin"),
                             llvm::cl::init("isa")};
};

} // namespace

std::string cudaToolkitPath() {
  for (const char *env : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *dir = std::getenv(env))
      return dir;
  return llvm::sys::fs::exists("/usr/local/cuda/bin/ptxas") ? "/usr/local/cuda" : "";
}

void buildNvvmPipeline(mlir::OpPassManager &pm, const std::string &chip, const std::string &format) {
  pm.addPass(createLowerF8TmaDescriptorsPass()); // before upstream's (MLIR 22: no f8 data type)
  pm.addPass(mlir::createConvertNVGPUToNVVMPass());
  pm.addPass(mlir::createGpuKernelOutliningPass());
  pm.addPass(createMergeGpuModulesPass());
  pm.addPass(mlir::createConvertVectorToSCFPass());
  pm.addPass(mlir::createSCFToControlFlowPass());
  pm.addPass(mlir::createConvertNVVMToLLVMPass());
  pm.addPass(mlir::createConvertFuncToLLVMPass());
  pm.addPass(mlir::memref::createExpandStridedMetadataPass());
  mlir::GpuNVVMAttachTargetOptions target;
  target.chip = chip;
  target.features = "+ptx80"; // wgmma and TMA need PTX 8.0; the default is +ptx60
  target.optLevel = 3;
  pm.addPass(mlir::createGpuNVVMAttachTarget(target));
  pm.addPass(mlir::createLowerAffinePass());
  pm.addPass(mlir::createArithToLLVMConversionPass());
  pm.addPass(mlir::createConvertIndexToLLVMPass());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  mlir::OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createLowerF8CastsToNvvmPass()); // before convert-gpu-to-nvvm (MLIR 22 gap)
  kernels.addPass(mlir::createConvertGpuOpsToNVVMOps());
  kernels.addPass(createAlignDynamicSharedMemoryPass()); // TMA tiles need 1024-B alignment
  kernels.addPass(mlir::createCanonicalizerPass());
  kernels.addPass(mlir::createCSEPass());
  kernels.addPass(mlir::createReconcileUnrealizedCastsPass());
  pm.addPass(mlir::createGpuToLLVMConversionPass());
  mlir::GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = format;
  binary.toolkitPath = cudaToolkitPath();
  pm.addPass(mlir::createGpuModuleToBinaryPass(binary));
  pm.addPass(mlir::createConvertMathToLLVMPass());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addPass(mlir::createReconcileUnrealizedCastsPass());
}

void registerNvvmDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::arith::ArithDialect, mlir::cf::ControlFlowDialect, mlir::func::FuncDialect,
                  mlir::gpu::GPUDialect, mlir::index::IndexDialect, mlir::LLVM::LLVMDialect,
                  mlir::math::MathDialect, mlir::memref::MemRefDialect, mlir::nvgpu::NVGPUDialect,
                  mlir::NVVM::NVVMDialect, mlir::scf::SCFDialect, mlir::vector::VectorDialect>();
  // convert-gpu-to-nvvm takes its patterns from each dialect's ConvertToLLVM interface.
  mlir::registerAllExtensions(registry);
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerGPUDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerNVVMDialectTranslation(registry);
}

void registerNvvmPipeline() {
  mlir::PassPipelineRegistration<PipelineOptions>(
      "axe-lower-to-nvvm",
      "The GPU pipeline for sm_90a written out, with axe's FP8 cast lowering; ends in "
      "gpu.binary (format=isa: PTX, bin: cubin via ptxas)",
      [](mlir::OpPassManager &pm, const PipelineOptions &o) { buildNvvmPipeline(pm, o.chip, o.format); });
}

} // namespace axe::nvvm
