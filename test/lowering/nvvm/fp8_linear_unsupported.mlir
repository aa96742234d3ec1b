// No silent fallback: where FP8 cannot reach the tensor cores, the compiler says so and names the op.

// An Ada (sm_89) or Ampere target: MLIR 22 has no e4m3 mma.sync.
// RUN: axe-opt %s --split-input-file --axe-lower-fp8-linear-to-nvvm="chip=sm_89" --verify-diagnostics
func.func @ada(%x: tensor<?x2048xbf16>) -> tensor<?x512xbf16> {
  %w = axe.param "k_proj.weight" encoding <fp8_channel> : tensor<512x2048xf8E4M3FN>
  %s = axe.param "k_proj.weight" encoding <fp8_channel_scale> : tensor<512xf32>
  // expected-error@+1 {{rule 'nvvm.fp8_tensor_cores': target sm_89 has no FP8 tensor-core path in MLIR 22 (e4m3 wgmma needs sm_90a); axe does not fall back to another GEMM silently}}
  %y = axe.fp8_linear %x, %w, %s {role = #axe.role<attn_k>} : (tensor<?x2048xbf16>, tensor<512x2048xf8E4M3FN>, tensor<512xf32>) -> tensor<?x512xbf16>
  return %y : tensor<?x512xbf16>
}
