// A module with one FP8 GEMM kernel: the dynamic shared memory must still be the 1024-B aligned
// external array. (As a module-internal global ptxas moved it into the kernel and placed the
// tiles at 0x400 with the mbarrier at 0x408, inside the A tile.)
// RUN: axe-opt %s --axe-lower-fp8-linear-to-nvvm="chip=sm_90a" --axe-lower-to-nvvm="chip=sm_90a format=isa" | FileCheck %s
// ptxas accepts it:
// RUN: axe-opt %s --axe-lower-fp8-linear-to-nvvm="chip=sm_90a" --axe-lower-to-nvvm="chip=sm_90a format=bin" | FileCheck %s --check-prefix=CUBIN

func.func @step(%h: tensor<?x512xf8E4M3FN>, %hs: tensor<?xf32>) -> tensor<?x2048xbf16> {
  %wd = axe.param "down_proj.weight" encoding <fp8_channel> : tensor<2048x512xf8E4M3FN>
  %sd = axe.param "down_proj.weight" encoding <fp8_channel_scale> : tensor<2048xf32>
  %d = axe.fp8_linear %h scaled %hs, %wd, %sd {role = #axe.role<expert_down>} : (tensor<?x512xf8E4M3FN>, tensor<?xf32>, tensor<2048x512xf8E4M3FN>, tensor<2048xf32>) -> tensor<?x2048xbf16>
  return %d : tensor<?x2048xbf16>
}

// CHECK: gpu.binary @fp8_linear_2048x512_gemm_kernel
// CHECK-SAME: .extern .shared .align 1024 .b8 __dynamic_shmem__0[];
// CHECK-SAME: .entry fp8_linear_2048x512_gemm_kernel
// CUBIN: gpu.binary @fp8_linear_2048x512_gemm_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, {{.+}}bin = "\7FELF
