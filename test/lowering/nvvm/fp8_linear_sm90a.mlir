// The fused FP8 linear on sm_90a, for the four linear shapes of Qwen3.5-35B-A3B: FP8 reaches the
// tensor cores (e4m3 wgmma), tiles arrive by TMA, activations are quantized with the saturating
// e4m3 conversion. The target is the flag's, never the host's; no GPU is needed.
// RUN: axe-opt %s --axe-lower-fp8-linear-to-nvvm="chip=sm_90a" | FileCheck %s --check-prefix=KERNELS
// RUN: axe-opt %s --axe-lower-fp8-linear-to-nvvm="chip=sm_90a" --axe-lower-to-nvvm="chip=sm_90a format=isa" > %t.isa
// RUN: FileCheck %s --check-prefix=PTX < %t.isa
// Regressions (a review found each offline; none needs a GPU):
// 1. e4m3 TMA descriptors are encoded as 8-bit tensors (CUtensorMapDataType 0), not BF16 (9).
// RUN: FileCheck %s --check-prefix=HOST < %t.isa
// RUN: FileCheck %s --check-prefix=NOBF16 < %t.isa
// 3. each k32 wgmma reads its 32-B slice of the K-major B tile, not B + 4096 B x k.
// RUN: FileCheck %s --check-prefix=NOMNSTEP < %t.isa
// 4. each 128-K block's wgmma chain starts from zero and is added into f32 registers once it is
//    done (FP8 wgmma accumulates in about 14 bits; a chain over all of K would lose precision):
// RUN: sed -e 's/\\0A/\n/g' -e 's/\\09/ /g' %t.isa | FileCheck %s --check-prefix=PROMOTE
// ptxas accepts every kernel (the cubin is built):
// RUN: axe-opt %s --axe-lower-fp8-linear-to-nvvm="chip=sm_90a" --axe-lower-to-nvvm="chip=sm_90a format=bin" | FileCheck %s --check-prefix=CUBIN

func.func @step(%x: tensor<?x2048xbf16>, %h: tensor<?x512xf8E4M3FN>, %hs: tensor<?xf32>, %o: tensor<?x4096xbf16>)
    -> (tensor<?x8192xbf16>, tensor<?x512xbf16>, tensor<?x2048xbf16>, tensor<?x2048xbf16>) {
  %wq = axe.param "q_proj.weight" encoding <fp8_channel> : tensor<8192x2048xf8E4M3FN>
  %sq = axe.param "q_proj.weight" encoding <fp8_channel_scale> : tensor<8192xf32>
  %q = axe.fp8_linear %x, %wq, %sq {role = #axe.role<attn_q>} : (tensor<?x2048xbf16>, tensor<8192x2048xf8E4M3FN>, tensor<8192xf32>) -> tensor<?x8192xbf16>
  %wk = axe.param "k_proj.weight" encoding <fp8_channel> : tensor<512x2048xf8E4M3FN>
  %sk = axe.param "k_proj.weight" encoding <fp8_channel_scale> : tensor<512xf32>
  %k = axe.fp8_linear %x, %wk, %sk {role = #axe.role<attn_k>} : (tensor<?x2048xbf16>, tensor<512x2048xf8E4M3FN>, tensor<512xf32>) -> tensor<?x512xbf16>
  %wd = axe.param "down_proj.weight" encoding <fp8_channel> : tensor<2048x512xf8E4M3FN>
  %sd = axe.param "down_proj.weight" encoding <fp8_channel_scale> : tensor<2048xf32>
  %d = axe.fp8_linear %h scaled %hs, %wd, %sd {role = #axe.role<expert_down>} : (tensor<?x512xf8E4M3FN>, tensor<?xf32>, tensor<2048x512xf8E4M3FN>, tensor<2048xf32>) -> tensor<?x2048xbf16>
  %wo = axe.param "o_proj.weight" encoding <fp8_channel> : tensor<2048x4096xf8E4M3FN>
  %so = axe.param "o_proj.weight" encoding <fp8_channel_scale> : tensor<2048xf32>
  %y = axe.fp8_linear %o, %wo, %so {role = #axe.role<attn_o>} : (tensor<?x4096xbf16>, tensor<2048x4096xf8E4M3FN>, tensor<2048xf32>) -> tensor<?x2048xbf16>
  return %q, %k, %d, %y : tensor<?x8192xbf16>, tensor<?x512xbf16>, tensor<?x2048xbf16>, tensor<?x2048xbf16>
}

// KERNELS: module attributes {axe.target = "sm_90a", gpu.container_module}
// KERNELS-LABEL: func.func @fp8_linear_8192x2048_bf16_gemm
// KERNELS: nvgpu.tma.create.descriptor {{.+}} box[%{{.+}}, %{{.+}}] : memref<*xf8E4M3FN> -> <tensor = memref<64x128xf8E4M3FN, 3>, swizzle = swizzle_128b
// KERNELS: gpu.launch
// KERNELS: nvgpu.tma.async.load
// KERNELS: scf.for {{.+}} -> (!nvgpu.warpgroup.accumulator<fragmented = vector<64x128xf32>>)
// KERNELS: memref.subview {{.+}} [64, 32] [1, 1]
// KERNELS: memref.subview {{.+}} [128, 32] [1, 1]
// KERNELS: nvgpu.warpgroup.mma {{.+}} <tensor = memref<64x32xf8E4M3FN, 3>>, <tensor = memref<32x128xf8E4M3FN, 3>>
// KERNELS-LABEL: func.func @fp8_linear_8192x2048_bf16_quantize
// KERNELS: arith.truncf {{.+}} : f32 to f8E4M3FN
// KERNELS-LABEL: func.func @fp8_linear_512x2048_bf16_gemm
// KERNELS-LABEL: func.func @fp8_linear_2048x512_gemm
// KERNELS-NOT: fp8_linear_2048x512_{{.*}}quantize
// KERNELS-LABEL: func.func @fp8_linear_2048x4096_bf16_gemm

// PTX: gpu.binary @axe_kernels
// PTX-SAME: .target sm_90a
// 2. the TMA tiles start 1024-B aligned (128-B swizzle), in an array ptxas reserves:
// PTX-SAME: .extern .shared .align 1024 .b8 __dynamic_shmem__0[];
// PTX-SAME: .entry fp8_linear_8192x2048_bf16_gemm_kernel
// 3. the four k32 slices: A at +0, +32, +64, +96 B and B at +8192, +8224, +8256, +8288 B.
// PTX-SAME: add.s64 {{[^,]+}}, [[DYN:%rd[0-9]+]], 8192;
// PTX-SAME: add.s64 {{[^,]+}}, [[DYN]], 32;
// PTX-SAME: add.s64 {{[^,]+}}, [[DYN]], 8224;
// PTX-SAME: add.s64 {{[^,]+}}, [[DYN]], 64;
// PTX-SAME: add.s64 {{[^,]+}}, [[DYN]], 8256;
// PTX-SAME: add.s64 {{[^,]+}}, [[DYN]], 96;
// PTX-SAME: add.s64 {{[^,]+}}, [[DYN]], 8288;
// PTX-SAME: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// PTX-SAME: .entry fp8_linear_8192x2048_bf16_quantize_kernel
// PTX-SAME: cvt.rn.satfinite.e4m3x2.f32
// PTX-SAME: .entry fp8_linear_512x2048_bf16_gemm_kernel
// PTX-SAME: .entry fp8_linear_2048x512_gemm_kernel
// PTX-SAME: .entry fp8_linear_2048x4096_bf16_gemm_kernel

// CUBIN: gpu.binary @axe_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, properties = {ISAToBinaryTimeInMs = {{[0-9]+}} : i64, LLVMIRToISATimeInMs = {{[0-9]+}} : i64}, bin = "\7FELF

// HOST: %[[UINT8:.+]] = llvm.mlir.constant(0 : i64) : i64
// HOST: llvm.call @mgpuTensorMapEncodeTiledMemref(%{{[^,]+}}, %{{[^,]+}}, %[[UINT8]],
// NOBF16-NOT: llvm.mlir.constant(9 : i32) : i64
// The B descriptor (0x4000004004000000) plus 4096 B >> 4, upstream's MN-major k step:
// NOMNSTEP-NOT: 4611686293372403968

// PROMOTE-LABEL: .entry fp8_linear_8192x2048_bf16_gemm_kernel
// PROMOTE: mov.b32 %r{{[0-9]+}}, 0;
// PROMOTE-COUNT-4: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// PROMOTE: wgmma.wait_group.sync.aligned 0;
// PROMOTE-COUNT-64: add.rn.f32
// PROMOTE: .entry fp8_linear_8192x2048_bf16_quantize_kernel
