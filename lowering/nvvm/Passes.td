//===- Passes.td - the NVVM lowering's passes -----------------*- tablegen -*-===//
//
// FP8 on Hopper tensor cores (sm_90a): the fused FP8 linear as TMA + wgmma kernels, and what the
// upstream GPU pipeline lacks for FP8 in MLIR 22. Keep alphabetical.
//
//===----------------------------------------------------------------------===//

#ifndef AXE_NVVM_PASSES_TD
#define AXE_NVVM_PASSES_TD

include "mlir/Pass/PassBase.td"

def AlignDynamicSharedMemoryPass : Pass<"axe-align-dynamic-shared-memory"> {
  let summary = "Dynamic shared memory starts 1024-B aligned (TMA tiles with 128-B swizzle)";
  let description = [{
    convert-gpu-to-nvvm gives `gpu.dynamic_shared_memory` a module-internal `.shared .align 16`
    global that ptxas places after the static shared memory (the mbarrier), so the tiles started
    at 0x410, or overlapped the barrier in a module with one kernel. This pass makes the global
    an external array aligned to 1024 B, which TMA destinations with 128-B swizzle and wgmma
    descriptors with base_offset 0 need. Run inside gpu.module, after convert-gpu-to-nvvm.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def KernelsToGpuPass : Pass<"axe-kernels-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Every kernel of the step program as a gpu.func: one GPU thread per workgroup";
  let description = [{
    The GPU form of the step program's kernels, from the same bodies the CPU target compiles
    (lowering/cpu/*Kernels.cpp build them once, over memrefs): each `func.func` kernel
    `@k(views..., scalars..., %wg_begin, %wg_end)` becomes `gpu.func @k(...) kernel` with the same
    arguments, in which thread 0 of block b runs the body for workgroup wg_begin + b. The module's
    contents are replaced by `gpu.module @axe_kernels`. Correctness first: these are the simple,
    obviously right kernels (the CPU's, bit for bit in what they compute); FP8 linears computed
    here do not use the tensor cores, and axe-compile says so.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def LowerF8CastsToNvvmPass : Pass<"axe-lower-f8-casts-to-nvvm"> {
  let summary = "arith.truncf f32 -> f8E4M3FN becomes cvt.rn.satfinite.e4m3x2.f32";
  let description = [{
    MLIR 22 has no NVVM lowering for f8 arith casts ("missing LLVMTranslationDialectInterface").
    Each `arith.truncf %x : f32 to f8E4M3FN` becomes `nvvm.convert.f32x2.to.f8x2` (round to
    nearest even, saturating to ±448) of the pair (0, x), whose low byte is the code. Run inside
    gpu.module, before convert-gpu-to-nvvm. Callers clamp first, so the saturation never decides
    a value and CPU and GPU codes agree bit for bit.
  }];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect", "::mlir::arith::ArithDialect"];
}

def LowerF8TmaDescriptorsPass : Pass<"axe-lower-f8-tma-descriptors", "::mlir::ModuleOp"> {
  let summary = "TMA descriptors of f8 tensors encoded as 8-bit tensors, not BF16";
  let description = [{
    MLIR 22's lowering of `nvgpu.tma.create.descriptor` has no CUtensorMapDataType for f8 and a
    release build encodes e4m3 tensors as BF16 (9): the runtime then computes strides at two
    bytes per element and the 128-element box is 256 B, wider than the 128-B swizzle allows, so
    the driver refuses the first GEMM. This pass lowers the f8 descriptors itself to the same
    runtime call (`mgpuTensorMapEncodeTiledMemref`) with UINT8 (0), and leaves the others to
    upstream. Run before convert-nvgpu-to-nvvm.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::nvgpu::NVGPUDialect"];
}

def LowerFp8LinearToNvvmPass : Pass<"axe-lower-fp8-linear-to-nvvm", "::mlir::ModuleOp"> {
  let summary = "Turn a module's axe.fp8_linear ops into sm_90a FP8 tensor-core kernels";
  let description = [{
    Replaces the module's contents by a GPU kernel module: for every distinct axe.fp8_linear
    (per-channel scheme), host functions that launch the per-token quantization (float inputs)
    and the TMA + wgmma e4m3 GEMM with its scale epilogue (lowering/nvvm/Fp8LinearKernels.h).

    Never a silent fallback: a target without FP8 tensor cores reachable from MLIR 22 (anything
    but sm_90a), a block-scaled linear, or a shape the kernel does not tile is an error naming
    the op and the reason.
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90a\"", "Target GPU (from the flag, never the host)">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::nvgpu::NVGPUDialect",
                           "::mlir::NVVM::NVVMDialect", "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::math::MathDialect",
                           "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect"];
}

def MergeGpuModulesPass : Pass<"axe-merge-gpu-modules", "::mlir::ModuleOp"> {
  let summary = "Gather every outlined kernel into one gpu.module (one PTX file, one cubin)";
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // AXE_NVVM_PASSES_TD
